"""Turning a server's top log-probabilities for one token into judge choice probabilities."""

from __future__ import annotations

import math
from collections.abc import Sequence


def choice_probs_from_top_logprobs(top: Sequence[tuple[str, float]], choices: Sequence[str]) -> dict[str, float] | None:
    """Probabilities of `choices` from `(token, logprob)` pairs, renormalised over the choices.

    A token counts for a choice when, stripped of whitespace, it equals the choice, or else is a
    non-empty start of exactly one choice (`"1"` for a choice `"10"` when no choice is `"1"`).
    `None` when no listed token matches any choice.
    """
    mass = dict.fromkeys(choices, 0.0)
    for token, logprob in top:
        piece = token.strip()
        if not piece:
            continue
        if piece in mass:
            mass[piece] += math.exp(logprob)
            continue
        starts = [c for c in choices if c.startswith(piece)]
        if len(starts) == 1:
            mass[starts[0]] += math.exp(logprob)
    total = sum(mass.values())
    if total <= 0.0:
        return None
    return {choice: value / total for choice, value in mass.items()}
