"""The canonical form of a spec file: `format_spec(text)`, a pure function (`delib fmt` does the I/O).

The formatter works line by line, guided by the Markdown tokens and the parsed spec, and changes only:

- heading attribute blocks: `{#id}` first, then the known keys in `ATTR_ORDER`, then unknown keys
  alphabetically; one space between the title and the block and between its parts; a value quoted only
  when it must be (empty or containing whitespace);
- ATX headings at the top level: `## Title`, one space after the `#`s, no indentation, no closing `#`s;
- rule lists: `-` as the bullet (`*` and `+` become `-`, unless the list touches another bullet list it
  would then merge with; numbered rule lists stay numbered), one space between a rule's `{#id}` and its text;
- whitespace: trailing spaces and tabs removed (a Markdown hard line break, two or more trailing spaces
  inside a paragraph, is kept as exactly two), runs of blank lines made one, exactly one blank line
  between top-level blocks, no blank line at the start, one newline at the end, LF line endings, no BOM.

It never re-wraps prose unless asked (`wrap`, `delib fmt --wrap WIDTH`): a re-wrapped paragraph makes a
noisy diff for no change in meaning. Asked, it re-flows plain paragraphs and the text of `-` bullet items to
`wrap` columns after the rest of the formatting (`spec_lang._wrap`, which lists what is never wrapped). It keeps
exactly as they are the content of fenced and indented code blocks and of HTML blocks (comments included).
Example dialogues (their `<!-- GOOD -->` labels included) and front matter lose only trailing whitespace
(front matter only when its YAML reads the same without it). Setext headings, nested and numbered lists,
tables and block quotes keep their layout, trailing whitespace and extra blank lines aside.

Safety: the result is parsed again and must have the spec's revision id (`versions.revision_id`) and the
same parser diagnostics; otherwise `UnsafeFormatError` (a formatter bug) is raised, so a caller never
writes a text that means something else. Text with syntax errors is refused (`SpecLintError`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from markdown_it.token import Token

from spec_lang._attrs import AttrBlock, split_heading
from spec_lang._front_matter import opens_front_matter, read_front_matter
from spec_lang._wrap import wrap_prose
from spec_lang.loader import SpecLintError
from spec_lang.model import Block, Example, RuleGroup, Spec
from spec_lang.parser import _MD, ParseResult, parse
from spec_lang.versions import revision_id

ATTR_ORDER: tuple[str, ...] = ("kind", "authority", "response", "tags", "rules")
"""Known attribute keys in canonical order (the order of the table in `policies/README.md`)."""

_BLANK = re.compile(r"[ \t]*")
_BULLET = re.compile(r"^( {0,3})[*+](?=[ \t]|$)")
_RULE_ID_GAP = re.compile(r"^( {0,3}(?:[-*+]|\d{1,9}[.)]) {1,4}\{#[^\s{}]+\})[ \t]+(?=\S)")
"""A rule item's `{#id}` and the spaces after it (only where the item's content is a paragraph)."""


class UnsafeFormatError(RuntimeError):
    """The formatted text would parse to a different spec: a bug in the formatter. Nothing may be written."""


@dataclass(frozen=True)
class _Plan:
    """What happens to each line (0-based line numbers) of the source."""

    verbatim: frozenset[int]
    """Lines kept exactly: code and HTML block content, front matter whose YAML needs its trailing spaces, and
    paragraph lines ending in a backslash and a space."""
    content: frozenset[int]
    """Lines whose blank lines are content (dialogues, front matter): trailing whitespace removed, nothing else."""
    hard_breaks: frozenset[int]
    """Paragraph lines ending in a hard line break (two trailing spaces, kept)."""
    starts: frozenset[int]
    """First lines of top-level blocks after the first: one blank line goes before each."""
    rewrites: dict[int, str]
    """New text of rewritten lines (headings, rule markers)."""


def render_attrs(block: AttrBlock) -> str:
    """`{#id key=value ...}` in canonical order, quoting only what needs quotes."""
    keys = [k for k in ATTR_ORDER if k in block.attrs] + sorted(k for k in block.attrs if k not in ATTR_ORDER)
    parts = [f"#{block.id}"] if block.id else []
    parts += [f"{k}={_quote(block.attrs[k])}" for k in keys]
    return "{" + " ".join(parts) + "}"


def _quote(value: str) -> str:
    return f'"{value}"' if not value or any(c.isspace() for c in value) else value


def _blocks(spec: Spec) -> list[Block]:
    return [*spec.preamble, *(b for s in spec.sections for b in s.body)]


def _heading(level: int, content: str) -> str:
    title, block = split_heading(content)
    parts = ["#" * level] + ([title] if title else []) + ([render_attrs(block)] if block else [])
    return " ".join(parts)


def _front_matter(tok: Token, lines: list[str]) -> tuple[set[int], set[int]]:
    """(verbatim, content) lines of the front matter: trailing whitespace goes only if the YAML reads the same."""
    assert tok.map is not None
    span = set(range(tok.map[0], tok.map[1]))
    inner = lines[tok.map[0] + 1 : tok.map[1] - 1]
    stripped = "\n".join(line.rstrip(" \t") for line in inner)
    before, after = read_front_matter("\n".join(inner), "<fm>"), read_front_matter(stripped, "<fm>")
    same = before.meta == after.meta and [d.code for d in before.diagnostics] == [d.code for d in after.diagnostics]
    return (set(), span) if same else (span, set())


def _fence_body(tok: Token, lines: list[str]) -> range:
    """The lines of a fence between its opening line and its closing line (to the end when unclosed)."""
    assert tok.map is not None
    start, end = tok.map
    last = lines[end - 1].strip() if end - 1 > start else ""
    closed = last.startswith(tok.markup) and set(last) == {tok.markup[0]}
    return range(start + 1, end - 1 if closed else end)


def _rule_lists(tokens: list[Token], heads: list[int], rule_starts: set[int], lines: list[str]) -> dict[int, str]:
    """Rewritten first lines of the items of rule lists: `-` bullets, one space after the `{#id}`."""
    rewrites: dict[int, str] = {}
    for n, i in enumerate(heads):
        tok = tokens[i]
        if not tok.type.endswith("list_open") or tok.map is None or tok.map[0] not in rule_starts:
            continue
        neighbours = [tokens[heads[m]] for m in (n - 1, n + 1) if 0 <= m < len(heads)]
        rebullet = tok.markup in ("*", "+") and not any(t.type == "bullet_list_open" for t in neighbours)
        for item in tokens[i + 1 :]:
            if item.level == 0:
                break
            if item.type != "list_item_open" or item.level != 1 or item.map is None:
                continue
            line = lines[item.map[0]]
            line = _BULLET.sub(r"\1-", line) if rebullet else line
            rewrites[item.map[0]] = _RULE_ID_GAP.sub(r"\1 ", line)
    return rewrites


def _backslash_then_space(line: str) -> bool:
    """Whether `line` ends in `\\` and then whitespace that is no hard break: without the whitespace, the
    backslash would become one."""
    text = line.rstrip(" \t")
    return text.endswith("\\") and text != line and not line.endswith("  ")


def _plan(lines: list[str], tokens: list[Token], spec: Spec) -> _Plan:
    verbatim: set[int] = set()
    content: set[int] = set()
    hard: set[int] = set()
    rewrites: dict[int, str] = {}
    blocks = _blocks(spec)
    dialogue_ends = {b.span.end_line for b in blocks if isinstance(b, Example) and b.span is not None}
    rule_starts = {b.span.line - 1 for b in blocks if isinstance(b, RuleGroup) and b.span is not None}
    heads = [i for i, t in enumerate(tokens) if t.level == 0 and t.nesting >= 0 and t.map is not None]
    for i, tok in enumerate(tokens):
        if tok.map is None:
            continue
        start, end = tok.map
        if tok.type == "front_matter":
            fixed, loose = _front_matter(tok, lines)
            verbatim |= fixed
            content |= loose
        elif tok.type == "fence":
            body = _fence_body(tok, lines)
            (content if tok.level == 0 and end in dialogue_ends else verbatim).update(body)
        elif tok.type in ("code_block", "html_block"):
            verbatim.update(range(start, end))
        elif tok.type == "inline":  # every line but a paragraph's last may end in a hard line break
            hard.update(n for n in range(start, end - 1) if lines[n].endswith("  "))
            verbatim.update(n for n in range(start, end - 1) if _backslash_then_space(lines[n]))
        elif tok.type == "heading_open" and tok.level == 0 and tok.markup.startswith("#"):
            rewrites[start] = _heading(int(tok.tag[1]), tokens[i + 1].content)
    rewrites.update(_rule_lists(tokens, heads, rule_starts, lines))
    starts = {m[0] for t in (tokens[i] for i in heads[1:]) if (m := t.map) is not None}
    return _Plan(frozenset(verbatim), frozenset(content), frozenset(hard), frozenset(starts), rewrites)


def _render(lines: list[str], plan: _Plan) -> str:
    out: list[str] = []
    loose: list[bool] = []  # per output line: a blank line the formatter may drop
    for n, line in enumerate(lines):
        if n in plan.starts and out and out[-1]:
            out.append("")
            loose.append(True)
        if n in plan.verbatim or n in plan.content:
            out.append(line if n in plan.verbatim else line.rstrip(" \t"))
            loose.append(False)
            continue
        new = plan.rewrites.get(n, line).rstrip(" \t")
        if not new:
            if (out and not loose[-1]) or (not out and _opens_after_blanks(lines, n)):
                out.append("")
                loose.append(True)
            continue
        if n in plan.hard_breaks and line.endswith("  "):
            new += "  "
        out.append(new)
        loose.append(False)
    while out and loose[-1]:
        out.pop()
        loose.pop()
    return "\n".join(out) + "\n" if out else ""


def _opens_after_blanks(lines: list[str], n: int) -> bool:
    """Whether the first non-blank line after line `n` opens front matter: then one leading blank line stays,
    since without it a thematic break `---` would open front matter."""
    rest = (line for line in lines[n:] if not _BLANK.fullmatch(line))
    return opens_front_matter(next(rest, ""))


def _verify(before: ParseResult, after: ParseResult) -> None:
    codes = [Counter(d.code for d in r.diagnostics) for r in (before, after)]
    if revision_id(before.spec) != revision_id(after.spec) or codes[0] != codes[1]:
        raise UnsafeFormatError(f"{before.spec.path}: formatting would change the spec's meaning "
                                "(a bug in the formatter); nothing was formatted")


def format_spec(text: str, path: str = "<string>", *, wrap: int = 0) -> str:
    """`text` in canonical form (see the module docstring), its prose re-wrapped to `wrap` columns when `wrap`
    is positive. Raises `SpecLintError` when the text has syntax errors (the parser's error diagnostics) and
    `UnsafeFormatError` if the result would mean something else."""
    source = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    before = parse(source, path)
    errors = tuple(d for d in before.diagnostics if d.severity == "error")
    if errors:
        raise SpecLintError(errors, [path])
    lines = source.split("\n")
    formatted = wrap_prose(_render(lines, _plan(lines, _MD.parse(source), before.spec)), wrap)
    _verify(before, parse(formatted, path))
    return formatted
