"""The reranker's training data, from the spec alone, and the key it is cached under. Pure.

Every unit of a category but its titles (prose chunks, rules, definitions, example prompts and titles) is a
training query, with its section title taken off the front (a prompt does not name its section). Its list
of passages (`_rerank.Passages`) is its own category's first, then the `negatives` categories the first
stage ranks highest among the others, each passage built the way it is when reranking: from the units the
query may see. A query never sees itself (its own unit, or both units of its own example), and no query
sees a held-out example (`RerankConfig.holdout` halves, or `exclude`): held-out examples are neither
queries nor passage text, so they can be evaluated on honestly.

A reranker is identified by `rerank_key`: the base model, the first stage (embedder and scoring), the
settings and the units with what is held out. A spec edit that changes no unit reuses the cached model.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from compiler.retrieval._fusion import UnitScores
from compiler.retrieval._rerank import Passages, RerankConfig
from compiler.retrieval._retriever import Retriever
from compiler.retrieval._splits import example_halves
from compiler.retrieval._units import Unit
from spec_lang.model import Spec
from spec_lang.versions import digest

RERANK_VERSION = "rerank-1"
"""Bumped whenever the way lists are made or models trained changes, so that cached rerankers are retrained."""


class RerankList(BaseModel):
    """One training query with its passages: its own category's first, then hard negatives."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    query: str = Field(description="A unit text of the category, without its section title.")
    category: str = Field(description="The category the query belongs to.")
    passages: tuple[str, ...] = Field(description="The passage of `category`, then those of other categories.")
    negatives: tuple[str, ...] = Field(description="The categories of the passages after the first.")


def query_text(unit: Unit, titles: Collection[str]) -> str:
    """A unit's text as a query: `Section title: text` loses its title (the longest of `titles` that fits)."""
    if unit.kind not in ("text", "rule", "definition"):
        return unit.text
    prefix = max((t for t in titles if unit.text.startswith(t + ": ")), key=len, default=None)
    return unit.text[len(prefix) + 2:] if prefix else unit.text


def held_out_examples(spec: Spec, config: RerankConfig, exclude: Collection[str] = ()) -> set[str]:
    """Keys of the examples training must not see: the `holdout` halves and `exclude`."""
    halves = example_halves(spec) if config.holdout else {}
    return {key for key, half in halves.items() if half in config.holdout} | set(exclude)


def training_lists(spec: Spec, retriever: Retriever, config: RerankConfig,
                   exclude: Collection[str] = ()) -> tuple[RerankList, ...]:
    """The training lists of `spec`, ranked by `retriever` (over `spec`), in document order."""
    units = retriever.index.meta.units
    held = held_out_examples(spec, config, exclude)
    titles = {u.text.rsplit(" > ", 1)[-1] for u in units if u.kind == "title"}
    rows = [r for r, u in enumerate(units) if u.kind != "title" and u.example not in held]
    if not rows:
        return ()
    queries = [query_text(units[r], titles) for r in rows]
    scored = retriever.unit_scores(queries)
    hidden = np.zeros(scored.dense.shape, dtype=bool)
    hidden[:, [r for r, u in enumerate(units) if u.example in held]] = True
    same_text: dict[str, list[int]] = {}
    same_example: dict[str, list[int]] = {}
    for r, u in enumerate(units):
        same_text.setdefault(u.text, []).append(r)
        if u.example is not None:
            same_example.setdefault(u.example, []).append(r)
    for i, r in enumerate(rows):
        example = units[r].example
        hidden[i, same_text[units[r].text] + (same_example[example] if example is not None else [])] = True
    scored = UnitScores(dense=scored.dense, lexical=scored.lexical, hidden=hidden)
    first = retriever.score(scored)
    passages = Passages(units, len(retriever.categories), retriever.unit_category, config.passage_units)
    out: list[RerankList] = []
    for i, r in enumerate(rows):
        true = int(retriever.unit_category[r])
        ranked = [int(c) for c in np.argsort(-first[i], kind="stable")[:config.candidates] if c != true]
        negatives = ranked[:config.negatives]
        texts = [passages.text(c, scored.dense[i], hidden[i]) for c in [true, *negatives]]
        item = RerankList(query=queries[i], category=retriever.categories[true], passages=tuple(texts),
                          negatives=tuple(retriever.categories[c] for c in negatives))
        out += [item] * (config.example_repeats if units[r].kind == "example" else 1)
    return tuple(out)


def rerank_key(base_model_id: str, retriever: Retriever, config: RerankConfig, spec: Spec,
               exclude: Collection[str] = ()) -> str:
    """Identifies a trained reranker: base model, first stage, settings (but `weight`, which only applies
    it), and the units with what is held out (everything `training_lists` reads), without computing the lists."""
    held = held_out_examples(spec, config, exclude)
    units: Sequence[Unit] = retriever.index.meta.units
    return "rerank-" + digest([
        RERANK_VERSION, base_model_id, retriever.embedder.model_id,
        retriever.config.model_dump(mode="json", exclude={"threshold"}),
        config.model_dump(mode="json", exclude={"weight"}),
        list(retriever.categories), [[u.category, u.kind, u.text, u.example in held] for u in units]])
