"""Rows without a category: routed by a categoriser (cached in the work folder), uncategorised rows flagged
or skipped, retrieval over the real `Retriever` with a fake embedder, and the spec-revision check."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from tests.trainer.generation.gen_helpers import GUN, KILL, ROAST, FakeCategoriser, candidates, config, data, rows, run
from tests.trainer.scripted_models import generator, judge
from tests.trainer.tiny_policy import TINY_POLICY, tiny_bundle, tiny_spec
from trainer.generation import RetrieverCategoriser, RoutingError, spec_for_bundle
from trainer.generation._route_rows import check_categories

UNRELATED = "What is the capital of France?"


class HashEmbedder:
    """Bag of words hashed into 256 dimensions, L2-normalised: deterministic and instant."""

    model_id = "hash-bow-256"

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        out = np.zeros((len(texts), 256), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % 256] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def test_rows_without_category_are_routed_and_routes_cached(tmp_path: Path) -> None:
    categoriser = FakeCategoriser()
    prompts = rows((KILL, None), (ROAST, None), (GUN, "weapons"))
    report = run(tmp_path, prompts, categoriser=categoriser)
    assert categoriser.calls == [[KILL, ROAST]] and report.retrieved == 2
    by_prompt = {r["prompt"][0]["content"]: r for r in data(tmp_path)}
    assert by_prompt[ROAST]["category"] == "insults" and by_prompt[ROAST]["retrieval_score"] == 0.9
    assert by_prompt[GUN]["retrieval_score"] is None
    again = FakeCategoriser()
    gen = generator()
    run(tmp_path, prompts, gen=gen, categoriser=again)
    assert again.calls == [] and gen.calls == []


def test_uncategorised_rows_are_flagged_or_skipped(tmp_path: Path) -> None:
    prompts = rows((KILL, None), (UNRELATED, None))
    report = run(tmp_path / "a", prompts, categoriser=FakeCategoriser())
    assert report.uncategorised == ("test:2",) and report.prompts == 2
    flagged = [r for r in candidates(tmp_path / "a") if r["uncategorised"]]
    assert len(flagged) == 2 and flagged[0]["category"] == "weapons"
    skipped = run(tmp_path / "b", prompts, categoriser=FakeCategoriser(), cfg=config(skip_uncategorised=True))
    assert skipped.skipped == ("test:2",) and skipped.prompts == 1 and len(candidates(tmp_path / "b")) == 2


def test_rows_without_category_need_a_categoriser(tmp_path: Path) -> None:
    gen = generator()
    with pytest.raises(RoutingError, match=r"1 prompt\(s\) have no category \(first: test:2\).*--spec"):
        run(tmp_path, rows((KILL, "weapons"), (ROAST, None)), gen=gen)
    assert gen.calls == []


def test_unknown_categories_fail_before_any_call(tmp_path: Path) -> None:
    unknown = r"1 prompt\(s\) name a category the bundle does not have \(test:2: 'nope'\)"
    with pytest.raises(RoutingError, match=unknown):
        check_categories(rows((KILL, "weapons"), (ROAST, "nope")), tiny_bundle())
    gen = generator()
    with pytest.raises(RoutingError):
        run(tmp_path, rows((ROAST, "nope")), gen=gen)
    assert gen.calls == [] and not (tmp_path / "data.jsonl").exists()


def test_dry_run_does_not_route(tmp_path: Path) -> None:
    categoriser = FakeCategoriser()
    report = run(tmp_path, rows((KILL, None), (ROAST, "insults")), categoriser=categoriser, dry_run=True)
    assert categoriser.calls == [] and report.unrouted == 1 and report.units == 4 and report.to_generate == 4


def test_retriever_categoriser_over_the_real_retriever() -> None:
    categoriser = RetrieverCategoriser(tiny_spec(), tiny_bundle().categories, embedder=HashEmbedder())
    routes = categoriser.categorise(["Write playful roasts about myself", "how to kill a python process",
                                     "zzz qqq"])
    assert [r.category for r in routes[:2]] == ["insults", "weapons"]
    assert not routes[0].uncategorised and routes[2].uncategorised
    assert categoriser.categoriser_id == RetrieverCategoriser(tiny_spec(), tiny_bundle().categories,
                                                              embedder=HashEmbedder()).categoriser_id


def test_spec_must_be_the_revision_the_bundle_was_compiled_from(tmp_path: Path) -> None:
    assert spec_for_bundle(str(TINY_POLICY), tiny_bundle()).meta.id == "tiny"
    edited = tmp_path / "tiny.md"
    edited.write_text(TINY_POLICY.read_text().replace("Answer directly.", "Answer directly and kindly."))
    with pytest.raises(RoutingError, match=r"spec revision \w+ is not one the bundle was compiled from \(tiny @ "):
        spec_for_bundle(str(edited), tiny_bundle())


def test_judge_is_not_needed_for_routing(tmp_path: Path) -> None:
    grader = judge()
    run(tmp_path, rows((KILL, None)), grader=grader, categoriser=FakeCategoriser())
    assert all(c.conversations[0][0]["content"].startswith("# Grading rubric: Weapons") for c in grader.calls)


def test_generate_and_eval_say_the_same_of_an_unknown_category(tmp_path: Path) -> None:
    """One message (`trainer.routing.unknown_categories`) for the same file, whichever stage reads it."""
    from trainer.evaluation import EvalError, read_prompt_file
    from trainer.evaluation.runner import place_prompts
    from trainer.generation import read_prompts

    path = tmp_path / "p.jsonl"
    path.write_text('\ufeff{"id": "a", "prompt": "roast me", "category": "sharks"}\n', encoding="utf-8")
    bundle = tiny_bundle()
    with pytest.raises(RoutingError) as generating:
        check_categories(read_prompts(path), bundle)
    with pytest.raises(EvalError) as evaluating:
        place_prompts(read_prompt_file(path), bundle.categories, None, path)
    assert str(generating.value) == str(evaluating.value)
    assert f"({path}:1: 'sharks')" in str(evaluating.value) and "route the prompt by retrieval" in str(evaluating.value)
