"""`delib schema --project`: the JSON Schema of `delib.toml` names every key the template documents, refuses
the keys the loader refuses, gives defaults the loader accepts, and lists the old key names as deprecated."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from trainer.project import TEMPLATE, ProjectError, load_project
from trainer.project.config import Project
from trainer.project.schema import project_schema

SCHEMA = project_schema()


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    """A property's own schema: `$ref` followed, an optional (`anyOf` with null) unwrapped to its object."""
    if "$ref" in node:
        return _resolve(SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]])
    objects = [n for n in node.get("anyOf", []) if "$ref" in n]
    return _resolve(objects[0]) if objects else node


def _table(path: str) -> dict[str, Any]:
    node = SCHEMA
    for part in path.split(".") if path else []:
        node = _resolve(node["properties"][part])
    return node


def _template_keys() -> list[tuple[str, str]]:
    """(table, key) for every key the template sets or shows commented out."""
    keys, table = [], ""
    for line in TEMPLATE.splitlines():
        header = re.match(r"#?\s*\[([\w.]+)\]", line)
        if header:
            table = header[1]
            continue
        key = re.match(r"#?\s*(\w+)\s*=", line)
        if key and table:
            keys.append((table, key[1]))
    return keys


@pytest.mark.parametrize(("table", "key"), _template_keys())
def test_every_key_the_template_documents_is_in_the_schema(table: str, key: str) -> None:
    assert key in _table(table)["properties"], f"[{table}] {key}"


def _objects(node: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = [(path, node)]
    for name, child in node.get("properties", {}).items():
        resolved = _resolve(child)
        if resolved.get("type") == "object" or "properties" in resolved:
            found += _objects(resolved, f"{path}.{name}".lstrip("."))
    return found


@pytest.mark.parametrize(("path", "node"), _objects(SCHEMA), ids=lambda v: v if isinstance(v, str) else "")
def test_every_table_refuses_unknown_keys_as_the_loader_does(path: str, node: dict[str, Any], tmp_path: Path) -> None:
    assert node.get("additionalProperties") is False
    header = f"[{path}]\n" if path else ""
    (tmp_path / "delib.toml").write_text(f"{header}no_such_key = 1\n")
    with pytest.raises(ProjectError, match="no_such_key"):
        load_project(tmp_path)


def _toml(value: Any) -> str:
    return json.dumps(value)  # strings, numbers, booleans and arrays of them read the same in TOML


def test_the_schema_defaults_load_as_the_model_defaults(tmp_path: Path) -> None:
    lines = []
    optional = {f"{t}.{k}" for t, n in _objects(SCHEMA) for k, v in n.get("properties", {}).items()
                if "anyOf" in v and v.get("default") is None}  # a table that is off unless given ([sft.lora])
    for path, node in _objects(SCHEMA):
        if not path or path in optional:
            continue
        values = {k: v["default"] for k, v in node["properties"].items()
                  if "default" in v and v["default"] is not None and not isinstance(v["default"], dict)
                  and not v.get("deprecated")}
        lines += [f"[{path}]", *(f"{k} = {_toml(v)}" for k, v in values.items())]
    (tmp_path / "delib.toml").write_text("\n".join(lines) + "\n")
    loaded = load_project(tmp_path)
    assert loaded.model_dump() == Project(root=tmp_path.resolve()).model_dump()


def test_root_is_not_a_key_and_old_names_are_deprecated() -> None:
    assert "root" not in SCHEMA["properties"] and "required" not in SCHEMA
    assert SCHEMA["$schema"].endswith("2020-12/schema") and SCHEMA["title"] == "delib.toml"
    generate, rewards = _table("generate")["properties"], _table("rl.rewards")["properties"]
    assert generate["judge_tokens"]["deprecated"] and not generate["verdict_tokens"].get("deprecated")
    assert rewards["judge_tokens"]["deprecated"] and not rewards["verdict_tokens"].get("deprecated")


def test_delib_schema_project_prints_it(delib_cli: Any) -> None:
    code, stdout, _ = delib_cli("schema", "--project")
    assert code == 0 and json.loads(stdout) == SCHEMA
    code, stdout, _ = delib_cli("schema", "--json")
    assert code == 0 and "sections" in json.dumps(json.loads(stdout))
