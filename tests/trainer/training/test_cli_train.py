"""`delib train sft|rl` as a user runs them: exit codes and one-line errors (nothing is trained here)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

Cli = Callable[..., tuple[int, str, str]]


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
                                            bundle_dir: Path, tiny_model_dir: Path, delib_cli: Cli) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "data.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "nocat.jsonl").write_text(json.dumps({"prompt": "hi"}) + "\n", encoding="utf-8")
    values = {"tmp": str(tmp_path), "gen": str(gen_dir), "bundle": str(bundle_dir), "tiny": str(tiny_model_dir)}
    code, out, err = delib_cli(*(a.format(**values) for a in args))
    assert code == 2, err
    assert message in err and "Traceback" not in err and out == ""
    assert not (tmp_path / "run" / "run.json").exists()


def test_help_lists_both_commands(delib_cli: Cli) -> None:
    code, out, _ = delib_cli("train", "--help")
    assert code == 0 and "sft" in out and "rl" in out
