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

_PARAGRAPHS = re.compile(r"\n[ \t]*\n")
_WORD = re.compile(r"\w+")


def paragraphs(text: str) -> list[str]:
    """Normalised, non-empty paragraphs of Markdown text."""
    return [p for p in (normalise_text(part) for part in _PARAGRAPHS.split(text)) if p]


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
    head = message.role
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
        words = para.split(" ")
        out.extend(w + " " for w in words[:-1])
        out.append(words[-1] + BREAK)
    return out


def words(text: str) -> list[str]:
    """Lower-cased word sequence used for similarity."""
    return _WORD.findall(normalise_text(text).lower())


def _upper_bound(a: Sequence[str], b: Sequence[str]) -> float:
    if not a and not b:
        return 1.0
    common = sum((Counter(a) & Counter(b)).values())
    return 2 * common / (len(a) + len(b))


def similarity(a: Sequence[str], b: Sequence[str], floor: float = 0.0) -> float:
    """difflib ratio of two word sequences; 0.0 when it cannot reach `floor` (checked cheaply first)."""
    if not a and not b:
        return 1.0
    if 2 * min(len(a), len(b)) / (len(a) + len(b)) < floor or _upper_bound(a, b) < floor:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def word_diff(old_text: str, new_text: str) -> tuple[Chunk, ...]:
    """Word-level diff of two texts, as runs of equal, deleted and inserted words."""
    old, new = tokens(old_text), tokens(new_text)
    matcher = SequenceMatcher(None, [t.strip() for t in old], [t.strip() for t in new], autojunk=False)
    chunks: list[Chunk] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _append(chunks, "equal", "".join(new[j1:j2]))
            continue
        if i2 > i1:
            gone = "".join(old[i1:i2])
            _append(chunks, "delete", gone.rstrip() + " " if j2 > j1 else gone)
        if j2 > j1:
            _append(chunks, "insert", "".join(new[j1:j2]))
    if chunks:
        chunks[-1] = Chunk(op=chunks[-1].op, text=chunks[-1].text.rstrip())
    return tuple(chunks)


def _append(chunks: list[Chunk], op: ChunkOp, text: str) -> None:
    if chunks and chunks[-1].op == op:
        chunks[-1] = Chunk(op=op, text=chunks[-1].text + text)
    else:
        chunks.append(Chunk(op=op, text=text))


def text_ratio(old_text: str, new_text: str) -> float:
    """Similarity of two texts, rounded for reports."""
    return round(similarity(words(old_text), words(new_text)), 3)
