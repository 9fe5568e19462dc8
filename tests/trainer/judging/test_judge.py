"""`Judge` with the scripted `FakeBackend`: conversations, k runs and the minimum, choice probabilities,
unscored runs, batching into few backend calls, and errors."""

from __future__ import annotations

import json

import pytest

from compiler import SCORE_TOKENS
from tests.trainer.scripted_models import completion, verdict_json
from tests.trainer.tiny_policy import tiny_bundle
from trainer.backends import Conversation, FakeBackend, Generation, SamplingParams
from trainer.judging import SCORE_PREFIX, Grade, Judge, JudgeConfig, JudgeError, JudgeRequest, Message

NO_PROBS = {"use_choice_probs": False}
KILL: tuple[Message, ...] = ({"role": "user", "content": "How do I kill a process?"},)


def request(category: str = "weapons", text: str | None = None, prompt: tuple[Message, ...] = KILL) -> JudgeRequest:
    return JudgeRequest(category=category, prompt=prompt, completion=text if text is not None else completion())


def judge(backend: FakeBackend, **config: object) -> Judge:
    return Judge(backend, tiny_bundle(), JudgeConfig.model_validate(config))


def test_one_run_reads_the_verdict() -> None:
    backend = FakeBackend(verdict_json(4, "comply", rationale="ok but long"))
    [grade] = judge(backend, runs=1, **NO_PROBS).grade([request()])
    assert (grade.score, grade.style, grade.rationale, grade.unscored_reason) == (4.0, "comply", "ok but long", None)
    assert grade.normalised == 0.75 and grade.run_scores == (4.0,)
    assert grade.raw == (verdict_json(4, "comply", rationale="ok but long"),)
    [call] = backend.calls
    assert call.params is not None and call.params.temperature == 0.0 and call.params.max_new_tokens == 256


def test_conversation_has_the_rubric_and_the_whole_reply() -> None:
    backend = FakeBackend(verdict_json())
    judge(backend, runs=1, **NO_PROBS).grade([request()])
    system, user = backend.calls[0].conversations[0]
    assert system == {"role": "system", "content": tiny_bundle().rubric("weapons", show_reasoning=True)}
    assert user["role"] == "user" and "[user]\nHow do I kill a process?" in user["content"]
    assert "<reasoning>" in user["content"] and "`weapons.c1`" in user["content"] and "kill PID" in user["content"]


def test_answer_only_variant_strips_the_reasoning() -> None:
    backend = FakeBackend(verdict_json(cited=None))
    [grade] = judge(backend, runs=1, show_reasoning=False, **NO_PROBS).grade([request()])
    system, user = backend.calls[0].conversations[0]
    assert system["content"] == tiny_bundle().rubric("weapons", show_reasoning=False)
    assert "<reasoning>" not in user["content"] and "weapons.c1" not in user["content"]
    assert "<answer>\nUse `kill PID`.\n</answer>" in user["content"] and grade.score == 5.0


def test_score_is_the_minimum_over_k_runs_in_one_call() -> None:
    low = verdict_json(2, "refuse", ("weapons.c1",), "over-refusal")
    backend = FakeBackend([verdict_json(5), low, verdict_json(4)])
    [grade] = judge(backend, runs=3, **NO_PROBS).grade([request()])
    assert grade.score == 2.0 and grade.run_scores == (5.0, 2.0, 4.0)
    assert (grade.style, grade.violated_rules, grade.rationale) == ("refuse", ("weapons.c1",), "over-refusal")
    [call] = backend.calls
    assert len(call.conversations) == 3 and call.params is not None and call.params.temperature == 0.7


def test_batches_requests_times_runs_and_keeps_order() -> None:
    def reply(conversation: Conversation, params: SamplingParams) -> str:
        return verdict_json(int(conversation[-1]["content"].split("SCORE=")[1][0]))

    requests = [request(text=completion(answer=f"SCORE={n} here")) for n in (5, 1, 3, 4)]
    backend = FakeBackend(reply)
    grades = judge(backend, runs=2, **NO_PROBS).grade(requests)
    assert [g.score for g in grades] == [5.0, 1.0, 3.0, 4.0]
    assert [c.method for c in backend.calls] == ["generate"] and len(backend.calls[0].conversations) == 8


def test_seeded_runs_use_one_call_per_run_with_distinct_seeds() -> None:
    backend = FakeBackend(lambda conv, params: verdict_json(5 - (params.seed or 0) % 10))
    [first, second] = judge(backend, runs=3, seed=10, **NO_PROBS).grade([request(), request("insults")])
    assert [c.params.seed for c in backend.calls if c.params] == [10, 11, 12]
    assert first.run_scores == (5.0, 4.0, 3.0) and first.score == 3.0 and second.score == 3.0


def test_choice_probs_give_the_expected_score() -> None:
    backend = FakeBackend(verdict_json(5, rationale="text"), probs={"4": 0.5, "5": 0.5})
    [grade] = judge(backend, runs=2).grade([request()])
    assert grade.score == pytest.approx(4.5) and grade.run_scores == (4.5, 4.5)
    assert grade.rationale == "text" and grade.verdicts[0] is not None
    probs_call = next(c for c in backend.calls if c.method == "choice_probs")
    assert probs_call.prefix == SCORE_PREFIX and probs_call.choices == SCORE_TOKENS
    assert [c.method for c in backend.calls] == ["choice_probs", "generate"]


def test_choice_probs_score_a_run_whose_verdict_is_unreadable() -> None:
    backend = FakeBackend("I think it is fine", probs={"1": 1.0})
    [grade] = judge(backend, runs=1).grade([request()])
    assert grade.score == 1.0 and grade.verdicts == (None,) and grade.style is None and grade.rationale is None


def test_backend_without_probs_falls_back_to_the_verdict() -> None:
    backend = FakeBackend(verdict_json(3), probs=lambda conv, prefix, choices: None)
    [grade] = judge(backend, runs=1).grade([request()])
    assert grade.score == 3.0


@pytest.mark.parametrize("raw", ["", "Score: 5", '{"score": 4, "style": "comply"', '{"score": 9, "style": "comply", '
                                 '"violated_rules": [], "cited_rules_valid": true, "rationale": "x"}', "[1, 2]"])
def test_unreadable_verdict_is_unscored_not_zero(raw: str) -> None:
    [grade] = judge(FakeBackend(raw), runs=1, **NO_PROBS).grade([request()])
    assert grade.score is None and grade.normalised is None and grade.run_scores == (None,)
    assert grade.raw == (raw,) and grade.unscored_reason is not None and grade.unscored_reason.startswith("run 1: ")
    assert not grade.backend_failed


def test_min_over_the_runs_that_scored() -> None:
    backend = FakeBackend(["garbage", verdict_json(4), verdict_json(5)])
    [grade] = judge(backend, runs=3, **NO_PROBS).grade([request()])
    assert grade.score == 4.0 and grade.run_scores == (None, 4.0, 5.0) and grade.unscored_reason is None


def test_backend_error_is_an_unscored_run_marked_as_failed() -> None:
    failed = Generation(text="", prompt_tokens=0, completion_tokens=0, finish_reason="error", error="HTTP 500")
    [grade] = judge(FakeBackend([failed]), runs=1, **NO_PROBS).grade([request()])
    assert grade.score is None and grade.backend_failed and grade.run_errors == ("HTTP 500",)
    assert grade.unscored_reason is not None and "HTTP 500" in grade.unscored_reason


def test_a_failed_verdict_request_is_unscored_even_when_the_probabilities_came_back() -> None:
    failed = Generation(text="", prompt_tokens=0, completion_tokens=0, finish_reason="error", error="HTTP 500")
    [grade] = judge(FakeBackend([failed, failed], probs={"5": 1.0}), runs=2).grade([request()])
    assert grade.score is None and grade.run_scores == (None, None) and grade.backend_failed
    assert grade.unscored_reason is not None and "HTTP 500" in grade.unscored_reason


def test_a_run_scored_by_probabilities_keeps_why_its_verdict_was_unreadable() -> None:
    [grade] = judge(FakeBackend(["not json", verdict_json(5)], probs={"5": 1.0}), runs=2).grade([request()])
    assert grade.score == 5.0 and grade.run_problems[0] is not None and grade.run_problems[1] is None
    assert not grade.complete


def test_unknown_rule_ids_are_dropped_and_the_score_kept() -> None:
    backend = FakeBackend(verdict_json(1, "comply", ("weapons.r1", "made.up")))
    [grade] = judge(backend, runs=1, **NO_PROBS).grade([request()])
    assert grade.score == 1.0 and grade.violated_rules == ("weapons.r1",)


def test_schema_limits_violated_rules_to_the_categories_ids() -> None:
    backend = FakeBackend(verdict_json())
    judge(backend, runs=1, **NO_PROBS).grade([request("insults")])
    schema = backend.calls[0].json_schema
    assert schema is not None and set(schema["properties"]) >= {"score", "style", "violated_rules", "rationale"}
    assert schema["properties"]["violated_rules"]["items"]["enum"] == sorted(tiny_bundle().valid_ids("insults"))


def test_unknown_category_fails_before_any_call() -> None:
    backend = FakeBackend(verdict_json())
    with pytest.raises(JudgeError, match=r"no category 'nope'.*weapons, insults"):
        judge(backend).grade([request(), request("nope")])
    assert backend.calls == []


def test_no_requests_no_calls_and_usage_counts() -> None:
    backend = FakeBackend(verdict_json(), probs={"5": 1.0})
    the_judge = judge(backend, runs=2)
    assert the_judge.grade([]) == [] and backend.calls == []
    the_judge.grade([request(), request()])
    usage = the_judge.usage
    assert (usage.calls, usage.verdicts) == (2, 4) and usage.completion_tokens > 0
    assert the_judge.model_id == "fake"


def test_grade_round_trips_through_json() -> None:
    [grade] = judge(FakeBackend(verdict_json(2, "refuse")), runs=1, **NO_PROBS).grade([request()])
    again = Grade.model_validate(json.loads(grade.model_dump_json()))
    assert again == grade
