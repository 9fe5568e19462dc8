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
