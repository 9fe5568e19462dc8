"""`delib retrain --judge rm:RUN`: the data is regenerated and re-scored with a reward model; a folder
holding none is refused before anything is compiled or written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.trainer.policy_edits import edit_privacy
from tests.trainer.tiny_reward_model import tiny_encoder, tiny_reward_run
from trainer.generation import read_jsonl


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_encoder(tmp_path_factory.mktemp("tiny-bert"))


def test_retrain_judges_the_data_with_a_reward_model(parent: dict[str, Path], encoder: Path, tmp_path: Path,
                                                     delib_cli: Any) -> None:
    out = tmp_path / "out"
    args = [str(parent["sft"]), "--spec", str(parent["policies"]), "-o", str(out), "--tokenizer", "approx"]
    for extra in (["--dry-run"], []):
        code, _, err = delib_cli("retrain", *args, "--judge", f"rm:{tmp_path / 'none'}", *extra)
        assert code == 2 and "delib train judge" in err and "Traceback" not in err and not out.exists(), err

    # A head biased to score near 5 passes the parent recipe's threshold (4).
    run = tiny_reward_run(tmp_path / "judge", encoder, bias=5.0)
    edit_privacy(parent["policies"])
    code, _, err = delib_cli("retrain", *args, "--judge", f"rm:{run}")
    assert code == 0 and "Traceback" not in err, err
    report = json.loads((out / "retrain.json").read_text())
    assert report["status"] == "completed" and report["judged"] == 12  # 6 prompts x 2 samples, all re-scored
    rows = read_jsonl(out / "data" / "data.jsonl")
    assert len(rows) == 6 and {r["judge_model"] for r in rows} == {f"panel:rm:{run / 'final'}+opening"}
