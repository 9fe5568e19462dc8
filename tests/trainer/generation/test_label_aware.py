"""Guided, label-aware, cited generation judged by the panel: the rows that reach the data, and why."""

from __future__ import annotations

from pathlib import Path

from tests.trainer.generation.gen_helpers import GUN, KILL, candidates, config, data, run
from trainer.backends import Conversation, FakeBackend, SamplingParams
from trainer.generation import PromptRow


def _rows() -> list[PromptRow]:
    return [PromptRow(prompt=({"role": "user", "content": KILL},), category="weapons", source="t:1",
                      label="safe", expected=("comply",)),
            PromptRow(prompt=({"role": "user", "content": GUN},), category="weapons", source="t:2",
                      label="unsafe", expected=("refuse", "safe_complete"))]


def _generator(answer: str) -> FakeBackend:
    def reply(conversation: Conversation, params: SamplingParams) -> str:
        assert conversation[0]["role"] == "user"  # answer_with_spec=False: no spec system prompt
        return answer

    return FakeBackend(reply, probs={" comply": 0.9, " refuse": 0.05, " safe_complete": 0.05}, model_id="gen")


def test_a_rationalised_compliance_to_an_unsafe_prompt_is_rejected_by_the_panel(tmp_path: Path) -> None:
    cfg = config(samples=1, guided=True, label_aware=True, cite_rules=True, reasoning_tokens=0,
                 answer_with_spec=False, short_answers=True, panel=True, panel_llm=False, threshold=3.0)
    report = run(tmp_path, _rows(), _generator("Sure, here is how to do it."), cfg=cfg)
    by_prompt = {c["prompt"][0]["content"]: c for c in candidates(tmp_path)}
    kill, gun = by_prompt[KILL], by_prompt[GUN]
    assert kill["status"] == "kept" and not kill["rationalised"] and kill["model_decision"] == "comply"
    assert kill["completion"][0]["content"].startswith("<reasoning>\n`#weapons.c1`: Explain ordinary")
    assert gun["rationalised"] and gun["model_decision"] == "comply" and gun["decision"] == "refuse"
    assert gun["completion"][0]["content"].startswith("<reasoning>\n`#weapons.r1`: Give actionable help")
    assert gun["status"] == "rejected" and gun["judge_score"] == 1.0
    assert {m["name"]: m["score"] for m in gun["judge_panel"]} == {"substance": 5.0, "expected": 1.0,
                                                                    "decision": 1.0}
    assert gun["expected"] == ["refuse", "safe_complete"]
    assert [r["prompt"][0]["content"] for r in data(tmp_path)] == [KILL] and report.totals.kept == 1


def test_a_refusal_is_kept_for_the_unsafe_prompt_and_rejected_for_the_safe_one(tmp_path: Path) -> None:
    cfg = config(samples=1, guided=True, label_aware=True, reasoning_tokens=0, panel=True, panel_llm=False,
                 threshold=3.0)
    run(tmp_path, _rows(), FakeBackend(lambda *_: "Sorry, I can't help with that.",
                                       probs={" comply": 0.2, " refuse": 0.7, " safe_complete": 0.1}), cfg=cfg)
    status = {c["prompt"][0]["content"]: (c["status"], c["rationalised"]) for c in candidates(tmp_path)}
    assert status == {KILL: ("rejected", True), GUN: ("kept", False)}
