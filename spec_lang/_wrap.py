"""Opt-in re-wrapping of prose for `delib fmt --wrap WIDTH` (`wrap_prose`), applied to text already in
canonical form.

What is re-flowed: top-level paragraphs and the paragraphs of `-` bullet items (at any depth of lists, the
continuation lines indented to the item's text), located by their markdown-it token maps. Each is re-filled
greedily to at most `width` columns. A line never breaks inside an inline code span, a link or image
(`[text](url)`, `[text][ref]`), an autolink or an inline HTML tag, nor before a word that could open a
block or be read as a list marker at the start of a line (`-`, `*`, `+`, `#`, `>`, `|`, `1.`, ...): such a
word stays with the word before it. A unit longer than `width` gets a line of its own.

What never is: headings, code blocks and fences, HTML blocks, tables, front matter, block quotes,
admonitions, `*`, `+` and numbered list items, the `**Example**:` line of a dialogue and the dialogue,
link reference definitions (not paragraphs), paragraphs holding a footnote definition (`[^key]:` starting a
line), a hard line break (two trailing spaces or a trailing backslash), an HTML comment, a tab or a lazy
continuation line (one not indented to its item's text).

Safety, per paragraph: the re-wrapped paragraph, parsed alone (with the document's link references), must
be a single paragraph rendering to the same HTML up to whitespace, and `versions.normalise_text` must read
it as the same text (so the revision id cannot change); otherwise it is left as it was. `fmt.format_spec`
still checks the whole result. The result is deterministic in the words of each paragraph, so wrapping
wrapped text changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from markdown_it.token import Token

from spec_lang._md_tokens import _FOOTNOTE_DEFINITION
from spec_lang.parser import _EXAMPLE, _MD
from spec_lang.versions import normalise_text

_RISKY_START = re.compile(r"(?:[-+*=_]+|#{1,6}|\d+[.)])$|[>|<:]|```|~~~|!!!|\[[^\]]*\]:")
"""A word that must not start a line: it could open a block (list item, heading, quote, table, fence, HTML
block, thematic break, setext underline, footnote or reference definition, admonition) or read as a list
marker (`versions.normalise_text` rewrites those)."""
_ITEM = re.compile(r"( *)-( {1,4})(?=\S)")
"""The first line of a `-` bullet item with text on it: indentation, bullet, spaces up to the text."""
_RULE_ID = re.compile(r"\{#[^\s{}]+\}")
_CLOSERS = {"[": "]", "(": ")"}


def _skip_code(text: str, i: int) -> int:
    """The index after the code span opened by the backtick run at `i` (after the run when it never closes)."""
    run = len(text[i:]) - len(text[i:].lstrip("`"))
    j = i + run
    while (k := text.find("`" * run, j)) != -1:
        end = k + run
        if end >= len(text) or text[end] != "`":  # `k` starts a run (a shorter run holds no match): exact length
            return end
        j = k + len(text[k:]) - len(text[k:].lstrip("`"))
    return i + run


def _skip_group(text: str, i: int) -> int:
    """The index after the bracket group (`[...]` or `(...)`) opened at `i`, or -1 when it never closes."""
    opener, closer = text[i], _CLOSERS[text[i]]
    depth, j = 0, i
    while j < len(text):
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == "`":
            j = _skip_code(text, j)
            continue
        if c == opener:
            depth += 1
        elif c == closer:
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return -1


def _skip_link(text: str, i: int) -> int:
    """The index after the link or image whose `[` is at `i` (`[text](url)`, `[text][ref]`, `[text]`)."""
    end = _skip_group(text, i)
    if end == -1:
        return i + 1
    if end < len(text) and text[end] in "([":
        after = _skip_group(text, end)
        return after if after != -1 else end
    return end


def atoms(text: str) -> list[str]:
    """The words of a paragraph's text (its lines joined by spaces), code spans, links and tags unsplit."""
    out: list[str] = []
    word: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            if word:
                out.append("".join(word))
                word = []
            i += 1
            continue
        if c == "\\":
            j = i + 2
        elif c == "`":
            j = _skip_code(text, i)
        elif c == "[":
            j = _skip_link(text, i)
        elif c == "<" and re.match(r"<[A-Za-z/!?]", text[i:]) and (k := text.find(">", i)) != -1:
            j = k + 1
        else:
            j = i + 1
        word.append(text[i:j])
        i = j
    if word:
        out.append("".join(word))
    return out


def _units(words: list[str], glue_first: bool) -> list[str]:
    """Words grouped into what a line may not break: a risky word is glued to the word before it (and a
    rule's `{#id}` to the word after it when `glue_first`)."""
    units: list[str] = []
    for n, word in enumerate(words):
        if units and (_RISKY_START.match(word) or (n == 1 and glue_first)):
            units[-1] += " " + word
        else:
            units.append(word)
    return units


def fill(words: list[str], first: str, indent: str, width: int, glue_first: bool = False) -> list[str]:
    """Greedy fill of `words` after the prefix `first` (first line) and `indent` (the others)."""
    lines: list[str] = []
    line = ""
    for unit in _units(words, glue_first):
        prefix = indent if lines else first
        if line and len(prefix) + len(line) + 1 + len(unit) > width:
            lines.append(prefix + line)
            line = unit
        else:
            line = f"{line} {unit}" if line else unit
    lines.append((indent if lines else first) + line)
    return lines


def _same_paragraph(old: str, new: str, refs: dict[str, Any]) -> bool:
    """Whether `new` parses alone as the same single paragraph as `old`, and normalises to the same text."""
    if normalise_text(old) != normalise_text(new):
        return False
    html = []
    for text in (old, new):
        env: dict[str, Any] = {"references": dict(refs)}
        tokens = _MD.parse(text, env)
        if [t.type for t in tokens] != ["paragraph_open", "inline", "paragraph_close"]:
            return False
        html.append(" ".join(_MD.renderer.render(tokens, _MD.options, env).split()))
    return html[0] == html[1]


def _targets(tokens: list[Token], lines: list[str]) -> list[tuple[int, int, str, str, bool]]:
    """(start, end, first-line prefix, continuation indent, glue a leading `{#id}`) of each paragraph to wrap."""
    found: list[tuple[int, int, str, str, bool]] = []
    stack: list[tuple[str, int | None]] = []  # open containers: (type, `-` item text column or None)
    for i, tok in enumerate(tokens):
        if tok.nesting == -1:
            stack.pop()
            continue
        if tok.nesting == 1 and tok.type != "paragraph_open":
            column: int | None = None
            if tok.type == "list_item_open" and tok.markup == "-" and tok.map is not None:
                m = _ITEM.match(lines[tok.map[0]])
                column = m.end() if m else None
            stack.append((tok.type, column))
            continue
        if tok.type != "paragraph_open":
            continue
        outer = list(stack)
        stack.append((tok.type, None))
        if tok.map is None:
            continue
        start, end = tok.map
        inline = tokens[i + 1]
        plain = all(t in ("bullet_list_open", "ordered_list_open", "list_item_open") for t, _ in outer)
        if not plain or _EXAMPLE.match(inline.content):
            continue
        if not outer:
            found.append((start, end, lines[start][: len(lines[start]) - len(lines[start].lstrip(" "))], "", False))
            continue
        kind, column = outer[-1]
        if kind != "list_item_open" or column is None:
            continue
        indent = " " * column
        item_start = tokens[i - 1].map
        opening = item_start is not None and item_start[0] == start
        first = lines[start][:column] if opening else indent
        if not opening and not lines[start].startswith(indent):
            continue
        found.append((start, end, first, indent, opening))
    return found


def wrap_prose(text: str, width: int) -> str:
    """`text` (in canonical form) with its prose paragraphs re-wrapped to `width` columns (see the module)."""
    if width <= 0:
        return text
    env: dict[str, Any] = {}
    tokens = _MD.parse(text, env)
    refs = env.get("references", {})
    lines = text.split("\n")
    for start, end, first, indent, glue in reversed(_targets(tokens, lines)):
        old = lines[start:end]
        if any("\t" in line or line.endswith(("  ", "\\")) or _FOOTNOTE_DEFINITION.match(line) for line in old):
            continue
        if "<!--" in "".join(old):
            continue
        if any(line[: len(indent)].strip() for line in old[1:]):  # a lazy continuation line
            continue
        body = [old[0][len(first) :]] + [line.lstrip(" ") for line in old[1:]]
        words = atoms(" ".join(body))
        new = fill(words, first, indent, width, glue and bool(words and _RULE_ID.fullmatch(words[0])))
        if new == old:
            continue
        alone = [line[len(indent) if n else len(first) :] for n, line in enumerate(new)]
        if _same_paragraph("\n".join(body), "\n".join(alone), refs):
            lines[start:end] = new
    return "\n".join(lines)
