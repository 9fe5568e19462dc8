"""`delib prompts`: files written with their split, clean errors with exit 2."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from compiler.prompt_files import read_prompt_file
from tests.paths import POLICIES
from tests.trainer.promptsets.test_promptsets import _mini_specbench

Cli = Callable[..., tuple[int, str, str]]


def test_specbench_train_split_and_policy(tmp_path: Path, delib_cli: Cli) -> None:
    root = _mini_specbench(tmp_path / "sb")
    code, out, _ = delib_cli("prompts", "specbench", str(root), "-o", str(tmp_path / "t.jsonl"), "--split", "all",
                             "--policy", str(tmp_path / "sb.md"))
    assert code == 0 and "wrote 5 prompts" in out and (tmp_path / "sb.md").read_text().startswith("---\nid: specbench")
    code, out, _ = delib_cli("prompts", "specbench", str(root), "-o", str(tmp_path / "e.jsonl"), "--split", "eval",
                             "--eval-share", "1")
    assert code == 0 and len(read_prompt_file(tmp_path / "e.jsonl")) == 5
    code, out, _ = delib_cli("prompts", "specbench", str(root), "-o", str(tmp_path / "none.jsonl"), "--eval-share", "1")
    assert code == 0 and "wrote 0 prompts" in out


def test_examples_and_errors(tmp_path: Path, delib_cli: Cli) -> None:
    code, out, _ = delib_cli("prompts", "examples", str(POLICIES / "safety.md"), "-o", str(tmp_path / "x.jsonl"),
                             "--split", "all")
    rows = [json.loads(line) for line in (tmp_path / "x.jsonl").read_text().splitlines()]
    assert code == 0 and rows and {r["label"] for r in rows} == {"safe", "unsafe"}
    code, _, err = delib_cli("prompts", "specbench", str(tmp_path / "missing"), "-o", str(tmp_path / "y.jsonl"))
    assert code == 2 and "no SpecBench scenario folder" in err
    bad = tmp_path / "x.csv"
    bad.write_text("id,prompt,label\n1,hi,maybe\n", encoding="utf-8")
    code, _, err = delib_cli("prompts", "xstest", str(bad), "-o", str(tmp_path / "z.jsonl"))
    assert code == 2 and "x.csv:2" in err and not (tmp_path / "z.jsonl").exists()
