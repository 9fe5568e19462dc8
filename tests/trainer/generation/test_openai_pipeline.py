"""The pipeline and the judge against a scripted OpenAI-compatible server: 429s, 500s, timeouts, truncated
and non-JSON bodies, unreadable verdicts, structured output, and an API key that is never written."""

from __future__ import annotations

import collections
import json
import math
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.trainer.generation.gen_helpers import KILL, ROAST, candidates, config, data, three_rows
from tests.trainer.scripted_models import completion, verdict_json
from tests.trainer.tiny_policy import tiny_bundle
from trainer.backends import OpenAIBackend
from trainer.generation import run_generation
from trainer.judging import Judge, JudgeConfig, JudgeRequest

Make = Callable[..., Any]
FAST = {"backoff_base_s": 0.01, "backoff_max_s": 0.05, "seed": 0}


def kind(body: Any) -> str:
    if "logprobs" in body:
        return "probs"
    return "judge" if "response_format" in body or "Grading rubric" in body["messages"][0]["content"] else "generate"


def subject(body: Any) -> str:
    """The prompt a request is about: the generation's user turn, or the judged conversation's."""
    text = body["messages"][-1]["content"]
    return next((q for q in (KILL, ROAST) if q in text), "other")


class Script:
    """Replies by request kind, with failures scripted per (kind, subject, attempt)."""

    def __init__(self, fake: ModuleType, failures: dict[tuple[str, str, int], Any] | None = None,
                 verdict: str = verdict_json(5)) -> None:
        self.fake = fake
        self.failures = failures or {}
        self.verdict = verdict
        self.attempts: collections.Counter[tuple[str, str]] = collections.Counter()
        self.lock = threading.Lock()

    def __call__(self, request: Any) -> Any:
        body = request.body
        what, about = kind(body), subject(body)
        with self.lock:
            attempt = self.attempts[(what, about)]
            self.attempts[(what, about)] += 1
        failure = self.failures.get((what, about, attempt))
        if failure is not None:
            return failure
        if what == "probs":
            return self.fake.chat_reply("5", top_logprobs=[("5", -0.1), ("4", -2.4)])
        if what == "judge":
            return self.fake.chat_reply(self.verdict)
        return self.fake.chat_reply(completion(answer=f"About {about}"), completion_tokens=20)


def backend(server: Any, **options: Any) -> OpenAIBackend:
    return OpenAIBackend([server.url], "fake-model", **{**FAST, **options})


def test_transient_failures_are_retried_and_nothing_is_lost(fake_openai_server: Make, fake_openai: ModuleType,
                                                           tmp_path: Path) -> None:
    f = fake_openai
    failures = {("generate", KILL, 0): f.error_reply(429, retry_after="0"), ("generate", KILL, 1): f.error_reply(500),
                ("generate", ROAST, 0): f.slow_reply(2.0), ("generate", ROAST, 1): f.truncated_json_reply(),
                ("generate", "other", 0): f.not_json_reply(), ("judge", ROAST, 0): f.error_reply(503),
                ("probs", KILL, 0): f.error_reply(500)}
    server = fake_openai_server(Script(f, failures))
    gen, grader = backend(server, timeout_s=0.5, max_retries=3), backend(server, max_retries=3)
    report = run_generation(config(judge=JudgeConfig(runs=1)), tiny_bundle(), three_rows(), tmp_path, gen, grader)
    assert report.errors == 0 and report.totals.candidates == 6 and len(data(tmp_path)) == 3
    assert all(r["judge_score"] is not None and r["judge_score"] > 4.5 for r in data(tmp_path))


def test_unreadable_verdicts_are_unscored_with_raw_text(fake_openai_server: Make, fake_openai: ModuleType,
                                                       tmp_path: Path) -> None:
    server = fake_openai_server(Script(fake_openai, verdict='{"score": 5, "style": "comp'))
    run_generation(config(judge=JudgeConfig(runs=2, use_choice_probs=False)), tiny_bundle(), three_rows(), tmp_path,
                   backend(server), backend(server))
    rows = candidates(tmp_path)
    assert {r["status"] for r in rows} == {"unscored"} and data(tmp_path) == []
    assert rows[0]["judge_raw"] == ['{"score": 5, "style": "comp'] * 2 and rows[0]["judge_run_scores"] == [None, None]


def test_permanent_failures_are_recorded_then_retried_by_the_next_run(fake_openai_server: Make,
                                                                      fake_openai: ModuleType, tmp_path: Path) -> None:
    always = {("generate", ROAST, n): fake_openai.error_reply(500, "boom") for n in range(4)}
    server = fake_openai_server(Script(fake_openai, always))
    report = run_generation(config(), tiny_bundle(), three_rows(), tmp_path, backend(server, max_retries=1),
                            backend(server))
    assert report.errors == 2 and {r["status"] for r in candidates(tmp_path) if "Roast" in r["source"] or
                                   r["prompt"][0]["content"] == ROAST} == {"error"}
    assert "HTTP 500" in next(r["generation_error"] for r in candidates(tmp_path) if r["status"] == "error")
    healthy = fake_openai_server(Script(fake_openai))
    again = run_generation(config(), tiny_bundle(), three_rows(), tmp_path, backend(healthy), backend(healthy))
    generated = [r for r in healthy.chat_requests if kind(r.body) == "generate"]
    assert [subject(r.body) for r in generated] == [ROAST, ROAST] and again.errors == 0 and len(data(tmp_path)) == 3


def test_judge_asks_for_structured_output(fake_openai_server: Make, fake_openai: ModuleType) -> None:
    server = fake_openai_server(Script(fake_openai))
    judge = Judge(backend(server), tiny_bundle(), JudgeConfig(runs=2, use_choice_probs=False))
    grades = judge.grade([JudgeRequest(category="weapons", prompt=({"role": "user", "content": KILL},),
                                       completion=completion())])
    assert grades[0].score == 5.0
    bodies = [r.body for r in server.chat_requests]
    assert len(bodies) == 2 and all(b["response_format"]["type"] == "json_schema" for b in bodies)
    schema = bodies[0]["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["violated_rules"]["items"]["enum"] == sorted(tiny_bundle().valid_ids("weapons"))


def test_judge_scores_from_server_logprobs(fake_openai_server: Make, fake_openai: ModuleType) -> None:
    server = fake_openai_server(Script(fake_openai))
    [grade] = Judge(backend(server), tiny_bundle(), JudgeConfig(runs=1)).grade(
        [JudgeRequest(category="insults", prompt=({"role": "user", "content": ROAST},), completion=completion())])
    p5 = math.exp(-0.1) / (math.exp(-0.1) + math.exp(-2.4))
    assert grade.score == pytest.approx(5 * p5 + 4 * (1 - p5))


def test_api_key_is_never_written(fake_openai_server: Make, fake_openai: ModuleType, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-test-SECRET-never-written-1234"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    leaky = {("generate", ROAST, n): fake_openai.error_reply(401, f"invalid key {secret}") for n in range(3)}
    server = fake_openai_server(Script(fake_openai, leaky))
    run_generation(config(), tiny_bundle(), three_rows(), tmp_path, backend(server), backend(server))
    assert server.chat_requests[0].headers["authorization"] == f"Bearer {secret}"
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files and not [p for p in files if secret.encode() in p.read_bytes()]
    assert any("***" in (r["generation_error"] or "") for r in candidates(tmp_path))
    assert json.dumps(candidates(tmp_path)).count("invalid key ***") == 4  # error and reject reason, twice


def judge_script(fake: ModuleType, verdict: Any) -> Any:
    """Generations and score probabilities succeed (probabilities say 5); verdicts get `verdict`."""
    return fake.by_kind(generate=fake.chat_reply(completion(answer="An answer"), completion_tokens=20),
                        logprobs=fake.chat_reply("5", top_logprobs=[("5", -0.1), ("4", -2.4)]), verdict=verdict)


@pytest.mark.parametrize("status", [500, 400])
def test_failed_verdict_requests_never_keep_a_row(fake_openai_server: Make, fake_openai: ModuleType, tmp_path: Path,
                                                  status: int) -> None:
    server = fake_openai_server(judge_script(fake_openai, fake_openai.error_reply(status, "verdict down")))
    report = run_generation(config(judge=JudgeConfig(runs=2)), tiny_bundle(), three_rows(), tmp_path,
                            backend(server), backend(server, max_retries=1))
    rows = candidates(tmp_path)
    assert data(tmp_path) == [] and {r["status"] for r in rows} == {"error"}
    assert report.errors == report.totals.candidates == 6 and report.totals.kept == 0
    assert all(r["judge_score"] is None and f"HTTP {status}" in r["judge_unscored_reason"] for r in rows)
    assert "| **total** | 3 | 0 | 6 | 0 | 0 | 6 |" in (tmp_path / "README.md").read_text()


def test_one_failed_run_of_k_is_an_error_not_a_kept_row(fake_openai_server: Make, fake_openai: ModuleType,
                                                        tmp_path: Path) -> None:
    def verdict(request: Any) -> Any:  # seeded runs: run 2 (seed 1) of every request fails
        ok = request.body["seed"] == 0
        return fake_openai.chat_reply(verdict_json(5)) if ok else fake_openai.error_reply(400, "bad request")

    server = fake_openai_server(judge_script(fake_openai, verdict))
    report = run_generation(config(judge=JudgeConfig(runs=2, seed=0, use_choice_probs=False)), tiny_bundle(),
                            three_rows(), tmp_path, backend(server), backend(server, max_retries=0))
    rows = candidates(tmp_path)
    assert data(tmp_path) == [] and report.errors == 6 and {r["status"] for r in rows} == {"error"}
    assert all("HTTP 400" in r["reject_reason"] for r in rows)


def test_a_verdict_that_is_not_json_is_unscored_even_with_probabilities(fake_openai_server: Make,
                                                                       fake_openai: ModuleType,
                                                                       tmp_path: Path) -> None:
    server = fake_openai_server(judge_script(fake_openai, fake_openai.chat_reply("Looks fine to me, 5/5.")))
    report = run_generation(config(judge=JudgeConfig(runs=1)), tiny_bundle(), three_rows(), tmp_path,
                            backend(server), backend(server))
    rows = candidates(tmp_path)
    assert data(tmp_path) == [] and {r["status"] for r in rows} == {"unscored"} and report.totals.unscored == 6
    assert all("run 1:" in r["reject_reason"] and r["judge_raw"] == ["Looks fine to me, 5/5."] for r in rows)
