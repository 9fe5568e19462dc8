"""Helpers for the retrieval tests: a deterministic fake embedder and the tiny policy.

Import as `from tests.compiler.retrieval.retrieval_helpers import ...`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from compiler.retrieval import RerankConfig, RerankList, TrainingPair, TuneConfig, default_model_path
from compiler.retrieval._bm25 import tokenize
from spec_lang import Spec, has_errors, load

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny_policy.md"


class FakeEmbedder:
    """Hashed bag of word stems: texts sharing words get similar vectors. Counts what it embeds."""

    def __init__(self, dim: int = 256, model_id: str = "fake:bow-256") -> None:
        self.dim = dim
        self._model_id = model_id
        self.calls = 0
        self.texts: list[str] = []

    @property
    def model_id(self) -> str:
        return self._model_id

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.calls += 1
        self.texts.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(text):
                out[row, int(hashlib.md5(token.encode()).hexdigest(), 16) % self.dim] += 1.0
            out[row, -1] += 0.05  # no zero vectors
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def tiny_spec() -> Spec:
    loaded = load(str(TINY))
    assert not has_errors(loaded.diagnostics), [d.format() for d in loaded.diagnostics]
    return loaded.spec


def edited_copy(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the tiny policy with `old` (which must occur once) replaced by `new`."""
    text = TINY.read_text(encoding="utf-8")
    assert text.count(old) == 1
    out = tmp_path / TINY.name
    out.write_text(text.replace(old, new), encoding="utf-8")
    return out


class TunableFake(FakeEmbedder):
    """A fake embedder that can be "fine-tuned": training writes the pairs to the folder, and the tuned
    embedder is a fake whose id names the folder. Counts the trainings."""

    trainings = 0

    def finetune(self, pairs: Sequence[TrainingPair], config: TuneConfig, folder: Path) -> None:
        TunableFake.trainings += 1
        (folder / "pairs.json").write_text(json.dumps([[p.anchor, p.positive] for p in pairs]), encoding="utf-8")

    def at(self, folder: Path) -> FakeEmbedder:
        assert (folder / "pairs.json").is_file()
        return FakeEmbedder(model_id=f"fake:{folder.name}")


def tiny_sentence_transformer(folder: Path) -> Path:
    """A randomly initialised 1-layer BERT (seeded) with all-MiniLM-L6-v2's tokenizer, saved as a
    sentence-transformers folder: a real model that trains in a second."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    tokenizer = AutoTokenizer.from_pretrained(str(default_model_path()), local_files_only=True)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128)
    torch.manual_seed(0)
    BertModel(config).save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder


class OverlapReranker:
    """A fake reranker: the share of the query's word stems found in the passage. Counts what it scores."""

    def __init__(self, model_id: str = "fake:overlap") -> None:
        self._model_id = model_id
        self.pairs: list[tuple[str, str]] = []

    @property
    def model_id(self) -> str:
        return self._model_id

    def score(self, pairs: Sequence[tuple[str, str]]) -> NDArray[np.float32]:
        self.pairs.extend(pairs)
        out = []
        for query, passage in pairs:
            words, found = set(tokenize(query)), set(tokenize(passage))
            out.append(len(words & found) / max(1, len(words)))
        return np.array(out, dtype=np.float32)


class FakeRerankerBase:
    """A fake base a reranker is "trained" from: training writes the lists to the folder, and the trained
    reranker is an `OverlapReranker` whose id names the folder. Counts the trainings."""

    trainings = 0

    def __init__(self, path: object = None) -> None:
        self.path = path

    @property
    def model_id(self) -> str:
        return "fake:base"

    def train(self, lists: Sequence[RerankList], config: RerankConfig, folder: Path) -> None:
        FakeRerankerBase.trainings += 1
        (folder / "lists.json").write_text(json.dumps([x.model_dump() for x in lists]), encoding="utf-8")

    def at(self, folder: Path) -> OverlapReranker:
        assert (folder / "lists.json").is_file()
        return OverlapReranker(model_id=f"fake:{folder.name}")
