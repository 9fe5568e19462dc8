"""`delib retrain` on the command line: the dry-run plan (stale categories and why), JSON, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.trainer.policy_edits import edit_privacy


def test_dry_run_shows_the_stale_category_and_why(parent: dict[str, Path], tmp_path: Path,
                                                  delib_cli: Any) -> None:
    edit_privacy(parent["policies"])
    args = [str(parent["rl"]), "--spec", str(parent["policies"]), "-o", str(tmp_path / "out"), "--tokenizer",
            "approx", "--dry-run"]
    code, stdout, err = delib_cli("retrain", *args)
    assert code == 0, err
    assert "privacy" in stdout and "stale" in stdout and "privacy.c2" in stdout
    assert "stages sft, rl; 1 stale categories would be regenerated; nothing written" in stdout
    assert not (tmp_path / "out").exists()
    code, stdout, _ = delib_cli("retrain", *args, "--json", "--stages", "sft")
    report = json.loads(stdout)
    assert code == 0 and report["status"] == "planned" and report["stages"] == ["sft"]
    assert [c["id"] for c in report["categories"] if c["status"] == "stale"] == ["privacy"]


@pytest.mark.parametrize(("args", "message"), [
    (["--stages", "dpo"], "--stages 'dpo': unknown stage 'dpo'"),
    (["--stages", "rl", "--sft-run"], "no such option"),
])
def test_bad_options_exit_2(args: list[str], message: str, parent: dict[str, Path], tmp_path: Path,
                            delib_cli: Any) -> None:
    code, _, err = delib_cli("retrain", str(parent["sft"]), "--spec", str(parent["policies"]),
                         "-o", str(tmp_path / "out"), *args)
    assert code == 2 and message.lower() in " ".join(err.split()).lower()


def test_bad_runs_and_specs_exit_2_without_traceback(parent: dict[str, Path], tmp_path: Path,
                                                     delib_cli: Any) -> None:
    out = str(tmp_path / "out")
    cases = [
        ([str(tmp_path), "--spec", str(parent["policies"])], "not a run folder"),
        ([str(parent["sft"]), "--spec", str(parent["policies"]), "--stages", "rl"], "has no RL settings"),
        ([str(parent["sft"]), "--spec", str(tmp_path / "missing.md")], "missing.md"),
    ]
    for args, message in cases:
        code, _, err = delib_cli("retrain", *args, "-o", out, "--tokenizer", "approx")
        assert code == 2 and message in err and "Traceback" not in err, err
    # The data's recipe backend is `fake`, which answers in the format and passes every verdict: the stale
    # category's rows are regenerated and kept, and SFT continues from the run.
    edit_privacy(parent["policies"])
    code, _, err = delib_cli("retrain", str(parent["sft"]), "--spec", str(parent["policies"]),
                         "-o", out, "--tokenizer", "approx")
    assert code == 0 and "Traceback" not in err, err
    assert json.loads((tmp_path / "out" / "retrain.json").read_text())["status"] == "completed"
