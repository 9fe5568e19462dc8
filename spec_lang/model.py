"""The typed model of a policy spec: frozen pydantic nodes, each keeping its source span.

A `Spec` is a flat, document-ordered tuple of `Section`s (each names its parent), plus metadata.
A section's `body` is the ordered list of its blocks: prose, definitions, rule groups, examples and
admonitions, so that nothing in the source is lost. Every node keeps a `span` that does not take part
in equality or hashing: two nodes compare on meaning alone, which is what a semantic diff needs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["system", "developer", "user", "assistant", "tool"]
ROLES: tuple[Role, ...] = get_args(Role)
"""Every chat role, in the order above (the one list: spec dialogues, prompt files and backends read it)."""
"""Message roles of the dialogue syntax used by examples."""

LabelKind = Literal["GOOD", "BAD", "OK"]
"""How an assistant candidate in a comparison is judged."""

Response = Literal["comply", "refuse", "safe_complete"]
"""The response a rule (or a style guideline) calls for."""

Authority = Literal["root", "platform", "system", "developer", "user", "guideline"]
"""Model Spec authority levels, highest first. `platform` is the pre-2025-09 name of the top level."""

AUTHORITIES: tuple[str, ...] = ("root", "platform", "system", "developer", "user", "guideline")
RESPONSES: tuple[str, ...] = ("comply", "refuse", "safe_complete")
DECLINING: frozenset[str] = frozenset({"refuse", "safe_complete"})
"""The responses that decline the request (a refusal, or a safe completion of a safer version of it)."""
SectionKind = Literal["category", "style", "guidance", "overview", "general"]
"""What a section is for: a retrievable `category`, a response-`style` guideline, cross-cutting `guidance`
(e.g. against over-refusal), an `overview`, or `general` text."""

SECTION_KINDS: tuple[str, ...] = ("category", "style", "guidance", "overview", "general")
SpecFormat = Literal["model_spec", "deliberative"]


def _drop_spans(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_spans(v) for k, v in value.items() if k != "span"}
    if isinstance(value, list):
        return [_drop_spans(v) for v in value]
    return value


class Node(BaseModel):
    """Base of every IR node: frozen, closed, compared and hashed without source spans."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def semantic(self) -> dict[str, Any]:
        """The node as plain data without any source span: the basis of equality and content hashes."""
        return _drop_spans(self.model_dump(mode="json"))  # type: ignore[no-any-return]

    def semantic_json(self) -> str:
        """`semantic()` as canonical JSON (sorted keys, no whitespace)."""
        return json.dumps(self.semantic(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.semantic() == other.semantic()

    def __hash__(self) -> int:
        return hash(self.semantic_json())


class Span(BaseModel):
    """Where a node comes from: 1-based line and column, inclusive end line."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    path: str = Field(description="Path of the source file as given to the parser.")
    line: int = Field(description="1-based line of the node's first character.")
    col: int = Field(default=1, description="1-based column of the node's first character.")
    end_line: int | None = Field(default=None, description="1-based last line of the node, when known.")

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


SpanField = Annotated[Span | None, Field(default=None, description="Source location (not semantic).")]


class CrossRef(Node):
    """A Markdown link to `#id`: `[?](#id)` (text = the target's title) or `[text](#id)`."""

    target: str = Field(description="The id linked to.")
    text: str = Field(description="The link text; `?` means 'the target's title'.")
    span: SpanField = None


class FootnoteRef(Node):
    """A footnote reference `[^key]`; its body lives in `examples/<key>.md` next to the spec."""

    key: str = Field(description="The footnote key, e.g. `m12p`.")
    span: SpanField = None


class Label(Node):
    """The verdict on an assistant candidate: `<!-- GOOD -->`, `<!-- BAD[#id]: reason -->`, `<!-- OK -->`."""

    kind: LabelKind = Field(description="GOOD, BAD or OK.")
    target: str | None = Field(default=None, description="The section or rule id a BAD candidate violates.")
    reason: str | None = Field(default=None, description="Free-text reason after the label.")


class Message(Node):
    """One dialogue message of an example. Content is raw Markdown, nested tags and elisions kept."""

    type: Literal["message"] = "message"
    role: Role = Field(description="Who speaks.")
    attrs: dict[str, str] = Field(default_factory=dict, description="Tag attributes, e.g. recipient.")
    content: str = Field(description="The message body, verbatim (dedented only as in the source).")
    label: Label | None = Field(default=None, description="Present on assistant candidates in a comparison.")
    span: SpanField = None


class Comparison(Node):
    """Alternative assistant candidates for the same point in a dialogue, each labelled."""

    type: Literal["comparison"] = "comparison"
    candidates: tuple[Message, ...] = Field(description="The assistant candidates, in source order.")
    span: SpanField = None


class Elision(Node):
    """A `[...]` line between messages: turns of the dialogue left out."""

    type: Literal["elision"] = "elision"
    text: str = Field(default="[...]", description="The elision as written.")
    span: SpanField = None


Turn = Annotated[Message | Comparison | Elision, Field(discriminator="type")]


class Example(Node):
    """`**Example**: title` followed by a dialogue block."""

    type: Literal["example"] = "example"
    title: str = Field(description="The example's title (Markdown).")
    turns: tuple[Turn, ...] = Field(description="Messages and comparisons in dialogue order.")
    span: SpanField = None

    @property
    def candidates(self) -> tuple[Message, ...]:
        """Every labelled assistant candidate, in order."""
        return tuple(c for t in self.turns if isinstance(t, Comparison) for c in t.candidates)

    @property
    def context(self) -> tuple[Message, ...]:
        """The messages before the first comparison: the prompt the candidates answer."""
        out: list[Message] = []
        for t in self.turns:
            if isinstance(t, Comparison):
                break
            if isinstance(t, Message):
                out.append(t)
        return tuple(out)


class Prose(Node):
    """A run of ordinary Markdown (paragraphs, lists, tables, code), verbatim."""

    type: Literal["prose"] = "prose"
    text: str = Field(description="The Markdown source of the run.")
    span: SpanField = None


class Definition(Node):
    """A defined term: `**Term**: text`."""

    type: Literal["definition"] = "definition"
    term: str = Field(description="The term defined.")
    text: str = Field(description="Its definition (Markdown).")
    span: SpanField = None


class Rule(Node):
    """A rule with a stable id: `- {#id} text` inside a rule group."""

    id: str = Field(description="Stable rule id, unique in the spec.")
    text: str = Field(description="The rule (Markdown).")
    response: Response | None = Field(default=None, description="The response the rule calls for.")
    span: SpanField = None


class RuleGroup(Node):
    """A list of rules under a part heading such as `### Disallowed` (or `{rules=refuse}`)."""

    type: Literal["rules"] = "rules"
    title: str = Field(description="The part heading's title.")
    response: Response | None = Field(description="The response the rules of this group call for.")
    rules: tuple[Rule, ...] = Field(description="The rules, in order.")
    span: SpanField = None


class Admonition(Node):
    """A block such as `!!! meta "Commentary"` with an indented body."""

    type: Literal["admonition"] = "admonition"
    kind: str = Field(description="The admonition kind, e.g. `meta`.")
    title: str = Field(default="", description="The quoted title, e.g. `Commentary`.")
    body: str = Field(description="The body, dedented Markdown.")
    span: SpanField = None


class Part(Node):
    """A heading without an id inside a section (e.g. `### Definitions`), kept as a marker for order."""

    type: Literal["part"] = "part"
    title: str = Field(description="The heading's title.")
    level: int = Field(description="Heading level (1-6).")
    attrs: dict[str, str] = Field(default_factory=dict, description="Attributes of the heading.")
    span: SpanField = None


Block = Annotated[
    Prose | Definition | RuleGroup | Example | Admonition | Part, Field(discriminator="type")
]


class Section(Node):
    """A heading with an id and everything up to the next heading with an id."""

    id: str = Field(description="Stable id from `{#id}`.")
    title: str = Field(description="Heading text without the attribute block.")
    level: int = Field(description="Heading level (1-6).")
    parent: str | None = Field(default=None, description="Id of the enclosing section, if any.")
    attrs: dict[str, str] = Field(default_factory=dict, description="Attributes such as authority.")
    kind: SectionKind = Field(default="general", description="What the section is for.")
    body: tuple[Block, ...] = Field(default=(), description="The section's blocks, in source order.")
    refs: tuple[CrossRef, ...] = Field(default=(), description="Cross-references made in this section.")
    footnotes: tuple[FootnoteRef, ...] = Field(default=(), description="Footnote references made here.")
    span: SpanField = None

    def blocks(self, kind: type[Any]) -> Iterator[Any]:
        return (b for b in self.body if isinstance(b, kind))

    @property
    def examples(self) -> tuple[Example, ...]:
        return tuple(self.blocks(Example))

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(r for g in self.blocks(RuleGroup) for r in g.rules)

    @property
    def definitions(self) -> tuple[Definition, ...]:
        return tuple(self.blocks(Definition))

    @property
    def summary(self) -> str:
        """The first prose paragraph: the category's one-paragraph summary."""
        for b in self.body:
            if isinstance(b, Prose):
                return b.text.strip().split("\n\n", 1)[0]
        return ""


class SpecMeta(Node):
    """Spec metadata: YAML front matter in our dialect, derived from the first heading otherwise."""

    id: str = Field(description="Spec id.")
    title: str = Field(description="Human title.")
    version: str | None = Field(default=None, description="Author-assigned version string.")
    owners: tuple[str, ...] = Field(default=(), description="Owning team or people.")
    description: str | None = Field(default=None, description="One-paragraph description.")
    extra: dict[str, Any] = Field(default_factory=dict, description="Other front matter keys, verbatim.")


class Spec(Node):
    """A parsed policy spec."""

    format: SpecFormat = Field(description="`deliberative` (front matter present) or `model_spec`.")
    meta: SpecMeta = Field(description="Metadata.")
    preamble: tuple[Block, ...] = Field(default=(), description="Blocks before the first section.")
    sections: tuple[Section, ...] = Field(description="Sections in document order (flat; see `parent`).")
    refs: tuple[CrossRef, ...] = Field(default=(), description="Cross-references made before any section.")
    footnotes: tuple[FootnoteRef, ...] = Field(default=(), description="Footnote refs made before any section.")
    path: str = Field(default="<string>", description="Source path (not semantic).")

    def semantic(self) -> dict[str, Any]:
        data = super().semantic()
        data.pop("path", None)
        return data

    @property
    def all_refs(self) -> tuple[CrossRef, ...]:
        return self.refs + tuple(r for s in self.sections for r in s.refs)

    @property
    def all_footnotes(self) -> tuple[FootnoteRef, ...]:
        return self.footnotes + tuple(f for s in self.sections for f in s.footnotes)

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)

    def get(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    @property
    def categories(self) -> tuple[Section, ...]:
        """The retrievable categories: `kind=category` sections."""
        return tuple(s for s in self.sections if s.kind == "category")

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(r for s in self.sections for r in s.rules)

    @property
    def examples(self) -> tuple[Example, ...]:
        return tuple(e for s in self.sections for e in s.examples)

    def children(self, section_id: str | None) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.parent == section_id)

    def ancestors(self, section_id: str) -> tuple[Section, ...]:
        """Enclosing sections, nearest first."""
        out: list[Section] = []
        cur = self.section(section_id).parent
        while cur is not None:
            sec = self.section(cur)
            out.append(sec)
            cur = sec.parent
        return tuple(out)

    def subtree(self, section_id: str) -> tuple[Section, ...]:
        """The section and all its descendants, in document order."""
        ids = {section_id}
        out: list[Section] = []
        for s in self.sections:
            if s.id == section_id or s.parent in ids:
                ids.add(s.id)
                out.append(s)
        return tuple(out)
