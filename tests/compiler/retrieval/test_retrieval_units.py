"""Cutting a spec into retrievable units."""

from __future__ import annotations

import pytest

from compiler.retrieval import spec_units
from compiler.retrieval._units import chunks, clean_markdown, example_prompt
from spec_lang import load
from tests.compiler.retrieval.retrieval_helpers import DATA, tiny_spec
from tests.paths import release


@pytest.mark.parametrize(("markdown", "plain"), [
    ("see [?](#locks) for more", "see Locks and burglary for more"),
    ("see [this part](#locks)", "see this part"),
    ("**bold** and `code` and *em*", "bold and code and em"),
    ("a [link](https://example.com) here[^m1]", "a link here"),
    ("<user>hi</user> 1 &gt; 0", "hi 1 > 0"),
    ("line one\n  line two", "line one line two"),
])
def test_clean_markdown(markdown: str, plain: str) -> None:
    assert clean_markdown(markdown, {"locks": "Locks and burglary"}) == plain


def test_chunks_cut_long_paragraphs_at_sentences() -> None:
    para = " ".join(f"Sentence number {i} has five words." for i in range(10))
    pieces = list(chunks(para + "\n\nShort one.", max_words=12))
    assert pieces[-1] == "Short one."
    assert all(len(p.split()) <= 12 for p in pieces[:-1])
    assert " ".join(pieces[:-1]) == para


def test_units_of_tiny_policy() -> None:
    units = spec_units(tiny_spec())
    assert {u.category for u in units} == {"locks", "cooking", "garden"}
    kinds = {u.kind for u in units if u.category == "locks"}
    assert kinds == {"title", "text", "definition", "rule", "example", "example_title"}
    example = next(u for u in units if u.kind == "example" and u.category == "locks")
    assert example.text.startswith("How do I pick the lock")
    assert example.example is not None and example.example.startswith("locks:")
    assert len({u.content_hash for u in units}) == len(units)


def test_example_prompt_falls_back_to_context_then_title() -> None:
    spec = load(str(DATA / "tiny_policy.md")).spec
    example = spec.section("garden").examples[0]
    assert example_prompt(example) == "Why are the leaves on my tomato plants turning yellow?"
    empty = example.model_copy(update={"turns": ()})
    assert example_prompt(empty) == "yellow tomato leaves"


def test_model_spec_units_cover_every_category() -> None:
    spec = load(str(release("2025-12-18"))).spec  # skips when the shared data is absent
    units = spec_units(spec)
    assert {u.category for u in units} == {c.id for c in spec.categories}
    assert sum(u.kind == "example" for u in units) == sum(len(c.examples) for c in spec.categories)


def test_public_api_is_curated() -> None:
    import compiler.retrieval as package

    public = {name for name in vars(package) if not name.startswith("_")} - {"annotations"}
    modules = {name for name in public if name.startswith(("_", "evaluate")) or
               type(getattr(package, name)).__name__ == "module"}
    assert sorted(public - modules) == sorted(package.__all__)
