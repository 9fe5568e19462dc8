"""Shared-prefix scoring: grouping prompts by prefix, and logits equal to a full pass (tiny random Llama)."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.backends import ChatMessage, TransformersBackend, open_backend
from trainer.backends._prefix import MIN_SHARED, PrefixCache, common_prefix, last_logits, prefix_batches, related

RUBRIC_A = "Grade the reply against the policy. " + " ".join(f"Rule a{i}: be kind to user {i}." for i in range(40))
RUBRIC_B = "Grade the reply against the policy. " + " ".join(f"Rule b{i}: never help with {i}." for i in range(40))


def _judge(rubric: str, reply: str) -> list[ChatMessage]:
    return [{"role": "system", "content": rubric}, {"role": "user", "content": f"Reply:\n---\n{reply}\n---"}]


CONVERSATIONS: list[list[ChatMessage]] = [
    _judge(RUBRIC_A, "Sure, here it is."), _judge(RUBRIC_B, "Sorry, I can't help with that."),
    _judge(RUBRIC_A, "I won't do that, but here is a safer way to think about the problem you describe."),
    [{"role": "user", "content": "hi"}], _judge(RUBRIC_B, "No."), _judge(RUBRIC_A, "x"),
]


@pytest.mark.parametrize(("sequences", "length"), [
    ([], 0), ([[1, 2, 3]], 3), ([[1, 2, 3], [1, 2, 4]], 2), ([[1, 2], [1, 2, 3]], 2), ([[5], [1]], 0),
])
def test_common_prefix(sequences: list[list[int]], length: int) -> None:
    assert common_prefix(sequences) == length


def test_prefix_batches_keep_families_together() -> None:
    long_a, long_b = list(range(100)), list(range(1000, 1100))
    seqs = [long_a + [1], [7, 7], long_b + [2], long_a + [3, 4], [8], long_b + [5]]
    assert sorted(sorted(b) for b in prefix_batches(seqs, 2)) == [[0, 3], [1, 4], [2, 5]]
    assert prefix_batches([[7, 7], [8], [9, 9, 9]], 2) == [[2, 0], [1]]  # no family: by length, like micro_batches
    assert prefix_batches([long_a + [1], [8]], 4, kept=long_a) == [[0], [1]]  # related to the kept prefix
    assert prefix_batches(seqs, 2, kept=long_b)[0] == [2, 5]  # the kept prefix's family comes first
    assert related(long_a, long_a + [1]) and not related(long_a[:MIN_SHARED - 1], long_a)
    assert not related(long_a[:70] + long_b, long_a[:70] + long_b[::-1])  # shares less than half of either
    with pytest.raises(ValueError, match="at least 1"):
        prefix_batches([[1]], 0)


@pytest.fixture(scope="module")
def tiny(tiny_model_dir: Path) -> TransformersBackend:
    backend = open_backend(f"hf:{tiny_model_dir}", batch_size=2)
    assert isinstance(backend, TransformersBackend)
    return backend


def test_shared_prefix_logits_equal_a_full_pass(tiny: TransformersBackend) -> None:
    import torch

    seqs = [tiny._encode(tiny.render(c)) for c in CONVERSATIONS if c[0]["content"] == RUBRIC_A]
    assert common_prefix(seqs) >= MIN_SHARED
    full = torch.cat([last_logits(tiny.model, [s], tiny._pad_id, None) for s in seqs])
    cache = PrefixCache()
    shared = last_logits(tiny.model, seqs, tiny._pad_id, cache)
    assert cache.tokens == tuple(seqs[0][:common_prefix(seqs)])
    assert torch.allclose(shared, full, atol=1e-4)
    again = last_logits(tiny.model, seqs[1:], tiny._pad_id, cache)  # reuses the kept prefix, cropped
    assert torch.allclose(again, full[1:], atol=1e-4)


def test_choice_probs_share_prefixes_and_match_one_at_a_time(tiny: TransformersBackend) -> None:
    from trainer.backends._prefix import shares_prefixes

    assert shares_prefixes(tiny.model)
    choices = ["1", "2", "3", "4", "5"]
    together = tiny.choice_probs(CONVERSATIONS, '{"score": ', choices)
    assert tiny._prefixes.tokens  # a rubric's prefix is kept for the next call
    for conversation, probs in zip(CONVERSATIONS, together, strict=True):
        tiny._prefixes.clear()
        [alone] = tiny.choice_probs([conversation], '{"score": ', choices)
        assert probs is not None and alone is not None
        assert probs == pytest.approx(alone, abs=1e-4)


def test_greedy_generation_shares_prefixes_and_matches_one_at_a_time(tiny: TransformersBackend) -> None:
    from trainer.backends import SamplingParams

    greedy = SamplingParams(temperature=0.0, max_new_tokens=5)
    tiny._prefixes.clear()
    together = tiny.generate(CONVERSATIONS, greedy)
    assert tiny._prefixes.tokens  # the shared path ran
    for conversation, generation in zip(CONVERSATIONS, together, strict=True):
        tiny._prefixes.clear()  # alone and with nothing kept: the plain batched path
        [alone] = tiny.generate([conversation], greedy)
        assert (generation.text, generation.prompt_tokens, generation.completion_tokens) == (
            alone.text, alone.prompt_tokens, alone.completion_tokens)
    tiny._prefixes.clear()
    tiny.generate(CONVERSATIONS, SamplingParams(temperature=1.0, max_new_tokens=3, seed=1))
    assert not tiny._prefixes.tokens  # sampling keeps the batched path
