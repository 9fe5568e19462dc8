"""The JSON Schema of `delib.toml` (`delib schema --project`), for editors that check TOML against a schema
(Taplo / Even Better TOML: `#:schema ./delib.schema.json` on the file's first line) and for CI.

It is the schema of `Project`, the model `load_project` validates with, less `root` (the project's folder,
which the loader fills in, not a key of the file), with the old key names that are still read (`[generate]
judge_tokens`; `[rl.rewards] verdict_tokens`, the reward's `judge_tokens` under its current name) listed
and the old ones marked deprecated. Pure.
"""

from __future__ import annotations

import copy
from typing import Any

from trainer.project.config import PROJECT_FILE, Project

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _alias(properties: dict[str, Any], present: str, added: str, deprecated: str) -> None:
    """Add `added` as another name of `present` (same schema), marking `deprecated` (one of the two)."""
    properties[added] = copy.deepcopy(properties[present])
    properties[added]["title"] = added.replace("_", " ").title()
    properties[deprecated]["deprecated"] = True
    properties[deprecated]["description"] = (f"Old name of `{added if deprecated == present else present}`, "
                                             "still read.")


def project_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a `delib.toml`."""
    schema = Project.model_json_schema(mode="validation")
    schema["properties"].pop("root")
    schema["required"] = [r for r in schema.get("required", []) if r != "root"]
    if not schema["required"]:
        del schema["required"]
    defs = schema["$defs"]
    _alias(defs["GenerateSection"]["properties"], "verdict_tokens", "judge_tokens", deprecated="judge_tokens")
    _alias(defs["RewardSettings"]["properties"], "judge_tokens", "verdict_tokens", deprecated="judge_tokens")
    return {"$schema": DIALECT, **schema, "title": PROJECT_FILE,
            "description": "The deliberative project file: `delib build` runs lint -> compile -> generate -> sft -> "
                           "rl -> eval from it. Every key is optional; paths are relative to the file."}
