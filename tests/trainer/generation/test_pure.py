"""Pure pieces: content keys, model identities, selection and the card's histogram."""

from __future__ import annotations

import pytest

from trainer.backends import model_identity
from trainer.generation._card import histogram
from trainer.generation._keys import prompt_key, unit_key
from trainer.generation._records import Candidate, Judgement, Sampling
from trainer.generation._report import count
from trainer.generation._select import select


@pytest.mark.parametrize(("model_id", "identity"), [
    ("openai:http://a:8000/v1,http://b:8000/v1#llama", "openai:llama"),
    ("openai:http://a:8000/v1#llama", "openai:llama"),
    ("embedded:SmolLM2-135M-Instruct-Q4_1", "embedded:SmolLM2-135M-Instruct-Q4_1"),
    ("hf:/models/x", "hf:/models/x"),
])
def test_model_identity_ignores_replicas(model_id: str, identity: str) -> None:
    assert model_identity(model_id) == identity


def test_keys_change_with_each_input() -> None:
    p = prompt_key(({"role": "user", "content": "hi"},), "weapons")
    assert p != prompt_key(({"role": "user", "content": "hi"},), "insults")
    base = unit_key(p, "c1", "s1", "gen", {"temperature": 0.7}, 0)
    variants = [unit_key(p, "c2", "s1", "gen", {"temperature": 0.7}, 0),
                unit_key(p, "c1", "s2", "gen", {"temperature": 0.7}, 0),
                unit_key(p, "c1", "s1", "other", {"temperature": 0.7}, 0),
                unit_key(p, "c1", "s1", "gen", {"temperature": 0.8}, 0),
                unit_key(p, "c1", "s1", "gen", {"temperature": 0.7}, 1)]
    assert base not in variants and len(set(variants)) == 5
    assert base == unit_key(p, "c1", "s1", "gen", {"temperature": 0.7}, 0)


def test_histogram_bins_half_points_with_five_in_the_last() -> None:
    lines = histogram([1.0, 1.4, 2.0, 4.9, 5.0, 5.0])
    assert [int(line.rsplit(" ", 1)[1]) for line in lines] == [2, 0, 1, 0, 0, 0, 0, 3]
    assert lines[-1].startswith("[4.5, 5.0] ") and histogram([])[0].endswith(" 0")


def test_importing_the_packages_loads_no_heavy_library() -> None:
    import subprocess
    import sys

    code = ("import sys, trainer.generation, trainer.judging, trainer.cli; "
            "print(sorted(m for m in ('torch', 'transformers', 'datasets', 'numpy', 'faiss', 'openai', 'pyarrow') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def _candidate(score: float | None, run_scores: tuple[float | None, ...], errors: tuple[str | None, ...] = (),
               problems: tuple[str | None, ...] = ()) -> Candidate:
    judgement = Judgement(key="j", model="judge", score=score, run_scores=run_scores,
                          rationales=(None,) * len(run_scores), raw=("",) * len(run_scores),
                          unscored_reason=None if score is not None else "no run scored", errors=errors,
                          problems=problems, violated_rules=(), style=None)
    return Candidate(key="u", prompt_key="p", prompt=({"role": "user", "content": "hi"},), source="t:1",
                     category="weapons", retrieval_score=None, uncategorised=False, sample_index=0, spec_revision="r",
                     category_hash="c", template_hash="t", system_prompt_hash="s", generator_model="g",
                     sampling=Sampling(temperature=0.7, top_p=1.0, max_new_tokens=64, seed=None),
                     completion="x", finish_reason="stop", generation_error=None, prompt_tokens=1,
                     completion_tokens=1, well_formed=True, format_problems=(), decision=None, judgement=judgement)


@pytest.mark.parametrize(("candidate", "status", "reason"), [
    (_candidate(5.0, (5.0, 5.0)), "kept", None),
    (_candidate(5.0, (5.0, None), errors=(None, "HTTP 500"), problems=(None, "backend error: HTTP 500")),
     "error", "run 2: backend error: HTTP 500"),
    (_candidate(1.0, (1.0, None), errors=(None, "HTTP 400"), problems=(None, "backend error: HTTP 400")),
     "error", "run 2: backend error: HTTP 400"),
    (_candidate(4.8, (4.8,), problems=("not JSON",)), "unscored", "run 1: not JSON"),
    (_candidate(4.0, (None, 4.0), problems=("not JSON", None)), "unscored", "run 1: not JSON"),
    (_candidate(None, (None,), problems=("not JSON",)), "unscored", "no run scored"),
])
def test_only_complete_judgements_are_kept_and_failures_are_errors(candidate: Candidate, status: str,
                                                                   reason: str | None) -> None:
    [outcome] = select([candidate], threshold=3.0)
    assert (outcome.status, outcome.reason) == (status, reason)
    assert count([outcome])["weapons"].model_dump()[{"error": "errors"}.get(status, status)] == 1
