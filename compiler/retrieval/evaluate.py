"""Retrieval evaluation: labelled sets, accuracy metrics, confusions and the uncategorised threshold.

Labelled sets come from files (`prompt`, `category`) or from the spec itself: `spec_examples` turns every
example of every category into a query whose own units are hidden from the retriever (leave-one-out), and
`split_of` assigns each to a `tune` or `report` half by a hash of its title, so that settings chosen on one
half are reported on the other.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from compiler.retrieval._config import RetrievalConfig
from compiler.retrieval._files import LabeledPrompt
from compiler.retrieval._retriever import Retriever
from compiler.retrieval._splits import split_of as split_of
from compiler.retrieval._units import clean_markdown, example_key, example_prompt
from spec_lang.model import Spec

Split = Literal["all", "tune", "report"]


class Metrics(BaseModel):
    """Accuracy of the true category within the top 1, 3 and 5, and mean reciprocal rank."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    n: int = Field(description="Number of labelled prompts.")
    top1: float = Field(description="Share with the true category ranked first.")
    top3: float = Field(description="Share with the true category in the top 3.")
    top5: float = Field(description="Share with the true category in the top 5.")
    mrr: float = Field(description="Mean of 1/rank of the true category.")


class Confusion(BaseModel):
    """A true category that was ranked below another one, and how often that one came first."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    true: str
    predicted: str
    count: int


class EvalReport(BaseModel):
    """The metrics of one method on one labelled set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: str = Field(description="Name of the method (configuration) evaluated.")
    overall: Metrics
    per_category: dict[str, Metrics]
    confusions: tuple[Confusion, ...] = Field(description="Most frequent (true, top-1) pairs that differ.")


def spec_examples(spec: Spec, split: Split = "all") -> list[LabeledPrompt]:
    """Leave-one-out queries from the spec's own examples: an example's prompt, labelled with its category,
    with that example's units hidden."""
    titles = {s.id: clean_markdown(s.title) for s in spec.sections}
    out = []
    for category in spec.categories:
        for section in spec.subtree(category.id):
            for example in section.examples:
                if split != "all" and split_of(example.title) != split:
                    continue
                out.append(LabeledPrompt(prompt=example_prompt(example, titles), category=category.id,
                                         hide=(example_key(section, example),)))
    return out


def ranks_of(scores: NDArray[np.float32], truth: NDArray[np.int64]) -> NDArray[np.int64]:
    """1-based rank of the true column in each row (ties counted pessimistically)."""
    true_scores = scores[np.arange(len(truth)), truth]
    result: NDArray[np.int64] = (scores > true_scores[:, None]).sum(axis=1) + 1
    return result


def _metrics(ranks: NDArray[np.int64]) -> Metrics:
    n = len(ranks)
    if n == 0:
        return Metrics(n=0, top1=0.0, top3=0.0, top5=0.0, mrr=0.0)
    return Metrics(n=n, top1=float((ranks <= 1).mean()), top3=float((ranks <= 3).mean()),
                   top5=float((ranks <= 5).mean()), mrr=float((1.0 / ranks).mean()))


def report(method: str, scores: NDArray[np.float32], truth: Sequence[str], categories: Sequence[str],
           n_confusions: int = 10) -> EvalReport:
    """Metrics of a (prompts, categories) score matrix against the true category ids."""
    position = {c: i for i, c in enumerate(categories)}
    unknown = sorted({t for t in truth if t not in position})
    if unknown:
        raise ValueError(f"labelled categories not in the spec: {', '.join(unknown[:10])}; the spec's "
                         f"categories are: {', '.join(categories[:20])}{' ...' if len(categories) > 20 else ''}")
    index = np.array([position[t] for t in truth], dtype=np.int64)
    ranks = ranks_of(scores, index)
    per = {c: _metrics(ranks[index == i]) for i, c in enumerate(categories) if (index == i).any()}
    top = scores.argmax(axis=1)
    pairs = Counter((truth[i], categories[int(top[i])]) for i in range(len(truth)) if ranks[i] > 1)
    confusions = tuple(Confusion(true=t, predicted=p, count=n) for (t, p), n in pairs.most_common(n_confusions))
    return EvalReport(method=method, overall=_metrics(ranks), per_category=per, confusions=confusions)


def evaluate(retriever: Retriever, labeled: Sequence[LabeledPrompt],
             methods: Mapping[str, RetrievalConfig] | None = None) -> list[EvalReport]:
    """Evaluate several methods on one labelled set, embedding the prompts once; a retriever with a reranker
    adds the method `reranked` (its own configuration, reranked), and one with a listwise reranker
    `llm-reranked` (the same, then reordered by it), last."""
    methods = methods or {"fused": retriever.config}
    texts = [p.prompt for p in labeled]
    units = retriever.unit_scores(texts, [p.hide for p in labeled])
    truth = [p.category for p in labeled]
    reports = [report(name, retriever.score(units, cfg), truth, retriever.categories) for name, cfg in methods.items()]
    last = retriever.score(units)
    if retriever.reranking is not None:
        last = retriever.reranking.apply(last, texts, units)
        reports.append(report("reranked", last, truth, retriever.categories))
    if retriever.llm_reranking is not None:
        last = retriever.llm_reranking.apply(last, texts, units)
        reports.append(report("llm-reranked", last, truth, retriever.categories))
    return reports


def standard_methods(config: RetrievalConfig) -> dict[str, RetrievalConfig]:
    """The methods reported side by side: BM25 only, dense only (plain max-sim), and `config` as is."""
    plain = dict.fromkeys(config.kind_weights, 1.0)
    return {
        "bm25": config.model_copy(update={"method": "bm25", "kind_weights": plain, "lexical_pool_top": 1}),
        "dense": config.model_copy(update={"method": "dense", "kind_weights": plain, "pool_top": 1,
                                           "centroid_weight": 0.0}),
        "fused-rrf": config.model_copy(update={"method": "fused", "fusion": "rrf", "kind_weights": plain,
                                                "pool_top": 1, "lexical_pool_top": 1, "dense_weight": 1.0,
                                                "centroid_weight": 0.0,
                                                "lexical_weight": 1.0, "rrf_k": 60.0}),
        "default": config,
    }


def wilson(share: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval (95% by default) of a proportion `share` observed on `n` trials."""
    if n <= 0:
        return 0.0, 1.0
    centre = share + z * z / (2 * n)
    spread = z * float(np.sqrt(share * (1 - share) / n + z * z / (4 * n * n)))
    scale = 1 + z * z / n
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


def calibrate_threshold(in_scope: Sequence[float], out_of_scope: Sequence[float] | None = None,
                        keep: float = 0.95) -> float:
    """The uncategorised threshold: with out-of-scope scores, the cut that maximises balanced accuracy
    (in-scope kept vs out-of-scope flagged; the lowest of equal cuts); without them, the cut that keeps
    `keep` of in-scope prompts. Rounded to 3 decimals."""
    inside = np.sort(np.asarray(in_scope, dtype=np.float64))
    if not len(inside):
        raise ValueError("no in-scope scores to calibrate on")
    if not out_of_scope:
        return round(float(np.quantile(inside, 1.0 - keep)), 3)
    outside = np.asarray(out_of_scope, dtype=np.float64)
    candidates = np.unique(np.concatenate([inside, outside]))
    best, best_cut = -1.0, float(candidates[0])
    for cut in candidates:
        balanced = ((inside >= cut).mean() + (outside < cut).mean()) / 2
        if balanced > best:
            best, best_cut = balanced, float(cut)
    return round(best_cut, 3)
