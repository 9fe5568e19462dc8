"""`EmbeddingStyleClassifier`: response style from sentence embeddings, with a small softmax regression.

    clf = EmbeddingStyleClassifier.fit(SentenceTransformerEmbedder(), texts, labels)   # a tuning split
    clf.detect(["Sorry, I can't help with that."])                                    # ["refuse"]

The embedder is any `compiler.retrieval.Embedder` (all-MiniLM-L6-v2 by default in the CLI; a fake in
tests). Training is full-batch gradient descent from zeros with L2 regularisation and a fixed number
of steps, so the same data gives the same weights. Fit it on labelled data you do not report on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from compiler.retrieval import Embedder
from spec_lang.model import RESPONSES, Response

Matrix = NDArray[np.float64]


def _softmax(z: Matrix) -> Matrix:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def fit_softmax(x: Matrix, y: NDArray[np.int64], classes: int, *, l2: float = 1e-2, steps: int = 400,
                rate: float = 2.0) -> tuple[Matrix, Matrix]:
    """Weights (features x classes) and bias (1 x classes) of a multinomial logistic regression, with
    classes weighted inversely to their frequency so a rare style is not ignored."""
    n, d = x.shape
    onehot = np.zeros((n, classes))
    onehot[np.arange(n), y] = 1.0
    counts = onehot.sum(axis=0)
    weight = np.where(counts > 0, n / (classes * np.maximum(counts, 1)), 0.0)[y][:, None]
    w, b = np.zeros((d, classes)), np.zeros((1, classes))
    for _ in range(steps):
        grad = (_softmax(x @ w + b) - onehot) * weight / n
        w -= rate * (x.T @ grad + l2 * w)
        b -= rate * grad.sum(axis=0, keepdims=True)
    return w, b


class EmbeddingStyleClassifier:
    """A `StyleDetector` over sentence embeddings; build it with `fit`."""

    name = "embedding-classifier"

    def __init__(self, embedder: Embedder, weights: Matrix, bias: Matrix, classes: Sequence[Response]) -> None:
        self.embedder = embedder
        self.weights = weights
        self.bias = bias
        self.classes = tuple(classes)

    @classmethod
    def fit(cls, embedder: Embedder, texts: Sequence[str], labels: Sequence[Response], *,
            l2: float = 1e-2, steps: int = 400) -> EmbeddingStyleClassifier:
        """Train on labelled answers. Raises `ValueError` when there is nothing to learn from."""
        if len(texts) != len(labels) or not texts:
            raise ValueError(f"fit needs one label per text and at least one text: {len(texts)} texts, "
                             f"{len(labels)} labels")
        classes = [r for r in RESPONSES if r in set(labels)]
        if len(classes) < 2:
            raise ValueError(f"fit needs at least two styles among the labels, got {classes}")
        x = np.asarray(embedder.encode(list(texts)), dtype=np.float64)
        y = np.array([classes.index(label) for label in labels], dtype=np.int64)
        w, b = fit_softmax(x, y, len(classes), l2=l2, steps=steps)
        return cls(embedder, w, b, classes)

    def probabilities(self, texts: Sequence[str]) -> Matrix:
        """One row per text: the probability of each of `classes`."""
        if not texts:
            return np.zeros((0, len(self.classes)))
        x = np.asarray(self.embedder.encode(list(texts)), dtype=np.float64)
        return _softmax(x @ self.weights + self.bias)

    def detect(self, texts: Sequence[str]) -> list[Response]:
        probs = self.probabilities(texts)
        return [self.classes[int(i)] for i in probs.argmax(axis=1)] if len(texts) else []
