"""`delib fmt --wrap WIDTH`: prose re-wrapped, and nothing else, without changing what the spec means.

Every real spec (our policies, each Model Spec release) is wrapped at 72 and 100 columns and checked for an
unchanged revision id, idempotence and a cosmetic-only diff; small inputs are a table of exact outputs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spec_lang import parse
from spec_lang._wrap import _units, atoms, fill, wrap_prose
from spec_lang.diff import diff_specs
from spec_lang.fmt import format_spec
from spec_lang.parser import _MD
from spec_lang.versions import revision_id
from tests.paths import POLICIES, RELEASES, release
from tests.spec_lang.test_fmt import OWN
from trainer.cli import app

WIDTHS = (72, 100)


def _wrapped_lines(text: str) -> list[str]:
    """The lines of the paragraphs `--wrap` may re-flow (top level and `-` items), by the token maps."""
    from spec_lang._wrap import _targets

    lines = text.split("\n")
    return [line for start, end, *_ in _targets(_MD.parse(text), lines) for line in lines[start:end]]


def _check(text: str, path: str, width: int) -> str:
    wrapped = format_spec(text, path, wrap=width)
    assert format_spec(wrapped, path, wrap=width) == wrapped, "wrapping is not idempotent"
    original, after = parse(text, path).spec, parse(wrapped, path).spec
    assert revision_id(original) == revision_id(after)
    canonical = format_spec(text, path)
    result = diff_specs(parse(canonical, path).spec, after, sources_differ=canonical != wrapped)
    assert not result.changed and result.cosmetic_only == (canonical != wrapped)
    kept = set(canonical.split("\n"))
    for line in _wrapped_lines(wrapped):  # over the width: one unbreakable unit, or a paragraph left as it was
        content = re.sub(r"^ *(?:- )?", "", line)
        units = _units(atoms(content), glue_first=content.startswith("{#"))
        assert len(line) <= width or len(units) <= 1 or line in kept, line
    return wrapped


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", OWN, ids=lambda p: p.name)
def test_our_policies_wrap_without_changing_meaning(path: Path, width: int) -> None:
    text = path.read_text(encoding="utf-8")
    wrapped = _check(text, str(path), width)
    assert wrapped != text  # the feature did something: our policies have lines over 100 columns
    assert format_spec(wrapped, str(path)) == wrapped  # wrapped text is still canonical without --wrap


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", RELEASES)
def test_model_spec_release_wraps_without_changing_meaning(name: str, width: int) -> None:
    path = release(name)
    text = path.read_text(encoding="utf-8")
    wrapped = _check(text, str(path), width)
    assert len(wrapped.split("\n")) > len(format_spec(text, str(path)).split("\n"))


HEAD = "# A {#a}\n\n"
CASES = [
    ("a paragraph is re-flowed both ways",
     HEAD + "one two three four five six seven eight\nnine\nten\n",
     HEAD + "one two three four\nfive six seven eight\nnine ten\n", 20),
    ("a `-` item's continuation lines are indented to its text; a rule's id stays with its first word",
     HEAD + "## Disallowed\n\n- {#a.r1} alpha beta gamma delta epsilon zeta\n- {#a.r2} alphabetagammadelta eta\n",
     HEAD + "## Disallowed\n\n- {#a.r1} alpha beta\n  gamma delta\n  epsilon zeta\n- {#a.r2} alphabetagammadelta\n"
     "  eta\n", 20),
    ("a later paragraph of an item and a nested `-` item",
     HEAD + "- first item text\n\n  alpha beta gamma delta epsilon\n  - nested alpha beta gamma delta\n",
     HEAD + "- first item text\n\n  alpha beta gamma\n  delta epsilon\n  - nested alpha\n    beta gamma delta\n",
     20),
    ("code spans and links are never split; a long unit gets a line of its own",
     HEAD + "see `a b c d e f` and [the link text](#x) and averyveryverylongwordindeed ok\n",
     HEAD + "see\n`a b c d e f`\nand\n[the link text](#x)\nand\naveryveryverylongwordindeed\nok\n", 10),
    ("a word that could open a block or read as a list marker never starts a line",
     HEAD + "alpha beta - gamma 12. delta # eps > zeta | eta\n",
     HEAD + "alpha beta -\ngamma 12. delta #\neps > zeta | eta\n", 18),
    ("headings, code, HTML, tables, quotes, dialogues, `*` and numbered lists and hard breaks stay",
     HEAD + "## A very long heading that goes on and on {#b}\n\n```\ncode that is long enough to wrap\n```\n\n"
     "<div>\nhtml that is long enough to wrap\n</div>\n\n| a long table | cell |\n|---|---|\n\n"
     "> a block quote that is long enough\n\n* a star item that is long enough\n\n"
     "1. a numbered item that is long enough\n\nhard  \nbreak in this long paragraph\n\n"
     "a comment <!-- long enough to wrap --> here\n\n**Example**: a title that is long enough to wrap\n\n"
     "~~~xml\n<user>\nhi\n</user>\n<assistant> <!-- GOOD -->\nok\n</assistant>\n~~~\n", None, 12),
    ("footnote definitions are never merged",
     HEAD + "Text[^1] and more[^2].\n\n[^1]: one note\n[^2]: two note\n",
     HEAD + "Text[^1] and\nmore[^2].\n\n[^1]: one note\n[^2]: two note\n", 14),
    ("a lazy continuation line keeps its item as it is",
     HEAD + "- an item that is long enough\nlazy line\n", None, 12),
    ("a paragraph whose re-wrap would change its revision id (a marker-like word moving) stays",
     HEAD + "Some words\n2. more words\n", None, 72),
    ("a paragraph whose re-wrap would make a link reference definition stays",
     HEAD + "[foo]: /url baz\n\n[foo]\n", None, 5),
]


@pytest.mark.parametrize(("title", "text", "expected", "width"), CASES, ids=[c[0] for c in CASES])
def test_wrap_cases(title: str, text: str, expected: str | None, width: int) -> None:
    expected = text if expected is None else expected
    assert format_spec(text, wrap=width) == expected
    assert format_spec(expected, wrap=width) == expected
    assert revision_id(parse(text).spec) == revision_id(parse(expected).spec)


def test_no_wrap_by_default() -> None:
    text = HEAD + "a very short\nline, then a long one that goes on and on and on and on and on and on and on\n"
    assert format_spec(text) == format_spec(text, wrap=0) == text
    assert wrap_prose(text, 0) == text


def test_fill_and_atoms() -> None:
    assert atoms("a `b  c` [d e](f g) <span class=x>h</span> \\` i") == [
        "a", "`b  c`", "[d e](f g)", "<span class=x>h</span>", "\\`", "i"]
    assert fill(["{#r}", "word", "more"], "- ", "  ", 8, glue_first=True) == ["- {#r} word", "  more"]


runner = CliRunner()
LONG = HEAD + "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu\n"


def test_cli_check_and_write_with_wrap(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text(LONG, encoding="utf-8")
    assert runner.invoke(app, ["fmt", "--check", str(path)]).exit_code == 0  # canonical without --wrap
    result = runner.invoke(app, ["fmt", "--check", "--wrap", "30", str(path)])
    assert result.exit_code == 1 and "would reformat" in result.stderr
    assert path.read_text(encoding="utf-8") == LONG
    shown = json.loads(runner.invoke(app, ["fmt", "--json", "--wrap", "30", str(path)]).stdout)
    assert shown == {"files": [{"path": str(path), "changed": True, "written": True}]}
    assert path.read_text(encoding="utf-8") == format_spec(LONG, wrap=30) != LONG
    assert runner.invoke(app, ["fmt", "--check", "--wrap", "30", str(path)]).exit_code == 0
    assert runner.invoke(app, ["fmt", "--check", "--wrap", "-1", str(path)]).exit_code == 2


def test_cli_policies_are_not_wrapped_by_default() -> None:
    result = runner.invoke(app, ["fmt", "--check", "--wrap", "0", str(POLICIES)])
    assert result.exit_code == 0, result.output
