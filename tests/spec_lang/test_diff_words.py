"""The word-level diff: each side rebuilds its (normalised) text, changes are marked at word granularity,
context is elided around changes, and the similarity prefilter never changes a score it lets through."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from spec_lang._diff_words import elide, side, similarity, tokens, word_diff, words

WORD = st.sampled_from(["alpha", "beta", "gamma", "delta", "the", "a", "- item", "1. first", "\n", "\n\n", "—"])
TEXT = st.lists(WORD, max_size=40).map(" ".join)


def _words_of(text: str) -> list[str]:
    return [t.strip() for t in tokens(text)]


@given(TEXT, TEXT)
def test_each_side_rebuilds_its_text(old: str, new: str) -> None:
    chunks, ratio = word_diff(old, new)
    assert "".join(c.text for c in side(chunks, "delete")).split() == _words_of(old)
    assert "".join(c.text for c in side(chunks, "insert")).split() == _words_of(new)
    assert 0.0 <= ratio <= 1.0 and all(c.text for c in chunks)
    assert all(a.op != b.op for a, b in zip(chunks, chunks[1:], strict=False))  # runs are merged


@given(TEXT)
def test_equal_texts_are_one_equal_run(text: str) -> None:
    chunks, ratio = word_diff(text, text)
    assert ratio == 1.0 and all(c.op == "equal" for c in chunks) and len(chunks) <= 1


def test_a_rewritten_sentence_reads_as_one_change() -> None:
    chunks, _ = word_diff("The cat sat on the mat today.", "The dog lay on the rug today.")
    assert [(c.op, c.text) for c in chunks] == [
        ("equal", "The "), ("delete", "cat sat on the mat "), ("insert", "dog lay on the rug "), ("equal", "today.")]


def test_elide_keeps_context_around_changes() -> None:
    old = " ".join(f"w{i}" for i in range(100))
    chunks, _ = word_diff(old, old.replace("w50", "CHANGED"))
    shown = elide(chunks, 3)
    assert shown[0] == ("skip", "…") and shown[-1] == ("skip", "…")
    assert "".join(t for _, t in shown).split() == ["…", "w47", "w48", "w49", "w50", "CHANGED", "w51", "w52", "w53",
                                                     "…"]


@given(st.lists(WORD, max_size=30), st.lists(WORD, max_size=30), st.floats(0.05, 0.95))
def test_similarity_floor_only_prunes_hopeless_pairs(a: list[str], b: list[str], floor: float) -> None:
    full = similarity(a, b)
    pruned = similarity(a, b, floor)
    assert pruned == full or (pruned == 0.0 and full < floor)


def test_words_are_normalised_and_lower_cased() -> None:
    assert words("Don’t —\n1. Stop") == ["don", "t", "stop"]  # a list marker is formatting, not a word
