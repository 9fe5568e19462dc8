"""Fine-tuning an embedder on a spec: the settings, the training pairs the spec gives, and the cache key.

Pure: no model is loaded here. Every unit of a category (its prose chunks, rules, definitions, example
prompts and example titles) is paired with the category's heading (`Title > Subtitle`, the `title` unit);
trained with in-batch negatives (MultipleNegativesRankingLoss, no two pairs of one category in a batch),
the model pulls each category's texts towards its heading and away from the others. Example prompts, the
only user-style texts a spec has, are repeated `example_repeats` times.

A tuned model is identified by `tuning_key`: the base model id, the settings and the pairs themselves. A
spec edit that changes no training text reuses the tuned model; any other edit trains a new one from the
base model (never from the previous tuned model, so the vectors depend on the spec alone, not on its
history).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from compiler.retrieval._embedder import Embedder
from compiler.retrieval._splits import example_halves
from compiler.retrieval._units import Unit, spec_units
from spec_lang.model import Spec
from spec_lang.versions import digest

TUNING_VERSION = "tune-1"
"""Bumped whenever the way pairs are made or models trained changes, so that cached models are retrained."""


class TuneConfig(BaseModel):
    """How an embedder is fine-tuned on a spec; the defaults are the tuned ones (see `_finetune`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    epochs: float = Field(default=2.0, gt=0, description="Passes over the training pairs.")
    learning_rate: float = Field(default=5e-5, gt=0, description="Peak learning rate (linear decay).")
    warmup: float = Field(default=0.1, ge=0, lt=1, description="Share of the steps spent warming up.")
    batch_size: int = Field(default=32, ge=2, description="Pairs per batch (the in-batch negatives).")
    max_seq_length: int = Field(default=64, ge=8, description="Tokens per text while training (the tuned "
                                "model embeds with the base model's own limit).")
    example_repeats: int = Field(default=3, ge=1, description="Times each example prompt is paired.")
    seed: int = Field(default=0, description="Seed of the weights' initialisation, dropout and data order.")
    holdout: tuple[Literal["tune", "report"], ...] = Field(
        default=(), description="Halves of the examples (`split_of`) left out of training, so that they can "
                                "be evaluated on honestly; () trains on every example.")


class TrainingPair(BaseModel):
    """One (anchor, positive) pair: a text of a category and the category's heading."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    anchor: str = Field(description="A unit text of the category.")
    positive: str = Field(description="The category's heading.")
    category: str = Field(description="The category both belong to.")


@runtime_checkable
class TunableEmbedder(Embedder, Protocol):
    """An embedder that can train a copy of its model on pairs and embed with a saved copy."""

    def finetune(self, pairs: Sequence[TrainingPair], config: TuneConfig, folder: Path) -> None:
        """Train a copy of the model on `pairs` and save it in `folder` (which exists and is empty)."""
        ...

    def at(self, folder: Path) -> Embedder:
        """The same kind of embedder over the model saved in `folder`."""
        ...


def training_pairs(spec: Spec, config: TuneConfig, units: Sequence[Unit] | None = None) -> tuple[TrainingPair, ...]:
    """The pairs of every category's units with its heading, in document order, held-out examples left out."""
    units = spec_units(spec) if units is None else units
    halves = example_halves(spec) if config.holdout else {}
    heading = {u.category: u.text for u in units if u.kind == "title"}
    pairs: list[TrainingPair] = []
    for unit in units:
        if unit.kind == "title" or unit.category not in heading:
            continue
        if unit.example is not None and halves.get(unit.example) in config.holdout:
            continue
        repeats = config.example_repeats if unit.kind == "example" else 1
        pairs += [TrainingPair(anchor=unit.text, positive=heading[unit.category], category=unit.category)] * repeats
    return tuple(pairs)


def tuning_key(base_model_id: str, config: TuneConfig, pairs: Sequence[TrainingPair]) -> str:
    """Identifies a tuned model: base model, settings and training pairs (not the spec's other content)."""
    return "tuned-" + digest([TUNING_VERSION, base_model_id, config.model_dump(mode="json"),
                              [[p.anchor, p.positive] for p in pairs]])
