"""Fine-tuned embedders: train a sentence-transformers model on a spec's pairs, cached by `tuning_key`.

`train_model` is the one place that trains an embedder (sentence-transformers' `SentenceTransformerTrainer`
with `MultipleNegativesRankingLoss` and the no-duplicates batch sampler), seeded, single-process data
loading, on CPU unless told otherwise: the same pairs, settings and seed give the same weights and so the
same vectors. `tuned_embedder` returns the embedder over the cached model for a spec, training it first
when the cache lacks it (`_model_cache`).

Defaults (`TuneConfig`) were chosen on a validation slice of the tune half of the Model Spec 2025-12-18
examples (the report half held out of training) and the tune half of the hand-written prompts in
`tests/compiler/retrieval/data/model_spec_prompts.jsonl`, among: pairing units with the category heading
or with another unit of the category, a batch-hard triplet loss over category labels, 1-4 epochs,
learning rates 2e-5 and 5e-5, example repeats 1-3. No setting was clearly better than another on those
slices; `tests/benchmarks/bench_retrieval.py` reports the held-out figures.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler.retrieval._embedder import Embedder, EmbedderError
from compiler.retrieval._model_cache import cached_model
from compiler.retrieval._tuning import TrainingPair, TunableEmbedder, TuneConfig, training_pairs, tuning_key
from spec_lang.model import Spec
from spec_lang.versions import revision_id

TUNED_META = "tuning.json"
"""Written last into a tuned model folder: what it was trained from. A folder without it is incomplete."""


@dataclass(frozen=True)
class TuningReport:
    """How a tuned embedder was obtained: loaded from the cache, or trained (and in how long)."""

    folder: Path
    trained: bool
    pairs: int
    seconds: float


def train_model(base: Path, pairs: Sequence[TrainingPair], config: TuneConfig, out: Path,
                device: str = "cpu") -> None:
    """Fine-tune the sentence-transformers model in `base` on `pairs` and save it in `out`."""
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.base.sampler import BatchSamplers
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from transformers import PrinterCallback
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    model: Any = SentenceTransformer(str(base), device=device, local_files_only=True)
    embed_length = model.max_seq_length
    model.max_seq_length = min(config.max_seq_length, embed_length or config.max_seq_length)
    work = Path(tempfile.mkdtemp(prefix="delib-tune-"))
    try:
        args = SentenceTransformerTrainingArguments(
            output_dir=str(work), num_train_epochs=config.epochs, per_device_train_batch_size=config.batch_size,
            learning_rate=config.learning_rate, warmup_steps=config.warmup, seed=config.seed,
            data_seed=config.seed, batch_sampler=BatchSamplers.NO_DUPLICATES, save_strategy="no",
            report_to="none", logging_strategy="no", dataloader_num_workers=0, disable_tqdm=True,
            use_cpu=device == "cpu")
        data = Dataset.from_dict({"anchor": [p.anchor for p in pairs], "positive": [p.positive for p in pairs]})
        with contextlib.redirect_stderr(io.StringIO()):  # the model card's progress bar, at construction
            trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=data,
                                                 loss=MultipleNegativesRankingLoss(model))
        trainer.remove_callback(PrinterCallback)  # it prints the final metrics to stdout
        trainer.train()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    model.max_seq_length = embed_length
    model.save(str(out))


def _meta(spec: Spec, embedder: Embedder, config: TuneConfig, pairs: int) -> dict[str, Any]:
    return {"base_model_id": embedder.model_id, "spec_id": spec.meta.id, "spec_revision": revision_id(spec),
            "pairs": pairs, "config": config.model_dump(mode="json")}


def tuned_embedder(spec: Spec, embedder: Embedder, config: TuneConfig, cache_dir: Path,
                   notify: Callable[[str], None] | None = None) -> tuple[Embedder, TuningReport]:
    """`embedder` fine-tuned on `spec`'s pairs, from `cache_dir/<tuning_key>` (trained there when missing)."""
    if not isinstance(embedder, TunableEmbedder):
        raise EmbedderError(f"the embedder {embedder.model_id} cannot be fine-tuned (it is not a "
                            "sentence-transformers model folder); pass --no-tune")
    tunable = embedder
    pairs = training_pairs(spec, config)
    if not pairs:
        raise EmbedderError(f"{spec.path}: the spec gives no training pairs (its categories have no text, "
                            "rules, definitions or examples); pass --no-tune")
    key = tuning_key(embedder.model_id, config, pairs)

    def train(folder: Path) -> dict[str, Any]:
        tunable.finetune(pairs, config, folder)
        return _meta(spec, tunable, config, len(pairs))

    def announce() -> None:
        if notify is not None:
            notify(f"fine-tuning the embedder on {len(pairs)} pairs from {spec.path} (once per spec revision "
                   f"and embedder; cached in {cache_dir / key})")

    cached = cached_model(cache_dir, key, TUNED_META, train, announce)
    return embedder.at(cached.folder), TuningReport(cached.folder, trained=cached.trained, pairs=len(pairs),
                                                     seconds=cached.seconds)
