"""Every command that reads rows accepts the same file: a byte-order mark, `\\r\\n` line ends, text holding
U+2028 (a line break to `str.splitlines`, plain text to JSON) and the conversation in a `messages` column.
(`delib eval-judge` once refused `messages`, and the SFT data reader a byte-order mark.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from compiler import retrieval
from compiler.record_files import read_jsonl  # the JSONL reader under `delib train sft` data
from trainer import evaluation, generation, training

TURNS = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Roast me,\u2028gently."}]
ROW = {"id": "r1", "messages": TURNS, "category": "insults", "response": "Sure: your plants are thriving.",
       "completion": [{"role": "assistant", "content": "Sure."}]}
LABEL = {"eval-judge": "comply"}
"""A labelled answer's `label` is its style; a prompt's (optional) label is safe or unsafe."""


def _text(rows: list[Any]) -> list[str]:
    return [str(r.text if hasattr(r, "text") else r.prompt if hasattr(r, "prompt") else r) for r in rows]


READERS: dict[str, Callable[[Path], list[str]]] = {
    "generate": lambda p: [r.prompt[-1]["content"] for r in generation.read_prompts(p)],
    "eval": lambda p: _text(list(evaluation.read_prompt_file(p))),
    "eval-judge": lambda p: _text(list(evaluation.read_labeled_file(p))),
    "retrieve": lambda p: retrieval.read_prompts(p),
    "eval-retrieval": lambda p: [r.prompt for r in retrieval.read_labeled(p)],
    "train-rl": lambda p: [r["prompt"][-1]["content"] for r in training.load_prompts(p, ["insults"])[0]],
    "train-sft-data": lambda p: [r["messages"][-1]["content"] for r in read_jsonl(p)],
}


@pytest.mark.parametrize("reader", sorted(READERS))
def test_every_reader_takes_the_same_file(reader: str, tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    line = json.dumps(ROW | {"label": LABEL.get(reader, "safe")}, ensure_ascii=False)
    path.write_bytes(("\ufeff" + line + "\r\n" + line.replace("r1", "r2") + "\r\n").encode())
    assert READERS[reader](path) == ["Roast me,\u2028gently."] * 2
