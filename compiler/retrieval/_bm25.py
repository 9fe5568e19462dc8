"""Lexical scores: BM25 (via `bm25s`) over the units, with a small English tokenizer.

The BM25 index is cheap to build (milliseconds for a few thousand units), so it is built when a
retriever is made rather than stored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import bm25s
import numpy as np
from numpy.typing import NDArray

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOPWORD_TEXT = """
a about above after again against all am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her
here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
now of off on once only or other our ours ourselves out over own same she should so some such than that the
their theirs them themselves then there these they this those through to too under until up very was we
were what when where which while who whom why will with would you your yours yourself yourselves s t don
i'm it's you're can't don't let's i've i'd i'll could've what's that's there's
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ers", "er", "ed", "es", "ly", "s")


def _stem(word: str) -> str:
    """A light suffix stripper: enough to match `locks`/`lock`/`locked`, cheap and deterministic."""
    if len(word) <= 4:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            return stem + "y" if suffix in ("ies", "ied") else stem
    return word


def tokenize(text: str) -> list[str]:
    """Lower-cased word stems without stopwords."""
    return [_stem(t) for t in _TOKEN.findall(text.lower().replace("’", "'")) if t not in STOPWORDS]


class Bm25Scorer:
    """BM25 scores of queries against a fixed list of documents."""

    def __init__(self, documents: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.size = len(documents)
        tokens = [tokenize(d) or ["\u2205"] for d in documents]
        self._model = bm25s.BM25(k1=k1, b=b)
        self._model.index(tokens, show_progress=False)

    def scores(self, queries: Sequence[str]) -> NDArray[np.float32]:
        """A (len(queries), len(documents)) matrix of BM25 scores (0 where no term matches)."""
        out = np.zeros((len(queries), self.size), dtype=np.float32)
        for row, query in enumerate(queries):
            terms = [t for t in tokenize(query) if t in self._model.vocab_dict]
            if terms:
                out[row] = self._model.get_scores(terms)
        return out
