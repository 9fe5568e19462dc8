"""Pure helpers behind the backends: batching, padding, stop strings, choice tokens, logprobs, retry delays."""

from __future__ import annotations

import math
import random

import pytest

from trainer.backends import BackendError, RetryPolicy
from trainer.backends._batching import left_pad, micro_batches
from trainer.backends._choices import choice_tokens
from trainer.backends._logprobs import choice_probs_from_top_logprobs
from trainer.backends._retry import is_retryable_status, parse_retry_after
from trainer.backends._stop import cut_at_stop


@pytest.mark.parametrize(
    ("lengths", "size", "expected"),
    [
        ([3, 9, 1, 5], 2, [[1, 3], [0, 2]]),
        ([4, 4, 4], 2, [[0, 1], [2]]),
        ([], 3, []),
        ([2, 7], 8, [[1, 0]]),
    ],
)
def test_micro_batches_longest_first(lengths: list[int], size: int, expected: list[list[int]]) -> None:
    assert micro_batches(lengths, size) == expected


def test_micro_batches_reject_zero() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        micro_batches([1], 0)


def test_left_pad() -> None:
    ids, mask, positions = left_pad([[5, 6, 7], [8]], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [0, 0, 8]]
    assert mask.tolist() == [[1, 1, 1], [0, 0, 1]]
    assert positions.tolist() == [[0, 1, 2], [0, 0, 0]]


@pytest.mark.parametrize(
    ("text", "stop", "expected"),
    [
        ("a STOP b", ["STOP"], ("a ", True)),
        ("a B c A", ["A", "B"], ("a ", True)),
        ("nothing", ["x"], ("nothing", False)),
        ("keep", [""], ("keep", False)),
        ("keep", [], ("keep", False)),
    ],
)
def test_cut_at_stop(text: str, stop: list[str], expected: tuple[str, bool]) -> None:
    assert cut_at_stop(text, stop) == expected


def _char_encode(text: str) -> list[int]:
    """A toy tokenizer that, like BPE, merges a space into the following character."""
    out: list[int] = []
    i = 0
    while i < len(text):
        if text[i] == " " and i + 1 < len(text):
            out.append(1000 + ord(text[i + 1]))
            i += 2
        else:
            out.append(ord(text[i]))
            i += 1
    return out


def test_choice_tokens_handle_a_trailing_space() -> None:
    prompt, firsts = choice_tokens(_char_encode, "score: ", ["1", "2"])
    assert prompt == _char_encode("score:")
    assert firsts == [1000 + ord("1"), 1000 + ord("2")]


def test_choice_tokens_plain() -> None:
    prompt, firsts = choice_tokens(_char_encode, "score:", ["1", "2"])
    assert (prompt, firsts) == (_char_encode("score:"), [ord("1"), ord("2")])


@pytest.mark.parametrize(
    ("choices", "match"), [([], "at least one choice"), (["1", "10"], "same token"), (["", "1"], "adds no token")]
)
def test_choice_tokens_refuse(choices: list[str], match: str) -> None:
    with pytest.raises(BackendError, match=match):
        choice_tokens(_char_encode, "x", choices)


@pytest.mark.parametrize(
    ("top", "choices", "expected"),
    [
        ([("A", math.log(0.3)), (" B", math.log(0.1))], ["A", "B"], {"A": 0.75, "B": 0.25}),
        ([("1", math.log(0.5))], ["10", "2"], {"10": 1.0, "2": 0.0}),
        ([("1", math.log(0.5))], ["1", "10"], {"1": 1.0, "10": 0.0}),
        ([("x", 0.0), (" ", 0.0)], ["A"], None),
        ([], ["A"], None),
    ],
)
def test_choice_probs_from_top_logprobs(
    top: list[tuple[str, float]], choices: list[str], expected: dict[str, float] | None
) -> None:
    got = choice_probs_from_top_logprobs(top, choices)
    assert got == (pytest.approx(expected) if expected is not None else None)


def test_retry_delays_grow_and_are_capped() -> None:
    policy = RetryPolicy(backoff_base_s=1.0, backoff_max_s=5.0)
    rng = random.Random(0)
    for retry in range(6):
        for _ in range(20):
            assert 0.0 <= policy.delay(retry, rng) <= min(5.0, 2.0**retry)
    assert policy.delay(0, rng, retry_after=3.0) == 3.0
    assert policy.delay(0, rng, retry_after=60.0) == 5.0


@pytest.mark.parametrize(
    ("status", "retry"),
    [(400, False), (401, False), (404, False), (408, True), (409, True), (429, True), (500, True), (503, True)],
)
def test_retryable_status(status: int, retry: bool) -> None:
    assert is_retryable_status(status) is retry


@pytest.mark.parametrize(("value", "seconds"), [(None, None), ("2", 2.0), ("0.5", 0.5), ("soon", None), ("-1", None)])
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value) == seconds
