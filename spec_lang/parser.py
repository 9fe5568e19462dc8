"""Markdown source -> `Spec`, on markdown-it-py tokens. Pure: no I/O.

The parser reads both the OpenAI Model Spec format and our dialect (a superset: YAML front matter,
section kinds, part headings with rule groups and definitions). Syntax problems become diagnostics;
parsing never raises on bad input.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from spec_lang._attrs import malformed_rule_id, split_heading, split_rule, unmarked_heading_id
from spec_lang._dialogue import parse_dialogue
from spec_lang._front_matter import opens_front_matter, read_front_matter, unclosed
from spec_lang._md_tokens import list_items, references, top_level_groups
from spec_lang.diagnostics import Diagnostic, diag
from spec_lang.ids import id_problem
from spec_lang.model import (
    SECTION_KINDS,
    Admonition,
    Block,
    CrossRef,
    Definition,
    Example,
    FootnoteRef,
    Part,
    Prose,
    Response,
    Rule,
    RuleGroup,
    Section,
    Span,
    Spec,
    SpecFormat,
    SpecMeta,
)

PART_HEADINGS: dict[str, tuple[str, Response | None]] = {
    "definitions": ("definitions", None),
    "allowed": ("rules", "comply"),
    "disallowed": ("rules", "refuse"),
    "safe completion": ("rules", "safe_complete"),
    "requires safe completion": ("rules", "safe_complete"),
    "examples": ("examples", None),
}
"""Headings without an id that structure a section in our dialect: title -> (mode, rule response)."""

_EXAMPLE = re.compile(r"^\*\*Example\*\*\s*:\s*(?P<title>.*)$", re.S)
_DEFINITION = re.compile(r"^\*\*(?P<term>[^*\n]+?)(?::\*\*|\*\*\s*:)\s*(?P<text>.*)$", re.S)


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).use(admon_plugin).use(front_matter_plugin).enable("table")


_MD = _markdown()


@dataclass(frozen=True)
class ParseResult:
    """A spec and the syntax diagnostics found while parsing it."""

    spec: Spec
    diagnostics: tuple[Diagnostic, ...]


@dataclass
class _SectionBuilder:
    id: str
    title: str
    level: int
    parent: str | None
    attrs: dict[str, str]
    kind: str
    span: Span
    body: list[Block] = field(default_factory=list)
    refs: list[CrossRef] = field(default_factory=list)
    footnotes: list[FootnoteRef] = field(default_factory=list)
    mode: str = "body"
    part_title: str = ""
    response: Response | None = None

    def build(self, end_line: int) -> Section:
        span = self.span.model_copy(update={"end_line": end_line})
        return Section(id=self.id, title=self.title, level=self.level, parent=self.parent, attrs=self.attrs,
                       kind=self.kind, body=tuple(self.body), refs=tuple(self.refs),
                       footnotes=tuple(self.footnotes), span=span)


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.text, self.path = text, path
        self.lines = text.split("\n")
        self.diags: list[Diagnostic] = []
        self.sections: list[Section] = []
        self.preamble: list[Block] = []
        self.preamble_refs: list[CrossRef] = []
        self.preamble_notes: list[FootnoteRef] = []
        self.current: _SectionBuilder | None = None
        self.stack: list[tuple[int, str]] = []
        self.prose: tuple[int, int] | None = None
        self.pending_example: tuple[str, list[Token]] | None = None
        self.format: SpecFormat = "model_spec"
        self.meta: SpecMeta | None = None

    # -- helpers -------------------------------------------------------------------------------
    def span(self, line0: int, col: int = 1, end0: int | None = None) -> Span:
        return Span(path=self.path, line=line0 + 1, col=col, end_line=end0)

    def report(self, code: str, span: Span, message: str, hint: str | None = None) -> None:
        self.diags.append(diag(code, span, message, hint))

    def source(self, start: int, end: int) -> str:
        return "\n".join(self.lines[start:end]).strip("\n")

    def emit(self, block: Block) -> None:
        if self.current is None:
            self.preamble.append(block)
        else:
            self.current.body.append(block)

    def flush_prose(self) -> None:
        if self.prose is None:
            return
        start, end = self.prose
        self.prose = None
        text = self.source(start, end)
        if text.strip():
            self.emit(Prose(text=text, span=self.span(start, 1, end)))

    def add_prose(self, start: int, end: int) -> None:
        self.prose = (start, end) if self.prose is None else (self.prose[0], end)

    # -- driver --------------------------------------------------------------------------------
    def run(self) -> ParseResult:
        tokens = _MD.parse(self.text)
        if opens_front_matter(self.lines[0]) and not (tokens and tokens[0].type == "front_matter"):
            self.diags.append(unclosed(self.path))
        for group in top_level_groups(tokens):
            if group[0].type == "heading_open":
                self.block(group)
                self.collect_refs(group)
            else:
                self.collect_refs(group)
                self.block(group)
        self.flush_pending()
        self.flush_prose()
        self.close_section(len(self.lines))
        meta = self.meta or self.default_meta()
        spec = Spec(format=self.format, meta=meta, preamble=tuple(self.preamble), sections=tuple(self.sections),
                    refs=tuple(self.preamble_refs), footnotes=tuple(self.preamble_notes), path=self.path)
        return ParseResult(spec=spec, diagnostics=tuple(self.diags))

    def default_meta(self) -> SpecMeta:
        title = self.sections[0].title if self.sections else "Untitled spec"
        return SpecMeta(id="spec", title=title)

    def block(self, group: list[Token]) -> None:
        head = group[0]
        if head.map is None:
            return
        start, end = head.map
        if head.type == "front_matter":
            self.front_matter(head)
            return
        if self.pending_example is not None:
            if head.type == "fence":
                self.example(head)
                return
            self.flush_pending()
        if head.type == "heading_open":
            self.flush_prose()
            self.heading(head, group[1])
            return
        mode = self.current.mode if self.current else "body"
        if head.type == "paragraph_open":
            content = group[1].content
            if _EXAMPLE.match(content):
                self.flush_prose()
                self.pending_example = (content, group)
                return
            if self.in_definitions(mode) and self.definition(content, start, end):
                return
        elif head.type in ("bullet_list_open", "ordered_list_open"):
            if mode == "rules":
                self.flush_prose()
                self.rule_group(group)
                return
            if mode == "definitions" and self.definition_list(group):
                return
        elif head.type == "admonition_open":
            self.flush_prose()
            self.admonition(head)
            return
        elif head.type == "fence":
            self.check_fence(head)
        self.add_prose(start, end)

    def in_definitions(self, mode: str) -> bool:
        return mode == "definitions" or (self.current is not None and self.current.id == "definitions")

    # -- front matter and headings -------------------------------------------------------------
    def front_matter(self, tok: Token) -> None:
        self.format = "deliberative"
        result = read_front_matter(tok.content, self.path)
        self.diags.extend(result.diagnostics)
        self.meta = result.meta

    def heading(self, tok: Token, inline: Token) -> None:
        assert tok.map is not None
        line0 = tok.map[0]
        level = int(tok.tag[1])
        title, block = split_heading(inline.content)
        col = self.lines[line0].find("{") + 1 if block else 1
        if block is not None and block.error:
            self.report("SPEC021", self.span(line0, max(col, 1)), f"malformed attribute block: {block.error}",
                        "write `{#id key=value ...}` at the end of the heading")
        if block is not None and block.id:
            self.open_section(block.id, title, level, block.attrs, line0)
            return
        unmarked = unmarked_heading_id(title) if block is None else None
        if unmarked is not None:
            title = unmarked[0]
            self.report("SPEC021", self.span(line0, max(self.lines[line0].rfind("{") + 1, 1)),
                        f"malformed attribute block: an id starts with '#' (did you mean {unmarked[1]!r}?)",
                        "write `{#id key=value ...}` at the end of the heading")
        malformed = unmarked is not None or (block is not None and block.error is not None)
        self.part(title, level, block.attrs if block else {}, line0, malformed=malformed)

    def open_section(self, ident: str, title: str, level: int, attrs: dict[str, str], line0: int) -> None:
        self.flush_pending()
        self.close_section(line0)
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        parent = self.stack[-1][1] if self.stack else None
        self.stack.append((level, ident))
        kind = attrs.get("kind") or ("category" if self.format == "model_spec" and "authority" in attrs else "general")
        if kind not in SECTION_KINDS:  # lint reports the value (SPEC022, with a did-you-mean), as for authority
            kind = "general"
        self.current = _SectionBuilder(id=ident, title=title, level=level, parent=parent, attrs=attrs, kind=kind,
                                       span=self.span(line0))

    def close_section(self, end0: int) -> None:
        self.flush_prose()
        if self.current is not None:
            end = end0
            while end > self.current.span.line and not self.lines[end - 1].strip():
                end -= 1
            self.sections.append(self.current.build(end))
            self.current = None

    def part(self, title: str, level: int, attrs: dict[str, str], line0: int, malformed: bool = False) -> None:
        """A heading without an id: a part heading (`### Allowed`), else SPEC020 (unless its attribute block
        was `malformed`, already reported: the id is there, written wrong, not missing)."""
        span = self.span(line0)
        known = PART_HEADINGS.get(title.strip().lower())
        rules_attr = attrs.get("rules")
        if known is None and rules_attr is None and not malformed:
            self.report("SPEC020", span, f"heading {title!r} has no id",
                        f"add an id: `{'#' * level} {title} {{#{_slug(title)}}}` (part headings are: "
                        + ", ".join(t.title() for t in PART_HEADINGS) + ")")
        cur = self.current
        if cur is None:
            if known is not None:
                self.report("SPEC024", span, f"part heading {title!r} is outside any section",
                            "put it under a heading with an id")
            self.emit(Part(title=title, level=level, attrs=attrs, span=span))
            return
        if known is not None and level <= cur.level:
            self.report("SPEC024", span, f"part heading {title!r} is level {level}, not below its section "
                        f"{cur.id!r} (level {cur.level})", f"use {'#' * (cur.level + 1)} for the part heading")
        cur.mode, cur.part_title = (known[0], title) if known else ("body", title)
        cur.response = known[1] if known else None
        if rules_attr is not None:
            cur.mode = "rules"
            cur.response = rules_attr if rules_attr in ("comply", "refuse", "safe_complete") else None  # type: ignore[assignment]
            if cur.response is None:
                self.report("SPEC022", span, f"invalid rules={rules_attr!r}",
                            "use rules=comply, rules=refuse or rules=safe_complete")
        self.emit(Part(title=title, level=level, attrs=attrs, span=span))

    # -- blocks --------------------------------------------------------------------------------
    def flush_pending(self) -> None:
        if self.pending_example is None:
            return
        content, group = self.pending_example
        self.pending_example = None
        assert group[0].map is not None
        start, end = group[0].map
        self.report("SPEC045", self.span(start), "`**Example**:` is not followed by a dialogue block",
                    "follow it with a ~~~xml fence holding the dialogue")
        self.add_prose(start, end)

    def example(self, fence: Token) -> None:
        assert self.pending_example is not None and fence.map is not None
        content, group = self.pending_example
        self.pending_example = None
        m = _EXAMPLE.match(content)
        assert m is not None and group[0].map is not None
        start = group[0].map[0]
        self.check_fence(fence)
        col = len(self.lines[fence.map[0]]) - len(self.lines[fence.map[0]].lstrip()) + 1
        result = parse_dialogue(fence.content, self.path, fence.map[0] + 2, col)
        self.diags.extend(result.diagnostics)
        self.emit(Example(title=m.group("title").strip(), turns=tuple(result.turns),
                          span=self.span(start, 1, fence.map[1])))

    def check_fence(self, fence: Token) -> None:
        assert fence.map is not None
        start, end = fence.map
        last = self.lines[end - 1].strip() if end - 1 < len(self.lines) else ""
        char = fence.markup[0]
        closed = end - start >= 2 and last.startswith(fence.markup) and set(last) == {char}
        if not closed:
            self.report("SPEC047", self.span(start), f"code fence {fence.markup!r} opened here is never closed",
                        f"close it with a line holding {fence.markup!r}")

    def definition(self, content: str, start: int, end: int) -> bool:
        m = _DEFINITION.match(content)
        if not m or m.group("term").strip().lower() == "example":
            return False
        self.flush_prose()
        self.emit(Definition(term=m.group("term").strip(), text=m.group("text").strip(),
                             span=self.span(start, 1, end)))
        return True

    def definition_list(self, group: list[Token]) -> bool:
        items = list_items(group, self.lines)
        parsed = [(_DEFINITION.match(text), line0, end0) for text, line0, end0 in items]
        if not parsed or not all(m for m, _, _ in parsed):
            return False
        self.flush_prose()
        for m, line0, end0 in parsed:
            assert m is not None
            self.emit(Definition(term=m.group("term").strip(), text=m.group("text").strip(),
                                 span=self.span(line0, 1, end0)))
        return True

    def rule_group(self, group: list[Token]) -> None:
        cur = self.current
        assert cur is not None and group[0].map is not None
        rules: list[Rule] = []
        for text, line0, end0 in list_items(group, self.lines):
            ident, body = split_rule(text)
            span = self.span(line0, 1, end0)
            bad = malformed_rule_id(text) if ident is None else None
            if bad is not None:
                block, body, suggestion = bad
                mean = f" (did you mean {suggestion!r}?)" if suggestion else ""
                self.report("SPEC021", self.span(line0, self.lines[line0].find("{") + 1),
                            f"malformed rule id block {block!r}: an id is `{{#id}}`, one word without spaces{mean}",
                            "start the item with `{#id}`, e.g. `{#a.r1}`")
                ident = f"{cur.id}@{line0 + 1}"
            elif ident is None:
                self.report("SPEC051", span, f"rule {text[:50]!r} in {cur.part_title!r} has no id",
                            f"start the item with an id, e.g. `- {{#{cur.id}.{(cur.response or 'x')[0]}1}} ...`")
                ident = f"{cur.id}@{line0 + 1}"
            elif (problem := id_problem(ident)) is not None:
                self.report("SPEC021", self.span(line0, self.lines[line0].find("{") + 1),
                            f"malformed rule id block: {problem}", "start the item with `{#id}`, e.g. `{#a.r1}`")
            rules.append(Rule(id=ident, text=body.strip(), response=cur.response, span=span))
        start, end = group[0].map
        self.emit(RuleGroup(title=cur.part_title, response=cur.response, rules=tuple(rules),
                            span=self.span(start, 1, end)))

    def admonition(self, tok: Token) -> None:
        assert tok.map is not None
        start, end = tok.map
        body = textwrap.dedent("\n".join(self.lines[start + 1 : end])).strip("\n")
        self.emit(Admonition(kind=str(tok.meta.get("tag", "")), title=tok.content, body=body,
                             span=self.span(start, 1, end)))

    # -- references ----------------------------------------------------------------------------
    def collect_refs(self, group: list[Token]) -> None:
        """Record the cross-references and footnote refs of a block in the section it belongs to."""
        refs, notes = references(group, self.lines, self.span)
        (self.current.refs if self.current else self.preamble_refs).extend(refs)
        (self.current.footnotes if self.current else self.preamble_notes).extend(notes)


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_") or "section"


def parse(text: str, path: str = "<string>") -> ParseResult:
    """Parse Markdown `text` (read from `path`, used only in spans) into a `Spec` plus diagnostics."""
    return _Parser(text, path).run()
