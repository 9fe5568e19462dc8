"""`run_generation` with scripted backends: outputs and provenance, selection, incremental reruns,
resumption from the work log, failures recorded and retried, dry runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler import ApproxCounter, compile_spec
from tests.trainer.generation.gen_helpers import GUN, KILL, ROAST, candidates, config, data, rows, run, three_rows
from tests.trainer.scripted_models import completion, generate_calls, generator, judge, verdict_json
from tests.trainer.tiny_policy import TINY_POLICY, tiny_bundle, tiny_spec
from trainer.backends import Conversation, FakeBackend, FinishReason, Generation, SamplingParams
from trainer.generation import (
    CANDIDATE_LOG,
    WORK_DIR,
    WorkLogError,
    candidate_log,
    run_generation,
    stale_categories,
)
from trainer.generation._worklog import WorkDirLock
from trainer.judging import JudgeConfig

PROVENANCE = {"category", "retrieval_score", "uncategorised", "spec_revision", "category_hash", "template_hash",
              "system_prompt_hash", "generator_model", "judge_model", "sampling", "judge_score", "judge_run_scores",
              "judge_rationales", "judge_raw", "sample_index", "key", "prompt_key", "source"}


def test_outputs_are_trl_rows_without_the_system_prompt(tmp_path: Path) -> None:
    report = run(tmp_path)
    kept = data(tmp_path)
    assert len(kept) == 3 and report.totals.kept == 3 and report.totals.candidates == 6
    for row in kept:
        assert [m["role"] for m in row["prompt"]] == ["user"]
        assert row["completion"][0]["role"] == "assistant" and row["completion"][0]["content"].startswith("<reasoning>")
        assert set(row) >= PROVENANCE and row["status"] == "kept" and row["sample_index"] == 0
        assert row["spec_revision"] == tiny_bundle().revision
        assert row["category_hash"] == tiny_bundle().category_hash(row["category"])
        assert (row["generator_model"], row["judge_model"]) == ("fake-gen", "fake-judge")
        assert row["judge_raw"] == [verdict_json(5)] and row["judge_rationales"] == ["fine"]
    assert {r["status"] for r in candidates(tmp_path)} == {"kept", "rejected"}
    assert all("system" not in json.dumps(r["prompt"]) for r in candidates(tmp_path))


def test_dataset_and_card_are_written(tmp_path: Path) -> None:
    from datasets import load_from_disk

    run(tmp_path)
    saved = load_from_disk(str(tmp_path / "dataset"))
    assert saved["train"].num_rows == 3 and saved["candidates"].num_rows == 6
    assert saved["train"][0]["prompt"] == data(tmp_path)[0]["prompt"]
    card = (tmp_path / "README.md").read_text()
    assert "| weapons | 2 | 2 | 4 | 2 | 0 | 0 |" in card and "| insults | 1 | 1 | 2 | 1 | 0 | 0 |" in card
    assert "[4.5, 5.0] ##############################" in card and tiny_bundle().revision in card


def test_generation_sees_the_system_prompt_and_judge_the_reasoning(tmp_path: Path) -> None:
    gen, grader = generator(), judge()
    run(tmp_path, gen=gen, grader=grader)
    first = generate_calls(gen)[0]
    assert first[0] == {"role": "system", "content": tiny_bundle().system_prompt("weapons")}
    judged = generate_calls(grader)[0]
    assert judged[0]["content"] == tiny_bundle().rubric("weapons", show_reasoning=True)
    assert "<reasoning>" in judged[1]["content"]


def test_rounds_batch_prompts_times_samples(tmp_path: Path) -> None:
    gen = generator()
    run(tmp_path, gen=gen, cfg=config(batch_size=2))
    assert [len(c.conversations) for c in gen.calls] == [4, 2]


def test_best_candidate_above_threshold_is_kept(tmp_path: Path) -> None:
    scores = iter([3, 5, 2, 2, 4, 4])
    grader = FakeBackend(lambda conv, params: verdict_json(next(scores)), probs=lambda *_: None)
    run(tmp_path, grader=grader, cfg=config(threshold=4, batch_size=3))
    kept = {r["prompt"][0]["content"]: (r["sample_index"], r["judge_score"]) for r in data(tmp_path)}
    assert kept == {KILL: (1, 5.0), GUN: (0, 4.0)}
    reasons = {r["reject_reason"] for r in candidates(tmp_path) if r["status"] == "rejected"}
    assert reasons == {"score 3.00 below the threshold 4", "score 2.00 below the threshold 4",
                       "sample 0 was kept (score 4.00)"}


def test_rerun_with_nothing_changed_makes_no_model_call(tmp_path: Path) -> None:
    run(tmp_path)
    before = (tmp_path / "data.jsonl").read_bytes()
    gen, grader = generator(), judge()
    report = run(tmp_path, gen=gen, grader=grader)
    assert gen.calls == [] and grader.calls == [] and report.cached == 6 and report.to_generate == 0
    assert (tmp_path / "data.jsonl").read_bytes() == before


def test_more_samples_generate_only_the_new_ones(tmp_path: Path) -> None:
    run(tmp_path)
    gen = generator()
    report = run(tmp_path, gen=gen, cfg=config(samples=3))
    assert len(generate_calls(gen)) == 3 and report.cached == 6 and len(candidates(tmp_path)) == 9


def test_threshold_change_reselects_without_calls(tmp_path: Path) -> None:
    run(tmp_path, grader=judge(3))
    assert data(tmp_path) == []
    gen, grader = generator(), judge()
    run(tmp_path, gen=gen, grader=grader, cfg=config(threshold=3))
    assert gen.calls == [] and grader.calls == [] and len(data(tmp_path)) == 3


def test_spec_change_regenerates_only_stale_categories(tmp_path: Path) -> None:
    run(tmp_path)
    edited = tmp_path / "tiny_policy.md"
    edited.write_text(TINY_POLICY.read_text().replace("asks about themselves.", "asks about themselves or a friend."))
    new_bundle = compile_spec(tiny_spec(edited), counter=ApproxCounter())
    assert new_bundle.category_hash("insults") != tiny_bundle().category_hash("insults")
    assert new_bundle.category_hash("weapons") == tiny_bundle().category_hash("weapons")
    assert stale_categories(tmp_path, new_bundle) == ("insults",) and stale_categories(tmp_path, tiny_bundle()) == ()
    gen = generator()
    report = run(tmp_path, gen=gen, bundle=new_bundle)
    regenerated = {c[-1]["content"] for c in generate_calls(gen)}
    assert regenerated == {ROAST} and report.cached == 4 and report.to_generate == 2
    by_category = {r["category"]: r["category_hash"] for r in data(tmp_path)}
    assert by_category["insults"] == new_bundle.category_hash("insults")
    assert stale_categories(tmp_path, new_bundle) == ()


def test_new_judge_regrades_without_resampling(tmp_path: Path) -> None:
    run(tmp_path)
    gen, grader = generator(), judge(4, model_id="other-judge")
    report = run(tmp_path, gen=gen, grader=grader)
    assert gen.calls == [] and len(generate_calls(grader)) == 6 and report.to_judge == 6
    assert {r["judge_model"] for r in data(tmp_path)} == {"other-judge"}


def test_failed_generations_are_recorded_and_retried(tmp_path: Path) -> None:
    def flaky(conversation: Conversation, params: SamplingParams) -> str | Generation:
        if conversation[-1]["content"] == ROAST:
            return Generation(text="", prompt_tokens=0, completion_tokens=0, finish_reason="error", error="HTTP 503")
        return completion()

    report = run(tmp_path, gen=FakeBackend(flaky, model_id="fake-gen"))
    assert report.errors == 2 and report.totals.kept == 2
    errors = [r for r in candidates(tmp_path) if r["status"] == "error"]
    assert len(errors) == 2 and errors[0]["generation_error"] == "HTTP 503"
    assert errors[0]["reject_reason"] == "generation failed: HTTP 503"
    gen = generator()
    again = run(tmp_path, gen=gen)
    assert [c[-1]["content"] for c in generate_calls(gen)] == [ROAST, ROAST] and again.errors == 0
    assert len(data(tmp_path)) == 3 and len(candidates(tmp_path)) == 6


def test_failed_judgements_are_redone_without_resampling(tmp_path: Path) -> None:
    failed = Generation(text="", prompt_tokens=0, completion_tokens=0, finish_reason="error", error="HTTP 500")
    first = run(tmp_path, grader=FakeBackend([failed] * 6, probs=lambda *_: None, model_id="fake-judge"))
    assert {r["status"] for r in candidates(tmp_path)} == {"error"} and first.errors == 6
    assert candidates(tmp_path)[0]["reject_reason"] == "run 1: backend error: HTTP 500"
    gen, grader = generator(), judge()
    report = run(tmp_path, gen=gen, grader=grader)
    assert gen.calls == [] and report.to_judge == 6 and len(data(tmp_path)) == 3


def test_unreadable_verdicts_are_unscored_with_the_raw_text_and_final(tmp_path: Path) -> None:
    run(tmp_path, grader=FakeBackend("not json at all", probs=lambda *_: None, model_id="fake-judge"))
    rows_ = candidates(tmp_path)
    assert {r["status"] for r in rows_} == {"unscored"} and data(tmp_path) == []
    assert rows_[0]["judge_raw"] == ["not json at all"] and rows_[0]["judge_score"] is None
    assert "no JSON object" in rows_[0]["reject_reason"]
    gen, grader = generator(), judge()
    run(tmp_path, gen=gen, grader=grader)
    assert gen.calls == [] and grader.calls == []


@pytest.mark.parametrize(("text", "finish", "reason"), [
    ("Just an answer, no tags.", "stop", "not in the completion format: "),
    (completion(), "length", "truncated at max_new_tokens"),
])
def test_unkeepable_completions_are_rejected_without_a_judge_call(tmp_path: Path, text: str, finish: FinishReason,
                                                                  reason: str) -> None:
    reply = Generation(text=text, prompt_tokens=1, completion_tokens=1, finish_reason=finish)
    grader = judge()
    run(tmp_path, gen=FakeBackend(lambda *_: reply), grader=grader)
    assert grader.calls == [] and data(tmp_path) == []
    assert all(r["status"] == "rejected" and r["reject_reason"].startswith(reason) for r in candidates(tmp_path))


def test_judge_malformed_grades_them_too(tmp_path: Path) -> None:
    grader = judge()
    run(tmp_path, gen=FakeBackend("no tags"), grader=grader, cfg=config(judge_malformed=True))
    assert len(generate_calls(grader)) == 6 and data(tmp_path) == []
    assert all(r["judge_score"] == 5.0 and r["status"] == "rejected" for r in candidates(tmp_path))


def test_duplicates_are_generated_once(tmp_path: Path) -> None:
    gen = generator()
    report = run(tmp_path, rows((KILL, "weapons"), (KILL, "weapons"), (KILL, "insults")), gen=gen)
    assert report.duplicates == 1 and report.prompts == 2 and len(generate_calls(gen)) == 4


def test_seeded_samples_differ_and_use_one_call_per_sample_index(tmp_path: Path) -> None:
    gen = generator()
    run(tmp_path, gen=gen, cfg=config(seed=7, batch_size=3))
    assert [c.params.seed for c in gen.calls if c.params] == [7, 8]
    assert {r["sampling"]["seed"] for r in candidates(tmp_path)} == {7, 8}


def test_dry_run_calls_and_writes_nothing(tmp_path: Path) -> None:
    gen, grader = generator(), judge()
    report = run(tmp_path / "out", gen=gen, grader=grader, dry_run=True)
    assert gen.calls == [] and grader.calls == [] and not (tmp_path / "out").exists()
    assert (report.dry_run, report.units, report.to_generate, report.cached) == (True, 6, 6, 0)
    assert report.planned_calls == 4  # two rounds: one generate and one judge call each
    run(tmp_path / "out")
    assert run(tmp_path / "out", dry_run=True).cached == 6


def test_torn_last_line_is_ignored_and_redone(tmp_path: Path) -> None:
    run(tmp_path)
    log = tmp_path / WORK_DIR / CANDIDATE_LOG
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])
    gen = generator()
    report = run(tmp_path, gen=gen)
    assert report.log_skipped == 1 and len(generate_calls(gen)) == 1 and len(candidates(tmp_path)) == 6
    assert all(line.endswith(b"\n") for line in log.read_bytes().splitlines(keepends=True))
    assert len(candidate_log(tmp_path).load()) == 6


def test_work_log_is_compacted_to_one_line_per_unit(tmp_path: Path) -> None:
    run(tmp_path)
    assert len((tmp_path / WORK_DIR / CANDIDATE_LOG).read_text().splitlines()) == 6


def test_a_second_run_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    with WorkDirLock(tmp_path / WORK_DIR), pytest.raises(WorkLogError, match="another `delib generate`"):
        run(tmp_path)


def test_answer_only_judge_config_is_part_of_the_judge_key(tmp_path: Path) -> None:
    run(tmp_path)
    grader = judge()
    cfg = config(judge=JudgeConfig(runs=1, use_choice_probs=False, show_reasoning=False))
    run(tmp_path, grader=grader, cfg=cfg)
    assert len(generate_calls(grader)) == 6
    assert "<reasoning>" not in generate_calls(grader)[0][1]["content"]


def test_run_generation_is_the_public_entry_point(tmp_path: Path) -> None:
    report = run_generation(config(), tiny_bundle(), three_rows(), tmp_path, generator(), judge())
    assert report.outputs["data.jsonl"] == str(tmp_path / "data.jsonl") and report.generator.calls == 2
    assert report.judge.items == 6 and report.seconds > 0
