"""The demo's prompt sets: train, eval and dev never share a prompt, with or without SpecBench beside us."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from spec_lang import load
from trainer import demo


def _text(row: dict[str, Any]) -> str:
    prompt = row["prompt"]
    return " ".join((prompt if isinstance(prompt, str) else prompt[-1]["content"]).lower().split())


def _check_disjoint(sets: dict[str, list[dict[str, Any]]], dev: list[dict[str, Any]]) -> None:
    train, held_out, choose = ({_text(r) for r in rows} for rows in (sets["train"], sets["eval"], dev))
    assert held_out and choose and train
    assert not train & held_out and not train & choose and not held_out & choose
    assert all("category" in r for r in sets["rl"]) and {_text(r) for r in sets["rl"]} <= train
    for rows in (*sets.values(), dev):
        assert {r["label"] for r in rows} == {"safe", "unsafe"}


def test_written_prompts_are_one_side_each() -> None:
    train = {_text(r) for r in demo._written(demo.DEMO_PROMPTS)}
    dev = {_text(r) for r in demo._written(demo.DEV_PROMPTS)}
    held_out = {_text(r) for r in demo._written(demo.EVAL_PROMPTS)}
    assert (len(train), len(dev), len(held_out)) == (207, 56, 60)  # no prompt repeated
    assert not train & dev and not held_out & (train | dev)
    categories = {c.id for c in load(str(demo.DEMO_POLICY)).spec.categories}
    for path in (demo.DEMO_PROMPTS, demo.DEV_PROMPTS, demo.EVAL_PROMPTS):
        assert {r["category"] for r in demo._written(path)} <= categories, path
    assert {r["source"] for r in demo._written(demo.EVAL_PROMPTS)} == {demo.EVAL_SOURCE}


@pytest.mark.slow
def test_written_eval_prompts_are_no_near_copies_of_training_or_dev_prompts() -> None:
    """What `EVAL_PROMPTS` promises: every one further than 0.7 cosine (MiniLM) from every train and dev prompt."""
    import numpy as np

    from compiler.retrieval import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    held_out = np.asarray(embedder.encode([_text(r) for r in demo._written(demo.EVAL_PROMPTS)]))
    seen = np.asarray(embedder.encode([_text(r) for path in (demo.DEMO_PROMPTS, demo.DEV_PROMPTS)
                                       for r in demo._written(path)]))
    assert float((held_out @ seen.T).max()) < 0.7


@pytest.mark.parametrize(("source", "family"), [
    ("specbench/Code/prompts.json#78", "SpecBench"), (demo.EVAL_SOURCE, "written (everyday, harmful)"),
    ("delib demo (written for the demo)", "written (everyday, harmful)"),
    ("xstest:12", "XSTest"), ("spec#refusal_style", "spec examples"), ("safety#weapons", "spec examples")])
def test_source_family(source: str, family: str) -> None:
    assert demo.source_family(source) == family


def test_sets_without_specbench_are_disjoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A fresh clone without the shared data: the eval side is the examples' eval split, never the train prompts."""
    monkeypatch.setattr(demo, "SPECBENCH", tmp_path / "absent")
    monkeypatch.setattr(demo, "MODEL_SPEC", tmp_path / "absent.md")
    sets = demo.prompt_sets(train_examples=(demo.DEMO_POLICY, demo.POLICIES / "safety.md"),
                            eval_examples=(demo.DEMO_POLICY, demo.POLICIES / "safety.md"))
    _check_disjoint(sets, demo.dev_set())


def test_sets_with_specbench_are_disjoint() -> None:
    if not demo.SPECBENCH.exists() or not demo.MODEL_SPEC.exists():
        pytest.skip(f"shared data missing: {demo.SPECBENCH}")
    sets, dev = demo.prompt_sets(), demo.dev_set()
    _check_disjoint(sets, dev)
    assert sum(r["id"].startswith("specbench-") for r in dev) == 2 * demo.DEV_PER_LABEL


def test_summary_prints_rates_deltas_decision_followed_and_sources(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    """The closing summary, from a real two-model `eval.json` and `rows.jsonl`: both models' keyword rates,
    the deltas, how often the trained model's answer does what its reasoning decided, and the rates by source."""
    import io

    from rich.console import Console

    from tests.trainer.evaluation.eval_helpers import FakeGrader, mini_bundle
    from trainer.backends import FakeBackend
    from trainer.evaluation import EvalPrompt, write_eval
    from trainer.evaluation.runner import EvalConfig, Placement, run_eval

    def reply(decision: str, answer: str) -> str:
        return f"<reasoning>\n`weapons.r1`\nDecision: {decision}\n</reasoning>\n<answer>\n{answer}\n</answer>"

    refusal, help_ = "Sorry, I can't help with that.", "Sure: here is how it works, step by step."
    cases = [  # id, label, source, the trained model's reply
        ("u1", "unsafe", demo.EVAL_SOURCE, reply("refuse", refusal)),
        ("u2", "unsafe", "specbench/Code/prompts.json#1", reply("comply", refusal)),  # decided comply, refused
        ("s1", "safe", demo.EVAL_SOURCE, reply("comply", help_)),
        ("s2", "safe", "spec#x", reply("comply", help_)),
    ]
    prompts = [EvalPrompt(id=pid, messages=({"role": "user", "content": pid},), category="weapons", label=label,
                          expected=(), meta={"source": source}, line=i + 1)
               for i, (pid, label, source, _) in enumerate(cases)]
    replies = {pid: text for pid, _, _, text in cases}
    trained = FakeBackend(lambda c, p: replies[c[-1]["content"]], model_id="trained")
    base = FakeBackend(lambda c, p: help_, model_id="base")
    report, rows = run_eval([trained, base], FakeGrader(lambda r: (3.0, None)), mini_bundle(), prompts,
                            [Placement("weapons", "file")] * len(cases), EvalConfig(resamples=200),
                            judge_id="fake", prompts_path="p.jsonl")
    write_eval(tmp_path / "eval", report, rows)
    monkeypatch.setattr(demo, "_state", lambda: {"eval": {"json": str(tmp_path / "eval" / "eval.json")}})
    out = io.StringIO()
    monkeypatch.setattr(demo, "console", Console(file=out, width=200))
    demo.step_summary()
    text = out.getvalue()
    assert "refused unsafe: 100% [100%, 100%] (n=2)" in text and "refused unsafe: 0% [0%, 0%] (n=2)" in text
    assert "trained - base, refused_unsafe: +100%" in text
    assert "answer does what its reasoning decided: 75%" in text and "(n=4)" in text
    assert "SpecBench" in text and "written (everyday, harmful)" in text and "spec examples" in text
