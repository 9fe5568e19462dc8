"""`format_spec`: the canonical form of a spec, which never changes what the spec means.

Every real spec we have (our policies and each Model Spec release) is formatted and checked for idempotence,
an unchanged revision id, a cosmetic-only semantic diff and an equal parsed model; messy inputs are a table of
(title, input, exact expected output)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from spec_lang import SpecLintError, expand, parse
from spec_lang._attrs import AttrBlock, parse_block
from spec_lang.diff import diff_specs
from spec_lang.fmt import ATTR_ORDER, UnsafeFormatError, format_spec, render_attrs
from spec_lang.lint import KNOWN_ATTRS
from spec_lang.versions import revision_id
from tests.paths import POLICIES, RELEASES, release

OWN = [*(Path(r.path) for r in expand([str(POLICIES)])), POLICIES / "_demo" / "demo.md"]


def _relaxed(value: Any) -> Any:
    """Parsed data with every string's trailing whitespace and blank lines dropped: what formatting may change."""
    if isinstance(value, str):
        return "\n".join(line.rstrip(" \t") for line in value.split("\n") if line.strip(" \t"))
    if isinstance(value, dict):
        return {k: _relaxed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_relaxed(v) for v in value]
    return value


def _assert_same_meaning(text: str, formatted: str) -> None:
    before, after = parse(text, "f.md").spec, parse(formatted, "f.md").spec
    assert revision_id(before) == revision_id(after)
    result = diff_specs(before, after, sources_differ=text != formatted)
    assert not result.changed and result.cosmetic_only == (text != formatted)
    assert _relaxed(before.semantic()) == _relaxed(after.semantic())


@pytest.mark.parametrize("path", OWN, ids=lambda p: p.name)
def test_our_policies_are_canonical(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    formatted = format_spec(text, str(path))
    assert formatted == text, f"{path} is not in canonical form: run `delib fmt {path}`"


@pytest.mark.parametrize("name", RELEASES)
def test_model_spec_release_formats_without_changing_meaning(name: str) -> None:
    path = release(name)
    text = path.read_text(encoding="utf-8")
    formatted = format_spec(text, str(path))
    assert format_spec(formatted, str(path)) == formatted
    _assert_same_meaning(text, formatted)
    assert formatted.endswith("\n") and not formatted.endswith("\n\n")


MESSY = [
    ("attributes out of order, extra spaces, needless quotes",
     '#   Weapons   {#weapons   tags=a,b  authority="root" zeta=1 kind=category  alpha="two words"}\n\nS.\n',
     '# Weapons {#weapons kind=category authority=root tags=a,b alpha="two words" zeta=1}\n\nS.\n'),
    ("empty value keeps its quotes",
     '# A {#a note=""}\n', '# A {#a note=""}\n'),
    ("closing hashes and indentation of an ATX heading go",
     "  ## A {#a} ##\n", "## A {#a}\n"),
    ("part heading with rules= and no id",
     "# A {#a}\n\nS.\n\n##  Edge cases   {rules=safe_complete}\n\n- {#a.s1} x\n",
     "# A {#a}\n\nS.\n\n## Edge cases {rules=safe_complete}\n\n- {#a.s1} x\n"),
    ("trailing spaces and tabs go, a hard line break keeps two spaces",
     "# A {#a}   \n\nfirst line   \nsecond\t\nlast  \n",
     "# A {#a}\n\nfirst line  \nsecond\nlast\n"),
    ("a backslash before a trailing space keeps the space (without it, it would be a hard line break)",
     "# A {#a}\n\nback\\ \nslash\\ \n", "# A {#a}\n\nback\\ \nslash\\\n"),
    ("blank lines: one between blocks, none at the start or the end",
     "\n\n# A {#a}\ntext\n\n\n\n## B {#b}\n- x\n\n\n- y\n\n\n",
     "# A {#a}\n\ntext\n\n## B {#b}\n\n- x\n\n- y\n"),
    ("a code fence keeps its trailing spaces and blank lines",
     "# A {#a}\n\n```python   \nx = 1   \n\n\n\ty = 2\t\n```\ntext\n",
     "# A {#a}\n\n```python\nx = 1   \n\n\n\ty = 2\t\n```\n\ntext\n"),
    ("an indented code block and an HTML comment are kept exactly",
     "# A {#a}\n\n    code  \n\n\n    more\n\n<!-- note   \n\n\n   -->\n",
     "# A {#a}\n\n    code  \n\n\n    more\n\n<!-- note   \n\n\n   -->\n"),
    ("a dialogue loses trailing whitespace only",
     "# A {#a}\n\n**Example**: e  \n~~~xml  \n<user> \nhi  \n\n\nthere\n</user>\n<comparison>\n"
     "<assistant> <!-- GOOD:  fine  -->   \nno\n</assistant>\n</comparison>\n~~~\n",
     "# A {#a}\n\n**Example**: e\n\n~~~xml\n<user>\nhi\n\n\nthere\n</user>\n<comparison>\n"
     "<assistant> <!-- GOOD:  fine  -->\nno\n</assistant>\n</comparison>\n~~~\n"),
    ("rule bullets become '-', one space after the id, nested lists untouched",
     "# A {#a kind=category authority=root}\n\nS.\n\n## Disallowed\n\n* {#a.r1}   x\n  more\n\n"
     "  para\n* {#a.r2} y\n  + nested\n",
     "# A {#a kind=category authority=root}\n\nS.\n\n## Disallowed\n\n- {#a.r1} x\n  more\n\n"
     "  para\n- {#a.r2} y\n  + nested\n"),
    ("a '*' rule list next to a '-' list keeps its bullet (they would merge)",
     "# A {#a}\n\nS.\n\n## Disallowed\n\n* {#a.r1} x\n\n- {#a.r2} y\n",
     "# A {#a}\n\nS.\n\n## Disallowed\n\n* {#a.r1} x\n\n- {#a.r2} y\n"),
    ("numbered rules stay numbered, prose lists keep their bullets",
     "# A {#a}\n\n* prose\n\n## Allowed\n\n1.  {#a.c1}  x\n",
     "# A {#a}\n\n* prose\n\n## Allowed\n\n1.  {#a.c1} x\n"),
    ("front matter loses trailing spaces; CRLF and a BOM go",
     "\ufeff---  \r\nid: a \r\ntitle: T\r\n---\r\n# A {#a}\r\n",
     "---\nid: a\ntitle: T\n---\n\n# A {#a}\n"),
    ("front matter keeps the trailing spaces a YAML block scalar holds",
     "---\nid: a\ntitle: T\ndescription: |\n  keep   \n---\n\n# A {#a}\n",
     "---\nid: a\ntitle: T\ndescription: |\n  keep   \n---\n\n# A {#a}\n"),
    ("a blank line before a leading thematic break stays (it would open front matter)",
     "\n\n---\n\n# A {#a}\n", "\n---\n\n# A {#a}\n"),
    ("prose is never re-wrapped, admonitions keep their indentation",
     "# A {#a}\n\na very short\nline, then a long one that goes on\n\n!!! note \"T\"\n    one\n    \n    two\n",
     "# A {#a}\n\na very short\nline, then a long one that goes on\n\n!!! note \"T\"\n    one\n\n    two\n"),
    ("setext headings and tables keep their layout",
     "A {#a}\n===\n| x |  y |  \n|---|---|\n| 1 | 2 |\n",
     "A {#a}\n===\n\n| x |  y |\n|---|---|\n| 1 | 2 |\n"),
]


@pytest.mark.parametrize(("title", "text", "expected"), MESSY, ids=[m[0] for m in MESSY])
def test_messy_input(title: str, text: str, expected: str) -> None:
    formatted = format_spec(text)
    assert formatted == expected
    assert format_spec(formatted) == formatted
    source = text.removeprefix("\ufeff").replace("\r\n", "\n")
    _assert_same_meaning(source, formatted)


@pytest.mark.parametrize(("inner", "expected"), [
    ("#a", "{#a}"),
    ("#a  rules=refuse   kind=style", "{#a kind=style rules=refuse}"),
    ('rules=comply b="x y" a=1', '{rules=comply a=1 b="x y"}'),
    ('#a k="v"', "{#a k=v}"),
    ('#a k="tab\there"', '{#a k="tab\there"}'),
])
def test_render_attrs(inner: str, expected: str) -> None:
    block = parse_block(inner)
    assert block.error is None and render_attrs(block) == expected
    assert parse_block(expected[1:-1]) == block


def test_render_attrs_without_id() -> None:
    assert render_attrs(AttrBlock(None, {"tags": "x", "kind": "style"})) == "{kind=style tags=x}"


def test_attr_order_is_the_documented_order() -> None:
    assert set(ATTR_ORDER) == set(KNOWN_ATTRS)
    readme = (POLICIES / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| Key | Allowed values | Where | Meaning |"):]
    documented = re.findall(r"^\| `(\w+)` \|", table.split("\n\n")[0], re.M)
    assert tuple(documented) == ATTR_ORDER


@pytest.mark.parametrize("text", [
    "# A {#a kind=style   x}\n",  # malformed attribute block (SPEC021)
    "# A {#a}\n\n```\nnever closed\n",  # unclosed fence (SPEC047)
    "---\nid: a\n",  # unclosed front matter (SPEC014)
    "# A {#a}\n\n## Heading without id\n",  # SPEC020
])
def test_syntax_errors_are_refused(text: str) -> None:
    with pytest.raises(SpecLintError, match="lint error"):
        format_spec(text, "bad.md")


def test_semantic_errors_are_formatted() -> None:
    text = "# A {#a}\n\nSee [?](#missing).  \n"  # a dangling reference is lint's business, not fmt's
    assert format_spec(text) == "# A {#a}\n\nSee [?](#missing).\n"


def test_a_change_of_meaning_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    import spec_lang.fmt as fmt

    monkeypatch.setattr(fmt, "_render", lambda lines, plan: "\n".join(lines).replace("kind=category", ""))
    with pytest.raises(UnsafeFormatError, match="would change the spec's meaning"):
        format_spec("# A {#a kind=category authority=root}\n\nS.\n")
