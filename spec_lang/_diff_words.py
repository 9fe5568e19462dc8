"""Words: the text a reviewer reads for each node, its word-level diff, and the similarity of two texts.

Texts are normalised with `versions.normalise_text` paragraph by paragraph, so a diff never shows
re-wrapping, list-marker, dash or quote changes. Similarity is difflib's ratio over lower-cased word
sequences (`2 * matched / total`); a multiset upper bound prunes hopeless pairs before the exact ratio.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from difflib import SequenceMatcher

from spec_lang._diff_model import Chunk, ChunkOp
from spec_lang.model import Admonition, Block, Comparison, Definition, Example, Message, Part, Prose, Section
from spec_lang.versions import normalise_text

BREAK = "\n\n"
"""The separator after the last word of a paragraph."""
LINE = "\n"
"""The separator after the last word of a line that a list item follows."""

_PARAGRAPHS = re.compile(r"\n[ \t]*\n")
_WORD = re.compile(r"\w+")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")


def paragraphs(text: str) -> list[list[str]]:
    """Normalised, non-empty paragraphs of Markdown text, each a list of lines: a list item starts a line."""
    out = []
    for part in _PARAGRAPHS.split(text):
        lines: list[str] = []
        for raw in part.split("\n"):
            if not lines or _ITEM.match(raw):
                lines.append(raw)
            else:
                lines[-1] += "\n" + raw
        kept = [n for n in (normalise_text(line) for line in lines) if n]
        if kept:
            out.append(kept)
    return out


def block_text(block: Block) -> str | None:
    """A block as the reviewer reads it; None for rule groups and examples, which are diffed on their own."""
    if isinstance(block, Prose):
        return block.text
    if isinstance(block, Definition):
        return f"**{block.term}**: {block.text}"
    if isinstance(block, Admonition):
        title = f' "{block.title}"' if block.title else ""
        return f"!!! {block.kind}{title}\n\n{block.body}"
    if isinstance(block, Part):
        return f"{'#' * block.level} {block.title}"
    return None


def section_text(section: Section) -> str:
    """A section's own text: everything but its rules, examples and child sections."""
    parts = (block_text(b) for b in section.body)
    return "\n\n".join(p for p in parts if p)


def _message_text(message: Message) -> str:
    head: str = message.role
    if message.attrs:
        head += " " + " ".join(f"{k}={v}" for k, v in sorted(message.attrs.items()))
    if message.label is not None:
        label = message.label.kind + (f"[#{message.label.target}]" if message.label.target else "")
        head += f" ({label}{': ' + message.label.reason if message.label.reason else ''})"
    return f"{head}: {message.content}"


def example_text(example: Example) -> str:
    """An example as a transcript: one paragraph per message (title excluded: it is diffed on its own)."""
    out: list[str] = []
    for turn in example.turns:
        if isinstance(turn, Message):
            out.append(_message_text(turn))
        elif isinstance(turn, Comparison):
            out.extend(_message_text(c) for c in turn.candidates)
        else:
            out.append(turn.text)
    return "\n\n".join(out)


def tokens(text: str) -> list[str]:
    """Words with the separator that follows each (a space, or `BREAK` at a paragraph's end)."""
    out: list[str] = []
    for para in paragraphs(text):
        for n, line in enumerate(para):
            words = line.split(" ")
            out.extend(w + " " for w in words[:-1])
            out.append(words[-1] + (LINE if n + 1 < len(para) else BREAK))
    return out


def words(text: str) -> list[str]:
    """Lower-cased word sequence used for similarity."""
    return _WORD.findall(normalise_text(text).lower())


def similarity(a: Sequence[str], b: Sequence[str], floor: float = 0.0,
               bags: tuple[Counter[str], Counter[str]] | None = None) -> float:
    """difflib ratio of two word sequences; 0.0 when it cannot reach `floor`, which is checked cheaply first
    (lengths, then the multiset overlap, an upper bound; pass `bags`, the sequences' Counters, when comparing
    the same sequences many times)."""
    if not a and not b:
        return 1.0
    total = len(a) + len(b)
    if 2 * min(len(a), len(b)) / total < floor:
        return 0.0
    if floor > 0:
        bag_a, bag_b = bags or (Counter(a), Counter(b))
        overlap = sum(min(bag_a[w], bag_b[w]) for w in bag_a.keys() & bag_b.keys())
        if 2 * overlap / total < floor:
            return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _lines(text: str) -> list[list[str]]:
    """`tokens(text)` grouped into lines (each ends with `LINE` or `BREAK`)."""
    out: list[list[str]] = [[]]
    for token in tokens(text):
        out[-1].append(token)
        if token.endswith(LINE):
            out.append([])
    return [line for line in out if line]


def _word_ops(old: list[str], new: list[str], ops: list[tuple[ChunkOp, str]]) -> int:
    """Append the word-level opcodes of two token lists to `ops`; return the number of matched words."""
    matcher = SequenceMatcher(None, [t.strip() for t in old], [t.strip() for t in new], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(("equal", "".join(new[j1:j2])))
            continue
        if i2 > i1:
            ops.append(("delete", "".join(old[i1:i2])))
        if j2 > j1:
            ops.append(("insert", "".join(new[j1:j2])))
    return sum(block.size for block in matcher.get_matching_blocks())


def word_diff(old_text: str, new_text: str) -> tuple[tuple[Chunk, ...], float]:
    """Word-level diff of two texts, as runs of equal, deleted and inserted words, and their similarity.

    Two levels, as `git diff --word-diff`: lines (paragraphs, list items) are aligned first, and only
    the lines that differ are compared word by word. Similarity is `2 * matched words / all words`."""
    old_lines, new_lines = _lines(old_text), _lines(new_text)
    outer = SequenceMatcher(None, [" ".join(t.strip() for t in line) for line in old_lines],
                            [" ".join(t.strip() for t in line) for line in new_lines], autojunk=False)
    ops: list[tuple[ChunkOp, str]] = []
    matched = 0
    for tag, i1, i2, j1, j2 in outer.get_opcodes():
        new_tokens = [t for line in new_lines[j1:j2] for t in line]
        if tag == "equal":
            ops.append(("equal", "".join(new_tokens)))
            matched += len(new_tokens)
        else:
            matched += _word_ops([t for line in old_lines[i1:i2] for t in line], new_tokens, ops)
    total = sum(map(len, old_lines)) + sum(map(len, new_lines))
    chunks = _absorb_short_equals(_merge(ops))
    for n, c in enumerate(chunks):  # a run that ends its side(s) has no separator after it
        sides = {"equal", c.op} if c.op != "equal" else {"equal", "delete", "insert"}
        if not any(later.op in sides for later in chunks[n + 1:]):
            chunks[n] = Chunk(op=c.op, text=c.text.rstrip())
    return tuple(chunks), round(2 * matched / total, 3) if total else 1.0


def _merge(ops: list[tuple[ChunkOp, str]]) -> list[Chunk]:
    """Adjacent runs of the same kind joined, deletions before insertions within a change."""
    out: list[tuple[ChunkOp, str]] = []
    for op, text in ops:
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        elif op == "delete" and out and out[-1][0] == "insert" and len(out) > 1 and out[-2][0] == "delete":
            out[-2] = (op, out[-2][1] + text)
        else:
            out.append((op, text))
    return [Chunk(op=op, text=text) for op, text in out]


SHORT_EQUAL = 2
"""Unchanged runs of at most this many words between two changes are shown as part of the change, so a
rewritten sentence reads as one deletion and one insertion rather than an alternation of fragments."""


def _absorb_short_equals(chunks: list[Chunk]) -> list[Chunk]:
    out: list[Chunk] = []
    gone, came = "", ""
    for n, c in enumerate(chunks):
        if c.op == "delete":
            gone += c.text
        elif c.op == "insert":
            came += c.text
        elif (gone or came) and n + 1 < len(chunks) and len(c.text.split()) <= SHORT_EQUAL:
            gone, came = gone + c.text, came + c.text
        else:
            _flush(out, gone, came)
            gone, came = "", ""
            out.append(c)
    _flush(out, gone, came)
    return out


def _flush(out: list[Chunk], gone: str, came: str) -> None:
    if gone:
        out.append(Chunk(op="delete", text=gone))
    if came:
        out.append(Chunk(op="insert", text=came))

Shown = tuple[str, str]
"""A piece of a displayed diff: (`equal` | `delete` | `insert` | `skip`, text); `skip` marks elided words."""


def _cut(text: str, head: int, tail: int) -> list[Shown]:
    body = text.rstrip()
    parts = body.split(" ")
    if len(parts) <= head + tail + 3:
        return [("equal", text)]
    out: list[Shown] = []
    if head:
        out.append(("equal", " ".join(parts[:head]) + " "))
    out.append(("skip", "…"))
    if tail:
        out.append(("equal", " " + " ".join(parts[-tail:]) + text[len(body):]))
    return out


def elide(chunks: tuple[Chunk, ...], context: int = 8) -> list[Shown]:
    """The diff with long unchanged runs cut down to `context` words on each side of a change."""
    out: list[Shown] = []
    last = len(chunks) - 1
    for n, c in enumerate(chunks):
        if c.op != "equal":
            out.append((c.op, c.text))
            continue
        head = 0 if n == 0 else context
        tail = 0 if n == last else context
        out.extend(_cut(c.text, head, tail))
    return out


def side(chunks: tuple[Chunk, ...], which: ChunkOp) -> tuple[Chunk, ...]:
    """One side of a diff: the equal runs plus the `delete` (old side) or `insert` (new side) runs."""
    return tuple(c for c in chunks if c.op in ("equal", which))


def inline(pieces: list[Shown]) -> list[tuple[str, str, str]]:
    """Pieces for an inline rendering (old and new words in one flow): (op, words, separator after).

    A deletion followed by an insertion is separated by one space: its own separator (a paragraph
    break, say) belongs to the old side only and would split the change in two."""
    out: list[tuple[str, str, str]] = []
    for n, (op, text) in enumerate(pieces):
        if op not in ("delete", "insert"):
            out.append((op, text, ""))
            continue
        body = text.rstrip()
        follows = n + 1 < len(pieces) and op == "delete" and pieces[n + 1][0] == "insert"
        out.append((op, body, " " if follows else text[len(body):]))
    return out
