"""`delib retrain`: edit one category of policies/, and exactly that category's rows are regenerated; the
new runs continue from the parent and say so in their manifests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compiler import load_bundle
from tests.trainer.policy_edits import edit_privacy
from tests.trainer.scripted_models import FakeJudge, generate_calls, generator, judge
from trainer.generation import read_jsonl
from trainer.retrain import REPORT_JSON, REPORT_MD, RetrainError, RetrainOptions, RetrainReport, prepare, retrain
from trainer.training import read_manifest
from trainer.training.errors import RunStateError


def _rows(folder: Path) -> dict[str, list[dict[str, Any]]]:
    by_category: dict[str, list[dict[str, Any]]] = {}
    for row in read_jsonl(folder / "data.jsonl"):
        by_category.setdefault(str(row["category"]), []).append(row)
    return by_category


def test_editing_one_category_regenerates_exactly_its_rows(parent: dict[str, Path], tmp_path: Path) -> None:
    edit_privacy(parent["policies"])
    gen, grader = generator(), judge()
    out = tmp_path / "retrain"
    report = retrain(parent["rl"], [str(parent["policies"])], out, RetrainOptions(tokenizer="approx"),
                     backend=gen, judge=grader, rl_judge=FakeJudge())

    assert report.status == "completed" and report.stages == ("sft", "rl")
    changes = {c.id: c for c in report.categories}
    assert [c.id for c in report.stale] == ["privacy"]
    assert "privacy.c2" in (changes["privacy"].reason or "")  # the diff's reason: the rule that changed
    assert all(c.status == "unchanged" for cid, c in changes.items() if cid != "privacy")
    assert (changes["privacy"].regenerated, changes["privacy"].reused) == (2, 0)
    for cid in ("violence", "cyber"):
        assert (changes[cid].regenerated, changes[cid].reused) == (0, changes[cid].rows_before) and changes[cid].reused

    # Only the privacy prompts reached the generator; every other row is byte-identical to the parent's.
    sent = [c[-1]["content"] for c in generate_calls(gen)]
    assert sorted(sent) == sorted(f"Question {i} about privacy?" for i in range(2) for _ in range(2))
    old, new = _rows(parent["data"]), _rows(out / "data")
    assert new["violence"] == old["violence"] and new["cyber"] == old["cyber"]
    new_hash = load_bundle(out / "bundle").category_hash("privacy")
    assert {r["category_hash"] for r in new["privacy"]} == {new_hash} != {r["category_hash"] for r in old["privacy"]}

    # The new runs continue from the parent and record it.
    sft, rl = read_manifest(out / "sft" / "run.json"), read_manifest(out / "rl" / "run.json")
    assert sft is not None and rl is not None
    assert sft.parent_run == str(parent["rl"]) and rl.parent_run == str(out / "sft")
    assert sft.category_hashes["privacy"] == new_hash and rl.bundle == str(out / "rl" / "bundle")
    assert (out / "rl" / "final" / "config.json").is_file()
    saved = RetrainReport.model_validate_json((out / REPORT_JSON).read_text())
    assert saved == report and "| `privacy` | stale | 2 | 2 | 2 | 0 |" in (out / REPORT_MD).read_text()

    # Rerunning the same retrain does nothing new: no model call, the runs are complete.
    again_gen = generator()
    again = retrain(parent["rl"], [str(parent["policies"])], out, RetrainOptions(tokenizer="approx"),
                    backend=again_gen, judge=judge(), rl_judge=FakeJudge())
    assert again.status == "completed" and again_gen.calls == [] and again.generated == 0


def test_unchanged_spec_plans_nothing_stale_and_bad_input_is_refused(parent: dict[str, Path],
                                                                     tmp_path: Path) -> None:
    prep = prepare(parent["sft"], [str(parent["policies"])], tmp_path / "plan", RetrainOptions(tokenizer="approx"))
    assert prep.stages == ("sft",) and prep.report.stale == ()
    with pytest.raises(RetrainError, match="an SFT run has no RL settings"):
        prepare(parent["sft"], [str(parent["policies"])], tmp_path / "plan", RetrainOptions(stages=("rl",)))
    with pytest.raises(RunStateError, match="not a run folder"):
        prepare(tmp_path, [str(parent["policies"])], tmp_path / "plan", RetrainOptions())
    with pytest.raises(RunStateError, match="holds the run being retrained"):
        retrain(parent["sft"], [str(parent["policies"])], parent["sft"] / "x", RetrainOptions())
    (parent["policies"] / "safety.md").write_text("---\nid: x\n---\n# A {#a}\n[?](#nowhere)\n", encoding="utf-8")
    with pytest.raises(Exception, match="lint error"):
        prepare(parent["sft"], [str(parent["policies"])], tmp_path / "plan", RetrainOptions(tokenizer="approx"))
