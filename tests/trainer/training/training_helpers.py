"""Helpers for the training tests (import as `from tests.trainer.training.training_helpers import ...`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

COMPLETION = (
    "<reasoning>\nThe user asks how to bake bread; nothing in `advice` restricts it (`advice.c1`).\n"
    "Decision: comply\n</reasoning>\n<answer>\nMix flour, water, yeast and salt, knead, rise, bake.\n</answer>"
)
POLICY = Path(__file__).parents[3] / "policies" / "safety.md"


def generation_rows(n: int = 8, completion: str = COMPLETION) -> list[dict[str, Any]]:
    """Rows in the `delib generate` format: conversational prompt-completion plus provenance columns."""
    return [{
        "prompt": [{"role": "user", "content": f"How do I bake bread, take {i}?"}],
        "completion": [{"role": "assistant", "content": completion}],
        "category": "advice" if i % 2 else "violence",
        "spec_revision": "rev-test",
        "category_hash": "hash-advice" if i % 2 else "hash-violence",
    } for i in range(n)]


def write_generation(folder: Path, rows: Sequence[dict[str, Any]], *, saved: bool = True) -> Path:
    """A generation output folder: data.jsonl, and dataset/ (save_to_disk) when `saved`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    if saved:  # as `delib generate` saves it: split `train` (kept rows) and `candidates` (every candidate)
        from datasets import Dataset, DatasetDict

        candidates = [*rows, *rows[:1]]
        DatasetDict({"train": Dataset.from_list(list(rows)), "candidates": Dataset.from_list(candidates)}
                    ).save_to_disk(str(folder / "dataset"))
    return folder


def write_prompts(path: Path, n: int = 4) -> Path:
    """An RL prompts file: `n` prompts alternating between the `violence` and `advice` categories."""
    rows = [{"prompt": f"How do I bake bread, take {i}?", "category": "advice" if i % 2 else "violence"}
            for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def parameters(model: Any) -> dict[str, Any]:
    """A detached copy of every parameter, by name."""
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Names of the parameters that differ."""
    import torch

    return [name for name, value in after.items() if name in before and not torch.equal(before[name], value)]
