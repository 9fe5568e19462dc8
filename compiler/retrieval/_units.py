"""Retrievable units: the short texts of a category that a prompt is matched against.

A category contributes its title, its prose cut into chunks, its rules, its definitions and, per example,
the example's title and its prompt (the messages before the first comparison). Each unit carries a content
hash (independent of the embedding model) so that vectors can be cached across spec edits, and example
units carry the example's key so that leave-one-out evaluation can hide them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from spec_lang.model import Admonition, Definition, Example, Prose, RuleGroup, Section, Spec
from spec_lang.versions import digest, example_hash, normalise_text

UnitKind = Literal["title", "text", "rule", "definition", "example", "example_title"]
"""What a unit was cut from. `example` is an example's prompt, the closest thing to a real user prompt."""

UNIT_KINDS: tuple[str, ...] = ("title", "text", "rule", "definition", "example", "example_title")
UNITS_VERSION = "units-1"
"""Bumped whenever the way units are cut changes, so that stored indexes are rebuilt."""

_LINK = re.compile(r"\[([^\]]*)\]\(#([^)\s]+)\)")
_URL_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_FOOTNOTE = re.compile(r"\[\^[^\]]+\]")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_EMPH = re.compile(r"(\*\*|__|\*|`+)")
_HEADING = re.compile(r"^#+\s*", re.MULTILINE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


class Unit(BaseModel):
    """One retrievable text of one category."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: str = Field(description="Id of the category the unit belongs to.")
    kind: UnitKind = Field(description="What the unit was cut from.")
    text: str = Field(description="The text that is embedded and indexed (plain text, context prepended).")
    example: str | None = Field(default=None, description="Key of the example the unit comes from, if any.")

    @property
    def content_hash(self) -> str:
        """Hash of what is embedded: equal texts share one cached vector whatever their category."""
        return digest(["unit", self.text])


def clean_markdown(text: str, titles: dict[str, str] | None = None) -> str:
    """Markdown -> plain text: links become their text (`[?](#id)` the target's title), markup is dropped."""
    titles = titles or {}

    def link(match: re.Match[str]) -> str:
        label, target = match.group(1), match.group(2)
        return titles.get(target, target.replace("_", " ")) if label == "?" else label

    text = _LINK.sub(link, text)
    text = _URL_LINK.sub(r"\1", text)
    text = _FOOTNOTE.sub("", text)
    text = _TAG.sub(" ", text)
    text = _HEADING.sub("", text)
    text = _EMPH.sub("", text)
    return normalise_text(text.replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&"))


def chunks(text: str, max_words: int) -> Iterator[str]:
    """Paragraphs of `text`, long ones cut at sentence ends into pieces of at most ~`max_words` words."""
    for para in re.split(r"\n\s*\n", text):
        words = len(para.split())
        if not para.strip():
            continue
        if words <= max_words:
            yield para
            continue
        piece: list[str] = []
        count = 0
        for sentence in _SENTENCE.split(para):
            n = len(sentence.split())
            if piece and count + n > max_words:
                yield " ".join(piece)
                piece, count = [], 0
            piece.append(sentence)
            count += n
        if piece:
            yield " ".join(piece)


def example_key(section: Section, example: Example) -> str:
    """A stable key naming one example of one section (used to hide it in leave-one-out evaluation)."""
    return f"{section.id}:{example_hash(example)}"


def example_prompt(example: Example, titles: dict[str, str] | None = None) -> str:
    """The prompt an example poses: its user turns before the first comparison (all context turns when
    there is no user turn, the title when there is no context)."""
    context = example.context
    users = [m.content for m in context if m.role == "user"]
    parts = users or [m.content for m in context]
    text = clean_markdown("\n\n".join(parts), titles)
    return text or clean_markdown(example.title, titles)


def _section_units(spec: Spec, section: Section, category: str, titles: dict[str, str],
                   max_words: int) -> Iterator[Unit]:
    path = [clean_markdown(a.title, titles) for a in reversed(spec.ancestors(section.id))]
    title = clean_markdown(section.title, titles)
    heading = " > ".join([*path, title])
    yield Unit(category=category, kind="title", text=heading)
    for block in section.body:
        if isinstance(block, Prose | Admonition):
            raw = block.text if isinstance(block, Prose) else block.body
            for piece in chunks(raw, max_words):
                text = clean_markdown(piece, titles)
                if len(text.split()) >= 3:
                    yield Unit(category=category, kind="text", text=f"{title}: {text}")
        elif isinstance(block, Definition):
            text = clean_markdown(f"{block.term}: {block.text}", titles)
            yield Unit(category=category, kind="definition", text=f"{title}: {text}")
        elif isinstance(block, RuleGroup):
            for rule in block.rules:
                yield Unit(category=category, kind="rule", text=f"{title}: {clean_markdown(rule.text, titles)}")
        elif isinstance(block, Example):
            key = example_key(section, block)
            yield Unit(category=category, kind="example", text=example_prompt(block, titles), example=key)
            yield Unit(category=category, kind="example_title", text=clean_markdown(block.title, titles),
                       example=key)


def spec_units(spec: Spec, max_words: int = 80) -> tuple[Unit, ...]:
    """Every unit of every retrievable category (its whole subtree), in document order, duplicates
    within a category dropped."""
    titles = {s.id: clean_markdown(s.title) for s in spec.sections}
    out: list[Unit] = []
    for category in spec.categories:
        seen: set[tuple[str, str | None]] = set()
        for section in spec.subtree(category.id):
            for unit in _section_units(spec, section, category.id, titles, max_words):
                if unit.text and (unit.text, unit.example) not in seen:
                    seen.add((unit.text, unit.example))
                    out.append(unit)
    return tuple(out)


def units_fingerprint(max_words: int) -> str:
    """Identifies how units are cut; part of an index's identity."""
    return f"{UNITS_VERSION}:w{max_words}"
