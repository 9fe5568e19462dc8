"""Fine-tuning the embedder on a spec: pairs, cache key, cache, and a real (tiny) sentence-transformers run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from compiler.retrieval import (
    EmbedderError,
    Retriever,
    SentenceTransformerEmbedder,
    TuneConfig,
    spec_units,
    split_of,
    training_pairs,
    tuned_embedder,
)
from compiler.retrieval._splits import example_halves
from compiler.retrieval._tuning import tuning_key
from spec_lang import load
from tests.compiler.retrieval.retrieval_helpers import (
    FakeEmbedder,
    TunableFake,
    edited_copy,
    tiny_sentence_transformer,
    tiny_spec,
)


def test_every_unit_but_the_title_is_paired_with_its_category_heading() -> None:
    spec = tiny_spec()
    units = spec_units(spec)
    heading = {u.category: u.text for u in units if u.kind == "title"}
    pairs = training_pairs(spec, TuneConfig(example_repeats=2))
    assert {p.positive for p in pairs} == set(heading.values())
    assert all(p.positive == heading[p.category] for p in pairs)
    assert not any(p.anchor in heading.values() for p in pairs)
    examples = [u for u in units if u.kind == "example"]
    others = [u for u in units if u.kind not in ("title", "example")]
    assert len(pairs) == 2 * len(examples) + len(others)


@pytest.mark.parametrize("holdout", [("report",), ("tune",), ("tune", "report")])
def test_held_out_examples_are_not_trained_on(holdout: tuple[str, ...]) -> None:
    spec = tiny_spec()
    halves = example_halves(spec)
    assert set(halves.values()) == {"tune", "report"}  # the fixture has examples in both halves
    kept = {u.text for u in spec_units(spec) if u.example and halves[u.example] not in holdout}
    dropped = {u.text for u in spec_units(spec) if u.example and halves[u.example] in holdout} - kept
    anchors = {p.anchor for p in training_pairs(spec, TuneConfig.model_validate({"holdout": holdout}))}
    assert dropped and not dropped & anchors and kept <= anchors
    titles = {u.text: split_of(u.text) for u in spec_units(spec) if u.kind == "example_title"}
    assert {t for t, half in titles.items() if half in holdout} == dropped & set(titles)


def test_key_depends_on_pairs_model_and_settings(tmp_path: Path) -> None:
    spec = tiny_spec()
    config = TuneConfig()
    pairs = training_pairs(spec, config)
    key = tuning_key("m1", config, pairs)
    assert key == tuning_key("m1", config, training_pairs(tiny_spec(), config))
    assert key != tuning_key("m2", config, pairs)
    assert key != tuning_key("m1", TuneConfig(epochs=1), pairs)
    edited = load(str(edited_copy(tmp_path, "grease fire", "chip pan fire"))).spec
    assert key != tuning_key("m1", config, training_pairs(edited, config))


def test_tuned_model_is_trained_once_and_retrained_after_a_text_edit(tmp_path: Path) -> None:
    cache = tmp_path / "tuned"
    before = TunableFake.trainings
    first, report = tuned_embedder(tiny_spec(), TunableFake(), TuneConfig(), cache)
    assert report.trained and TunableFake.trainings == before + 1
    assert (report.folder / "tuning.json").is_file() and first.model_id == f"fake:{report.folder.name}"
    again, cached = tuned_embedder(tiny_spec(), TunableFake(), TuneConfig(), cache)
    assert not cached.trained and again.model_id == first.model_id and TunableFake.trainings == before + 1
    edited = load(str(edited_copy(tmp_path, "grease fire", "chip pan fire"))).spec
    _, retrained = tuned_embedder(edited, TunableFake(), TuneConfig(), cache)
    assert retrained.trained and retrained.folder != report.folder
    assert sorted(p.name for p in cache.iterdir()) == sorted([report.folder.name, retrained.folder.name])


def test_an_embedder_that_cannot_be_tuned_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbedderError, match="cannot be fine-tuned.*--no-tune"):
        tuned_embedder(tiny_spec(), FakeEmbedder(), TuneConfig(), tmp_path)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_sentence_transformer(tmp_path_factory.mktemp("tiny-st"))


def test_real_finetune_changes_the_model_and_is_deterministic(tiny_model: Path, tmp_path: Path) -> None:
    """sentence-transformers' trainer on a 1-layer BERT: the weights move, and two trainings from the same
    pairs and seed give identical vectors (a different seed does not)."""
    base = SentenceTransformerEmbedder(tiny_model)
    config = TuneConfig(epochs=2, batch_size=4, learning_rate=1e-3, max_seq_length=32)
    texts = ["how do I pick a lock?", "my chip pan is on fire", "what fertiliser for roses"]
    one, report = tuned_embedder(tiny_spec(), base, config, tmp_path / "a")
    two, _ = tuned_embedder(tiny_spec(), base, config, tmp_path / "b")
    other, _ = tuned_embedder(tiny_spec(), base, config.model_copy(update={"seed": 1}), tmp_path / "c")
    assert report.trained and one.model_id != base.model_id
    assert (report.folder / "modules.json").is_file()
    vectors = one.encode(texts)
    assert np.array_equal(vectors, two.encode(texts))
    assert not np.allclose(vectors, base.encode(texts), atol=1e-4)
    assert not np.allclose(vectors, other.encode(texts), atol=1e-6)
    retriever = Retriever.from_spec(tiny_spec(), one, index_dir=tmp_path / "idx")
    assert retriever.index.meta.model_id == one.model_id and len(retriever.retrieve(texts)) == 3


def test_training_prints_nothing(tiny_model: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """`delib retrieve --json` writes JSON lines to stdout: training must not print there (nor chatter on stderr)."""
    config = TuneConfig(epochs=1, batch_size=4, max_seq_length=16)
    _, report = tuned_embedder(tiny_spec(), SentenceTransformerEmbedder(tiny_model), config, tmp_path)
    captured = capfd.readouterr()
    assert report.trained and captured.out == "" and captured.err == ""
