"""The HTML diff report renders spec Markdown (headings, bold, lists, code, links) instead of showing `###` and
`**`, safely (raw HTML escaped, no `javascript:` link, no image), with the changed words still marked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spec_lang import Spec, parse
from spec_lang._diff_html_text import render_inline, render_side
from spec_lang._diff_words import word_diff
from spec_lang.diff import diff_specs
from spec_lang.report_html import render_html
from tests.spec_lang.test_html_report import check

BASE = (Path(__file__).parent / "fixtures" / "diff" / "base.md").read_text(encoding="utf-8")
OVERVIEW = ("This policy covers two categories. Read the category that matches the request in full, and the summary "
            "of\nevery other one.")
REL = 'rel="nofollow noopener noreferrer"'

# id, old text, new text, the before column, the after column (Markdown rendered, changed words marked)
SIDES: list[tuple[str, str, str, str, str]] = [
    ("bold kept around a changed word", "A **very bad** idea.", "A **very good** idea.",
     "<p>A <strong>very <del>bad</del></strong> idea.</p>", "<p>A <strong>very <ins>good</ins></strong> idea.</p>"),
    ("a change across a bold span is split, not mis-nested", "**a b** c d", "**a** b c d",
     "<p><strong><del>a b</del></strong> c d</p>", "<p><strong><ins>a</ins></strong><ins> b</ins> c d</p>"),
    ("bold closed after punctuation", "**Note.** Old text.", "**Note.** New text.",
     "<p><strong>Note.</strong> <del>Old</del> text.</p>", "<p><strong>Note.</strong> <ins>New</ins> text.</p>"),
    ("list item changed, the list kept", "Intro:\n\n- one\n- two", "Intro:\n\n- one\n- three",
     "<p class=\"skip\">…</p>\n<ul>\n<li>one</li>\n<li><del>two</del></li>\n</ul>",
     "<p class=\"skip\">…</p>\n<ul>\n<li>one</li>\n<li><ins>three</ins></li>\n</ul>"),
    ("a heading before a change is kept, other paragraphs elided", "### Scope\n\nSame.\n\nOld words.",
     "### Scope\n\nSame.\n\nNew words.", '<p class="skip">…</p>\n<p><del>Old</del> words.</p>',
     '<p class="skip">…</p>\n<p><ins>New</ins> words.</p>'),
    ("heading changed", "### Scope\n\nText.", "### Reach\n\nText.",
     '<h3><del>Scope</del></h3>\n<p class="skip">…</p>', '<h3><ins>Reach</ins></h3>\n<p class="skip">…</p>'),
    ("inserted paragraph: the one before it is the context", "First.\n\nLast.", "First.\n\nMiddle.\n\nLast.",
     '<p>First.</p>\n<p class="skip">…</p>', '<p class="skip">…</p>\n<p><ins>Middle.</ins></p>\n<p class="skip">…</p>'),
    ("all new text", "", "### New\n\nAll *new*.", '<p class="empty">(no text)</p>',
     "<h3><ins>New</ins></h3>\n<p><ins>All </ins><em><ins>new</ins></em><ins>.</ins></p>"),
    ("inline code and a link", "Use `old` per [the law](https://example.org/law).",
     "Use `new` per [the law](https://example.org/law).",
     f'<p>Use <code><del>old</del></code> per <a href="https://example.org/law" {REL}>the law</a>.</p>',
     f'<p>Use <code><ins>new</ins></code> per <a href="https://example.org/law" {REL}>the law</a>.</p>'),
    ("raw HTML is text", "Say <b>hi</b> now.", "Say <script>alert(1)</script> now.",
     "<p>Say <del>&lt;b&gt;hi&lt;/b&gt;</del> now.</p>",
     "<p>Say <ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins> now.</p>"),
    ("a javascript: link is not made", "See [x](https://a.org) here.", "See [x](javascript:alert(1)) here.",
     f'<p>See <a href="https://a.org" {REL}><del>x</del></a> here.</p>',
     "<p>See <ins>[x](javascript:alert(1))</ins> here.</p>"),
]


@pytest.mark.parametrize(("name", "old", "new", "before", "after"), SIDES, ids=[c[0] for c in SIDES])
def test_side_rendering(name: str, old: str, new: str, before: str, after: str) -> None:
    chunks, _ = word_diff(old, new)
    assert (render_side(chunks, "delete"), render_side(chunks, "insert")) == (before, after)


@pytest.mark.parametrize("text", ["[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "<javascript:alert(1)>",
                                  "[x](vbscript:msgbox)", "[x](data:text/html;base64,PHNjcmlwdD4=)",
                                  "[x](file:///etc/passwd)"])
def test_unsafe_links_are_not_made(text: str) -> None:
    html = render_inline(text)
    assert "<a" not in html and "href" not in html


def test_images_are_not_loaded_and_links_are_safe() -> None:
    assert render_inline("![logo](https://evil.example/x.png)") == \
        f'!<a href="https://evil.example/x.png" {REL}>logo</a>'
    assert render_inline("**bold** _it_ `code`") == "<strong>bold</strong> <em>it</em> <code>code</code>"


def spec(text: str, name: str) -> Spec:
    return parse(text, name).spec


RICH_OLD = ("### Scope\n\nThis policy covers **two** categories.\n\n- Read the *matching* category in full.\n"
            "- Read every other summary.")
RICH_NEW = ("### Scope\n\nThis policy covers **three** categories; see [the index](https://example.org/index).\n\n"
            "- Read the *matching* category in full.\n- Read every other `summary` <script>alert(1)</script>.\n"
            "- Ignore [this](javascript:alert(1)).")


def _columns(html: str) -> list[str]:
    """The before and after columns of every text change."""
    column = r'<div class="col (?:old|new) md"><div class="colhead">\w+</div>(.*?)</div>(?=<div class="col|</div>)'
    return re.findall(column, html, re.S)


def test_report_renders_section_text_as_markdown() -> None:
    old = spec(BASE.replace(OVERVIEW, RICH_OLD), "old.md")
    new_text = BASE.replace(OVERVIEW, RICH_NEW).replace(
        "- {#weapons.r2}", "- {#weapons.r3} Do **not** explain `auto fire` conversions.\n- {#weapons.r2}")
    new = spec(new_text, "new.md")
    html = render_html(diff_specs(old, new), old, new)
    tags = check(html).tags  # well-formed, nothing loaded, links safe
    columns = _columns(html)
    assert len(columns) == 2 and all("<strong>" in c and "<li>" in c and "<h3>" in c for c in columns)
    assert not any(marker in c for c in columns for marker in ("**", "###", "`"))
    before, after = columns
    assert "<strong><del>two</del></strong>" in before and "<strong><ins>three</ins></strong>" in after
    assert f'<a href="https://example.org/index" {REL}><ins>the index</ins></a>' in after
    assert "<code><ins>summary</ins></code>" in after and "<em>matching</em>" in after
    assert "&lt;script&gt;" in after and "<script" not in html
    assert "javascript:" not in html.lower().replace("[this](javascript:alert(1))", "")
    assert tags["del"] >= 1 and tags["ins"] >= 3
    assert "Do <strong>not</strong> explain <code>auto fire</code> conversions." in html  # a rule in the list


def test_preamble_change_is_rendered_side_by_side() -> None:
    with_preamble = BASE.replace("# Overview {#overview", "Read **this** first.\n\n# Overview {#overview")
    old, new = spec(with_preamble, "old.md"), spec(with_preamble.replace("**this**", "**all of this**"), "new.md")
    html = render_html(diff_specs(old, new), old, new)
    check(html)
    assert '<span class="badge changed">preamble</span>' in html
    assert "<strong><ins>all of this</ins></strong>" in html or "<strong><ins>all of</ins> this</strong>" in html
