"""Spec nodes as the plain data that templates render (dicts, lists, strings and ints only).

Templates may be user-supplied and run sandboxed, so they get plain data, never IR objects. The
shapes below are the documented template context (see `compiler/prompts.py`):

- section: `{id, title, kind, authority, level, blocks}`; `level` is the heading level to render.
- block (by `type`): `prose {text}`, `definition {term, text}`,
  `rules {title, response, show_title, rules: [{id, text, response}]}`, `example {title, turns}`,
  `admonition {kind, title, body}`, `part {title, level, examples_only}` (`examples_only`: only examples
  follow it, up to the next part).
- turn (by `type`): `message {role, attrs, content, label, expected}`, `comparison {candidates}`,
  `elision {text}`; `label` is `{kind, target, reason}` or None; `attrs` is `"k=v, ..."` or "";
  `expected` is the calibration score of a labelled candidate in a rubric, else None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from compiler._text import TextCleaner
from spec_lang.model import (
    Admonition,
    Block,
    Comparison,
    Definition,
    Elision,
    Example,
    Label,
    Message,
    Part,
    Prose,
    RuleGroup,
    Section,
)

View = dict[str, Any]
Expected = Callable[[Label], str | None]


def _no_expected(label: Label) -> str | None:
    return None


def message_view(msg: Message, clean: TextCleaner, expected: Expected = _no_expected) -> View:
    label = msg.label
    return {
        "type": "message",
        "role": msg.role,
        "attrs": ", ".join(f"{k}={v}" for k, v in sorted(msg.attrs.items())),
        "content": clean(msg.content),
        "label": None if label is None else {
            "kind": label.kind, "target": label.target, "reason": clean(label.reason) if label.reason else None},
        "expected": None if label is None else expected(label),
    }


def example_view(example: Example, clean: TextCleaner, expected: Expected = _no_expected) -> View:
    turns: list[View] = []
    for turn in example.turns:
        if isinstance(turn, Message):
            turns.append(message_view(turn, clean, expected))
        elif isinstance(turn, Comparison):
            turns.append({"type": "comparison",
                          "candidates": [message_view(c, clean, expected) for c in turn.candidates]})
        elif isinstance(turn, Elision):
            turns.append({"type": "elision", "text": turn.text})
    return {"type": "example", "title": clean(example.title), "turns": turns}


def _examples_only(body: tuple[Block, ...], index: int) -> bool:
    """Whether the blocks after the part at `index`, up to the next part, are all examples (at least one)."""
    following: list[Block] = []
    for block in body[index + 1:]:
        if isinstance(block, Part):
            break
        following.append(block)
    return bool(following) and all(isinstance(b, Example) for b in following)


def _block_view(block: Block, previous: Block | None, shift: int, clean: TextCleaner) -> View:
    if isinstance(block, Prose):
        return {"type": "prose", "text": clean(block.text)}
    if isinstance(block, Definition):
        return {"type": "definition", "term": clean(block.term), "text": clean(block.text)}
    if isinstance(block, RuleGroup):
        headed = isinstance(previous, Part) and previous.title == block.title
        return {"type": "rules", "title": clean(block.title), "response": block.response,
                "show_title": not headed,
                "rules": [{"id": r.id, "text": clean(r.text), "response": r.response} for r in block.rules]}
    if isinstance(block, Example):
        return example_view(block, clean)
    if isinstance(block, Admonition):
        return {"type": "admonition", "kind": block.kind, "title": clean(block.title), "body": clean(block.body)}
    assert isinstance(block, Part)
    return {"type": "part", "title": clean(block.title), "level": min(6, max(1, block.level + shift))}


def section_view(section: Section, level: int, clean: TextCleaner) -> View:
    """A section rendered with its heading at `level`; its part headings keep their depth below it."""
    shift = level - section.level
    previous: list[Block | None] = [None, *section.body][: len(section.body)]
    blocks = [_block_view(b, p, shift, clean) for b, p in zip(section.body, previous, strict=True)]
    for index, view in enumerate(blocks):
        if view["type"] == "part":
            view["examples_only"] = _examples_only(section.body, index)
    return {
        "id": section.id,
        "title": clean(section.title),
        "kind": section.kind,
        "authority": section.attrs.get("authority"),
        "level": min(6, level),
        "blocks": blocks,
    }
