"""`delib train sft|rl` as a user runs them: exit codes and one-line errors (nothing is trained here)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from trainer.cli import main


def run_main(args: list[str], monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the console entry point (with its error handling): exit code, stdout, stderr."""
    monkeypatch.setattr(sys, "argv", ["delib", *args])
    with pytest.raises(SystemExit) as info:
        main()
    captured = capsys.readouterr()
    return int(info.value.code or 0), captured.out, captured.err


@pytest.mark.parametrize(("args", "message"), [
    (["train", "sft", "{tmp}/missing", "-o", "{tmp}/run"], "no such folder"),
    (["train", "sft", "{tmp}/empty", "-o", "{tmp}/run"], "the dataset is empty"),
    (["train", "sft", "{gen}", "-o", "{tmp}/run", "--model", "gpt-17"],
     "invalid model address 'gpt-17': no such model folder"),
    (["train", "sft", "{gen}", "-o", "{tmp}/run", "--model", "hf:{tiny}", "--trl-arg", "weight_decy=0.1"],
     "`weight_decy` is not a SFTConfig field (did you mean `weight_decay`?)"),
    (["train", "sft", "{gen}", "-o", "{tmp}/run", "--model", "hf:{tiny}", "--trl-arg", "max_steps=3"],
     "`max_steps` is set by --max-steps"),
    (["train", "rl", "{bundle}", "--prompts", "{tmp}/nocat.jsonl", "--model", "hf:{tiny}", "-o", "{tmp}/run"],
     "nocat.jsonl:1: no `category`"),
    (["train", "rl", "{tmp}", "--prompts", "{tmp}/nocat.jsonl", "--model", "hf:{tiny}", "-o", "{tmp}/run"],
     "no bundle here"),
])
def test_bad_input_exits_2_with_one_message(args: list[str], message: str, tmp_path: Path, gen_dir: Path,
                                            bundle_dir: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "data.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "nocat.jsonl").write_text(json.dumps({"prompt": "hi"}) + "\n", encoding="utf-8")
    values = {"tmp": str(tmp_path), "gen": str(gen_dir), "bundle": str(bundle_dir), "tiny": str(tiny_model_dir)}
    code, out, err = run_main([a.format(**values) for a in args], monkeypatch, capsys)
    assert code == 2, err
    assert message in err and "Traceback" not in err and out == ""
    assert not (tmp_path / "run" / "run.json").exists()


def test_help_lists_both_commands(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["train", "--help"], monkeypatch, capsys)
    assert code == 0 and "sft" in out and "rl" in out
