"""The cross-encoder reranker: passages, score combination, training lists, cache key and cache, and a real
(tiny) cross-encoder trained twice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from compiler.retrieval import (
    CrossEncoderBase,
    RerankConfig,
    Retriever,
    spec_units,
    trained_reranker,
    training_lists,
)
from compiler.retrieval._fusion import NEG
from compiler.retrieval._rerank import Passages, combine
from compiler.retrieval._rerank_data import query_text, rerank_key
from compiler.retrieval._splits import example_halves
from compiler.retrieval.evaluate import evaluate, spec_examples, wilson
from spec_lang import load
from tests.compiler.retrieval.retrieval_helpers import (
    FakeEmbedder,
    FakeRerankerBase,
    OverlapReranker,
    edited_copy,
    tiny_sentence_transformer,
    tiny_spec,
)

HOLD_REPORT = RerankConfig(holdout=("report",))


def retriever() -> Retriever:
    return Retriever.from_spec(tiny_spec(), FakeEmbedder())


@pytest.mark.parametrize(("first", "reranked", "weight", "order"), [
    # candidates are the best 2 of 4; the reranker swaps them at any weight above the first stage's spread
    ([4.0, 3.0, 2.0, 1.0], [0.0, 10.0], 2.0, [1, 0, 2, 3]),
    ([4.0, 3.0, 2.0, 1.0], [0.0, 10.0], 0.0, [0, 1, 2, 3]),
    ([4.0, 3.0, 2.0, 1.0], [10.0, 0.0], 5.0, [0, 1, 2, 3]),
    # a non-candidate never climbs above a candidate, and keeps its first-stage order among the rest
    ([1.0, 4.0, 3.0, 2.0], [-5.0, 5.0], 100.0, [2, 1, 3, 0]),
])
def test_combine_reorders_candidates_only(first: list[float], reranked: list[float], weight: float,
                                          order: list[int]) -> None:
    matrix = np.array([first], dtype=np.float32)
    candidates = np.argsort(-matrix, axis=1, kind="stable")[:, :2]
    out = combine(matrix, candidates, np.array([reranked], dtype=np.float32), weight)
    assert list(np.argsort(-out[0], kind="stable")) == order


def test_combine_leaves_categories_without_visible_units_at_the_bottom() -> None:
    first = np.array([[2.0, NEG, 1.0]], dtype=np.float32)
    out = combine(first, np.array([[0, 2, 1]]), np.array([[0.0, 1.0, 0.0]], dtype=np.float32), 10.0)
    assert out[0, 1] == NEG and out[0, 2] > out[0, 0]


def test_a_passage_is_the_heading_and_the_best_visible_units() -> None:
    r = retriever()
    units = r.index.meta.units
    passages = Passages(units, len(r.categories), r.unit_category, per_passage=2)
    locks = r.categories.index("locks")
    rows = [i for i, u in enumerate(units) if u.category == "locks" and u.kind != "title"]
    dense = np.zeros(len(units), dtype=np.float32)
    dense[rows[0]], dense[rows[1]], dense[rows[2]] = 0.9, 0.8, 0.7
    heading = next(u.text for u in units if u.category == "locks" and u.kind == "title")
    assert passages.text(locks, dense, None) == "\n".join([heading, units[rows[0]].text, units[rows[1]].text])
    hidden = np.zeros(len(units), dtype=bool)
    hidden[rows[0]] = True
    assert passages.text(locks, dense, hidden).splitlines()[1:] == [units[rows[1]].text, units[rows[2]].text]


def test_a_prose_unit_loses_its_section_title_as_a_query() -> None:
    units = spec_units(tiny_spec())
    titles = {u.text.rsplit(" > ", 1)[-1] for u in units if u.kind == "title"}
    text = next(u for u in units if u.kind == "text" and u.category == "locks")
    assert text.text.startswith("Locks and burglary: ")
    assert query_text(text, titles) == text.text.removeprefix("Locks and burglary: ")
    example = next(u for u in units if u.kind == "example")
    assert query_text(example, titles) == example.text


def test_lists_put_the_own_category_first_and_never_show_a_query_its_own_text() -> None:
    lists = training_lists(tiny_spec(), retriever(), RerankConfig(negatives=2))
    assert lists and all(len(x.passages) == 3 and x.category not in x.negatives for x in lists)
    heading = {u.category: u.text for u in spec_units(tiny_spec()) if u.kind == "title"}
    assert all(x.passages[0].startswith(heading[x.category]) for x in lists)
    assert not any(x.query in p.splitlines() for x in lists for p in x.passages)


@pytest.mark.parametrize("holdout", [("report",), ("tune",)])
def test_held_out_examples_are_neither_queries_nor_passage_text(holdout: tuple[str, ...]) -> None:
    spec = tiny_spec()
    halves = example_halves(spec)
    assert set(halves.values()) == {"tune", "report"}  # the fixture has examples in both halves
    held = {u.text for u in spec_units(spec) if u.example and halves[u.example] in holdout}
    kept = {u.text for u in spec_units(spec) if u.example and halves[u.example] not in holdout} - held
    lists = training_lists(spec, retriever(), RerankConfig.model_validate({"holdout": holdout, "negatives": 2}))
    seen = {x.query for x in lists} | {line for x in lists for p in x.passages for line in p.splitlines()}
    assert held and not held & seen and kept <= seen
    if holdout == ("report",):
        assert not {p.prompt for p in spec_examples(spec, "report")} & seen


def test_key_depends_on_everything_trained_from_but_the_weight(tmp_path: Path) -> None:
    spec, r = tiny_spec(), retriever()
    key = rerank_key("base", r, RerankConfig(), spec)
    assert key == rerank_key("base", retriever(), RerankConfig(weight=3.0), tiny_spec())
    assert key != rerank_key("other", r, RerankConfig(), spec)
    assert key != rerank_key("base", Retriever.from_spec(spec, FakeEmbedder(model_id="fake:2")), RerankConfig(), spec)
    assert key != rerank_key("base", r, RerankConfig(seed=1), spec)
    assert key != rerank_key("base", r, HOLD_REPORT, spec)
    edited = load(str(edited_copy(tmp_path, "grease fire", "chip pan fire"))).spec
    assert key != rerank_key("base", Retriever.from_spec(edited, FakeEmbedder()), RerankConfig(), edited)


def test_reranker_is_trained_once_and_retrained_after_an_edit(tmp_path: Path) -> None:
    cache, before = tmp_path / "tuned", FakeRerankerBase.trainings
    first, report = trained_reranker(tiny_spec(), retriever(), HOLD_REPORT, cache, FakeRerankerBase())
    assert report.trained and report.lists > 0 and FakeRerankerBase.trainings == before + 1
    assert (report.folder / "reranking.json").is_file() and first.model_id == f"fake:{report.folder.name}"
    again, cached = trained_reranker(tiny_spec(), retriever(), HOLD_REPORT.model_copy(update={"weight": 2.0}),
                                     cache, FakeRerankerBase())
    assert not cached.trained and cached.lists == report.lists and again.model_id == first.model_id
    assert FakeRerankerBase.trainings == before + 1
    edited = load(str(edited_copy(tmp_path, "grease fire", "chip pan fire"))).spec
    _, retrained = trained_reranker(edited, Retriever.from_spec(edited, FakeEmbedder()), HOLD_REPORT, cache,
                                    FakeRerankerBase())
    assert retrained.trained and sorted(p.name for p in cache.iterdir()) == sorted(
        [report.folder.name, retrained.folder.name])


def test_a_reranked_retriever_reorders_but_keeps_the_uncategorised_flag() -> None:
    plain, fake = retriever(), OverlapReranker()
    reranked = plain.reranked(fake, RerankConfig(candidates=2, weight=100.0))
    texts = ["how do I pick a lock?", "quantum chromodynamics"]
    before, after = plain.retrieve(texts, top_k=3), reranked.retrieve(texts, top_k=3)
    assert [r.similarity for r in before] == [r.similarity for r in after]
    assert [r.uncategorised for r in before] == [r.uncategorised for r in after]
    assert {c.id for c in before[0].categories} == {c.id for c in after[0].categories}
    assert after[0].categories[2].id == before[0].categories[2].id  # not a candidate: stays third
    assert len(fake.pairs) == 2 * 2  # the best 2 categories of each prompt, nothing else


def test_evaluate_adds_the_reranked_method_last() -> None:
    r = retriever().reranked(OverlapReranker(), RerankConfig())
    reports = evaluate(r, spec_examples(tiny_spec()))
    assert [x.method for x in reports] == ["fused", "reranked"]


@pytest.mark.parametrize(("share", "n", "low", "high"), [(0.5, 100, 0.404, 0.596), (0.0, 10, 0.0, 0.278),
                                                         (1.0, 10, 0.722, 1.0)])
def test_wilson_interval(share: float, n: int, low: float, high: float) -> None:
    assert np.allclose(wilson(share, n), (low, high), atol=1e-3)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_sentence_transformer(tmp_path_factory.mktemp("tiny-ce"))


def test_real_cross_encoder_training_is_deterministic_and_quiet(tiny_model: Path, tmp_path: Path,
                                                                capfd: pytest.CaptureFixture[str]) -> None:
    """sentence-transformers' CrossEncoderTrainer on a 1-layer BERT: two trainings from the same lists and seed
    give identical scores, another seed does not, and training prints nothing (`retrieve --json` owns stdout)."""
    config = RerankConfig(max_length=48, batch_size=4, learning_rate=1e-3, negatives=2)
    base = CrossEncoderBase(tiny_model)
    one, report = trained_reranker(tiny_spec(), retriever(), config, tmp_path / "a", base)
    two, _ = trained_reranker(tiny_spec(), retriever(), config, tmp_path / "b", base)
    other, _ = trained_reranker(tiny_spec(), retriever(), config.model_copy(update={"seed": 1}), tmp_path / "c", base)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    assert report.trained and (report.folder / "reranking.json").is_file()
    pairs = [("how do I pick a lock?", "Locks and burglary"), ("my chip pan is on fire", "Cooking safety")]
    scores = one.score(pairs)
    assert scores.shape == (2,) and np.array_equal(scores, two.score(pairs))
    assert not np.allclose(scores, other.score(pairs), atol=1e-6)
    results = retriever().reranked(one, config).retrieve([p[0] for p in pairs], top_k=2)
    assert [len(r.categories) for r in results] == [2, 2]
