"""`RetrievalConfig`: how units are scored, pooled and fused, and when a prompt is uncategorised.

The defaults were chosen on tuning halves only: the tune half of the Model Spec 2025-12-18 examples
(leave-one-out, split by a hash of the example title) and the tune half of the hand-written realistic prompts
in `tests/compiler/retrieval/data/model_spec_prompts.jsonl` (split by a hash of the prompt); the objective
was the mean of top-5 accuracy and MRR over both. `tests/benchmarks/bench_retrieval.py` reports the other
halves and the sets never tuned on.

Chosen: dense scores pooled as the mean of a category's best 3 units, example prompts weighted 1.1 and
example titles 0.9, plus 0.5 x the mean similarity over all the category's units, plus 0.1 x the
max-normalised BM25 score (mean of the best 2 units). Tried and left out as no better on the tune halves:
reciprocal-rank fusion (any k), title context prepended to example units, 40-word chunks, hubness
correction (CSLS), a logistic-regression probe over unit vectors, pseudo-relevance feedback (the query
vector plus 0.3-2 x the mean of its best 3-10 units, re-normalised: top-5 0.57-0.61 on the examples' tune half
against 0.59, 0.63-0.66 on the hand prompts' against 0.67). Synthetic queries from the embedded
SmolLM2-135M (doc2query): batched greedy generation makes 110 (two per Model Spec category, each from one
rule or prose chunk, 48 tokens) in 30 s, but what it writes is assistant talk ("I'm here to help you with
your project...", "as a chatbot, I'm designed to..."), not a user's message, for every category alike, so
they were not scored: they would add the same noise unit to every category. Examples' GOOD answers as
extra units (hidden with their example in leave-one-out): top-1 / top-5 / MRR 0.32 / 0.62 / 0.45 on the
examples' tune half against 0.38 / 0.59 / 0.48, 0.35 / 0.67 / 0.49 on the hand prompts' against 0.31 / 0.67
/ 0.47 (every candidate: 0.32 / 0.60 / 0.45 and 0.31 / 0.66 / 0.48): no better on the objective, left out.
Query-likelihood reranking with the embedded SmolLM2-135M (UPR: the mean log-probability of the prompt's
tokens after "Guideline: <heading and the category's 2 units most similar to the prompt>", for the first
stage's best 20, combined as `--rerank` combines, no training): alone it ranks the true category in the
top 5 of the 20 for 0.55 of the examples' tune half (chance 0.25; the first stage 0.59); combined at weight
0.5 (best of 0.15 / 0.3 / 0.5 / 1 on the tune halves: objective 0.579 against 0.553) the report halves
moved top-1 0.18 -> 0.19 and 0.41 -> 0.44, MRR 0.32 -> 0.33 and 0.55 -> 0.58, top-5 not at all (0.45,
0.74), for about 4 s of CPU per prompt: not shipped.
A learned combination (a conditional-logit ranker over ten per-category features: this default score, the
best unit, the mean of the best 3, the mean of all, the best unit of each kind, BM25 and the log unit count,
standardised per query; fit on the tune halves, L2 towards the default 0-1): on the report halves top-5
0.40-0.49 on the examples and 0.65-0.75 on the hand prompts against 0.45 and 0.74, top-1 within 0.05 of
0.18 and 0.41: no better, left out. Nor were multi-part queries (the prompt and each of its sentences embedded,
unit similarities combined by max, mean, or half the whole prompt's plus half the best part's): top-1 /
top-5 within 0.03 of the default on all four halves (mean pooling: top-1 0.05 lower on the hand prompts' report
half), never above it by more than 0.01.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Method = Literal["bm25", "dense", "fused"]
"""`bm25`: lexical only; `dense`: embeddings only; `fused`: both, combined per `fusion`."""

METHODS: tuple[Method, ...] = ("bm25", "dense", "fused")

DEFAULT_KIND_WEIGHTS: dict[str, float] = {
    "title": 1.0, "text": 1.0, "rule": 1.0, "definition": 1.0, "example": 1.1, "example_title": 0.9,
}

DEFAULT_THRESHOLD = 0.225
"""Cosine similarity (all-MiniLM-L6-v2) below which a prompt's best unit match is too weak to route it.

Calibrated with `evaluate.calibrate_threshold(..., keep=0.95)` on the tune halves of every labelled set
(Model Spec examples and hand-written prompts, policies/safety.md examples, XSTest mapped to that policy):
it keeps 95% of in-scope prompts categorised, because a harmful prompt left uncategorised loses its spec,
which costs more than an everyday prompt routed to a category. On the report halves it keeps 85-99% of
in-scope prompts and flags about half of everyday prompts against policies/safety.md (the balanced-accuracy
cut, 0.265, flags three quarters but keeps only ~70% of policy prompts). Another embedder needs its own
threshold (`--threshold`); `tests/benchmarks/bench_retrieval.py` recomputes both figures."""

TUNED_THRESHOLD = 0.212
"""The same cut for all-MiniLM-L6-v2 fine-tuned on the spec (`--tune`), calibrated separately, the same way
(keep 95%), on prompts it was not trained on: the tune halves of the hand-written Model Spec prompts and of
XSTest (each against a model tuned with the report half of its spec's examples held out). On the report
halves it keeps 100% and 92% of them and flags 33% of everyday prompts against policies/safety.md
(`tests/benchmarks/bench_retrieval.py`)."""


class RetrievalConfig(BaseModel):
    """Scoring settings; every field has a tuned default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Method = Field(default="fused", description="Which scores rank the categories.")
    fusion: Literal["rrf", "linear"] = Field(default="linear",
                                                description="How dense and lexical scores combine.")
    rrf_k: float = Field(default=60.0, gt=0, description="Reciprocal-rank-fusion constant.")
    dense_weight: float = Field(default=1.0, ge=0, description="Weight of the dense ranking in the fusion.")
    lexical_weight: float = Field(default=0.1, ge=0, description="Weight of the lexical ranking in the fusion.")
    pool_top: int = Field(default=3, ge=1, description="Dense: a category scores the mean of its best N units.")
    centroid_weight: float = Field(default=0.5, ge=0, description="Dense: plus this times the mean "
                                   "similarity over all the category's units.")
    lexical_pool_top: int = Field(default=2, ge=1, description="BM25: a category scores the mean of its best N.")
    kind_weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_KIND_WEIGHTS),
                                           description="Multiplier per unit kind; 0 leaves that kind out.")
    query_prefix: str = Field(default="", description="Text put before every query before it is embedded.")
    max_words: int = Field(default=80, ge=10, description="Prose is cut into chunks of about this many words.")
    threshold: float = Field(default=DEFAULT_THRESHOLD,
                             description="A prompt whose best cosine similarity to any unit is below this "
                                         "is flagged uncategorised.")
