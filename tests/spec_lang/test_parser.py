"""The parser on small inputs: one table row per construct of the dialect and of the Model Spec format."""

from __future__ import annotations

import pytest

from spec_lang import Comparison, Elision, Message, parse
from spec_lang._attrs import parse_block, split_heading, split_rule
from spec_lang._dialogue import parse_label

DIALECT = """---
id: demo
title: Demo policy
version: 2
owners: team@example.org
description: A demo.
review: quarterly
---

# Overview {#overview kind=overview}

Read [the weapons rules](#weapons) and [?](#weapons.r1)[^ab12].

# Weapons {#weapons kind=category authority=root tags=a,b}

Weapons summary paragraph.

Second paragraph.

### Definitions

**Firearm**: a gun.

- **Ammunition**: what a gun fires.
- **Magazine:** holds ammunition.

### Allowed

- {#weapons.c1} Discuss history.
- {#weapons.c2} Explain laws
  across lines.

### Disallowed {rules=refuse}

1. {#weapons.r1} No build guides.

### Examples

**Example**: a [?](#weapons) request

~~~xml
<developer>
You are helpful.
<untrusted>
ignore me
</untrusted>
</developer>
[...]
<user>
How do I build one?
</user>
<comparison>
<assistant recipient="python" end_turn="false"> <!-- BAD[#weapons.r1]: gives steps -->
Step 1 [...]
</assistant>
<assistant> <!-- GOOD -->
I can't help with that.
</assistant>
<assistant> <!-- OK, a bit curt -->
No.
</assistant>
</comparison>
~~~

!!! note "Why"
    Because.

    Really.
"""


@pytest.fixture(scope="module")
def spec():  # type: ignore[no-untyped-def]
    result = parse(DIALECT, "demo.md")
    assert [d.format() for d in result.diagnostics] == []
    return result.spec


def test_front_matter(spec) -> None:  # type: ignore[no-untyped-def]
    assert spec.format == "deliberative"
    m = spec.meta
    assert (m.id, m.title, m.version, m.owners, m.description) == ("demo", "Demo policy", "2",
                                                                   ("team@example.org",), "A demo.")
    assert m.extra == {"review": "quarterly"}


def test_sections_and_attrs(spec) -> None:  # type: ignore[no-untyped-def]
    assert [(s.id, s.level, s.parent, s.kind) for s in spec.sections] == [
        ("overview", 1, None, "overview"), ("weapons", 1, None, "category")]
    w = spec.section("weapons")
    assert w.attrs == {"kind": "category", "authority": "root", "tags": "a,b"}
    assert w.summary == "Weapons summary paragraph."
    assert [c.id for c in spec.categories] == ["weapons"]


def test_definitions(spec) -> None:  # type: ignore[no-untyped-def]
    defs = spec.section("weapons").definitions
    assert [(d.term, d.text) for d in defs] == [
        ("Firearm", "a gun."), ("Ammunition", "what a gun fires."), ("Magazine", "holds ammunition.")]


def test_rules(spec) -> None:  # type: ignore[no-untyped-def]
    rules = spec.section("weapons").rules
    assert [(r.id, r.response) for r in rules] == [
        ("weapons.c1", "comply"), ("weapons.c2", "comply"), ("weapons.r1", "refuse")]
    assert rules[1].text == "Explain laws\nacross lines."
    assert rules[2].span is not None and rules[2].span.line == 35


def test_refs_and_footnotes(spec) -> None:  # type: ignore[no-untyped-def]
    refs = spec.section("overview").refs
    assert [(r.target, r.text) for r in refs] == [("weapons", "the weapons rules"), ("weapons.r1", "?")]
    assert refs[1].span is not None and (refs[1].span.line, refs[1].span.col) == (12, 44)
    assert [f.key for f in spec.section("overview").footnotes] == ["ab12"]
    assert [r.target for r in spec.section("weapons").refs] == ["weapons"]  # from the example title


def test_example_dialogue(spec) -> None:  # type: ignore[no-untyped-def]
    (ex,) = spec.section("weapons").examples
    assert ex.title == "a [?](#weapons) request"
    kinds = [type(t) for t in ex.turns]
    assert kinds == [Message, Elision, Message, Comparison]
    dev = ex.turns[0]
    assert isinstance(dev, Message) and "<untrusted>\nignore me\n</untrusted>" in dev.content
    bad, good, ok = ex.candidates
    assert bad.attrs == {"recipient": "python", "end_turn": "false"}
    assert bad.label is not None and (bad.label.kind, bad.label.target, bad.label.reason) == (
        "BAD", "weapons.r1", "gives steps")
    assert good.label is not None and good.label.kind == "GOOD" and good.label.reason is None
    assert ok.label is not None and (ok.label.kind, ok.label.reason) == ("OK", "a bit curt")
    assert [m.role for m in ex.context] == ["developer", "user"]


def test_admonition(spec) -> None:  # type: ignore[no-untyped-def]
    (adm,) = [b for b in spec.section("weapons").body if b.type == "admonition"]
    assert (adm.kind, adm.title, adm.body) == ("note", "Why", "Because.\n\nReally.")


def test_spans_do_not_affect_equality() -> None:
    a = parse(DIALECT, "a.md").spec
    b = parse("\n\n" + DIALECT.replace("---\nid", "---\nid", 1), "b.md").spec
    assert a.sections[1] == b.sections[1]
    assert a.sections[1].span != b.sections[1].span
    assert hash(a.sections[1]) == hash(b.sections[1])


@pytest.mark.parametrize(("text", "title", "ident", "attrs", "error"), [
    ("Title {#a}", "Title", "a", {}, None),
    ("Title {#a.b-c authority=root}", "Title", "a.b-c", {"authority": "root"}, None),
    ('T {#x title="two words"}', "T", "x", {"title": "two words"}, None),
    ("T {kind=category}", "T", None, {"kind": "category"}, None),
    ("T {#x authority}", "T", "x", {}, "cannot read attribute"),
    ("T {#bad id!}", "T", "bad", {}, "cannot read attribute"),
    ("No block", "No block", None, None, None),
])
def test_heading_attrs(text: str, title: str, ident: str | None, attrs: dict[str, str] | None,
                       error: str | None) -> None:
    got_title, block = split_heading(text)
    assert got_title == title
    if attrs is None:
        assert block is None
        return
    assert block is not None and block.id == ident
    if error:
        assert block.error is not None and error in block.error
    else:
        assert block.error is None and block.attrs == attrs


@pytest.mark.parametrize(("text", "expected"), [
    ("{#a.r1} Rule text", ("a.r1", "Rule text")),
    ("Rule text", (None, "Rule text")),
    ("{#a} ", ("a", "")),
])
def test_rule_ids(text: str, expected: tuple[str | None, str]) -> None:
    assert split_rule(text) == expected


@pytest.mark.parametrize(("text", "kind", "target", "reason"), [
    (" GOOD ", "GOOD", None, None),
    (" BAD: leaks data ", "BAD", None, "leaks data"),
    (" BAD[#privacy.r1]: leaks ", "BAD", "privacy.r1", "leaks"),
    (" BAD[#chain_of_command] ", "BAD", "chain_of_command", None),
    (" GOOD, given high uncertainty ", "GOOD", None, "given high uncertainty"),
    (" OK ", "OK", None, None),
])
def test_labels(text: str, kind: str, target: str | None, reason: str | None) -> None:
    label = parse_label(text)
    assert label is not None and (label.kind, label.target, label.reason) == (kind, target, reason)


@pytest.mark.parametrize("text", [" MAYBE ", " GOOD[#]: x ", ""])
def test_bad_labels(text: str) -> None:
    assert parse_label(text) is None


def test_parse_block_quoted_values() -> None:
    assert parse_block('#a k="v w" z=1').attrs == {"k": "v w", "z": "1"}


def test_model_spec_format_categories_are_authority_sections() -> None:
    spec = parse("# A {#a}\n\nx\n\n## B {#b authority=user}\n\ny\n", "m.md").spec
    assert spec.format == "model_spec"
    assert [(s.id, s.kind, s.parent) for s in spec.sections] == [("a", "general", None), ("b", "category", "a")]
