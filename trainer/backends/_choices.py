"""Which token decides between judge choices, given a tokenizer.

A judge prompt ends with a prefix such as `{"score": ` and the choices `1`..`5`. BPE tokenizers often
merge a trailing space into the next token (` 3` is one token), so the boundary between prefix and
choice is found by tokenizing `context + choice` for every choice and taking the first position
where any of them leaves the tokens of the bare context. The model is run on the tokens before that
position, and each choice is represented by its token there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from trainer.backends._errors import BackendError


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def choice_tokens(
    encode: Callable[[str], list[int]], context: str, choices: Sequence[str]
) -> tuple[list[int], list[int]]:
    """`(prompt_ids, choice_ids)`: the tokens to run the model on, and the deciding token of each choice.

    Raises `BackendError` when there are no choices, or when two choices share their deciding token
    (e.g. `1` and `10`): first-token scoring cannot tell them apart, so pick choices that differ at once.
    """
    if not choices:
        raise BackendError("choice_probs needs at least one choice, got none")
    base = encode(context)
    full = [encode(context + choice) for choice in choices]
    cut = min(_common_prefix(base, ids) for ids in full)
    firsts: list[int] = []
    for choice, ids in zip(choices, full, strict=True):
        if len(ids) <= cut:
            raise BackendError(f"choice {choice!r} adds no token after the prefix; use non-empty choices")
        firsts.append(ids[cut])
    seen: dict[int, str] = {}
    for choice, token in zip(choices, firsts, strict=True):
        if token in seen:
            raise BackendError(
                f"choices {seen[token]!r} and {choice!r} start with the same token, so their probabilities "
                "cannot be told apart; use choices that differ in their first token (e.g. single digits)"
            )
        seen[token] = choice
    return base[:cut], firsts
