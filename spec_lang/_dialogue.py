"""The pseudo-XML dialogue syntax of examples (it is not well-formed XML, so no XML parser reads it).

Message boundaries are tags alone on their line: `<user>` ... `</user>`, `<assistant attrs> <!-- LABEL -->`,
`<comparison>` ... `</comparison>`. Message bodies are raw Markdown and may hold anything, nested
`<settings>`/`<untrusted>` blocks, code fences and `[...]` elisions included: they are kept verbatim.
Malformed input is reported, never silently under-parsed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from spec_lang.diagnostics import Diagnostic, diag
from spec_lang.model import ROLES, Comparison, Elision, Label, Message, Span

_ATTR = r'(?:\s+[A-Za-z_][\w-]*="[^"]*")*'
_OPEN = re.compile(rf"^<(?P<role>{'|'.join(ROLES)})(?P<attrs>{_ATTR})\s*>\s*(?:<!--(?P<label>.*?)-->)?\s*$")
_PAIR = re.compile(r'([A-Za-z_][\w-]*)="([^"]*)"')
_ELISION = re.compile(r"^\[[^\]]*\]$")
_STRAY_PREFIX = re.compile(r"^[*_]+(?=<)")
_ANY_TAG = re.compile(r"^</?([A-Za-z_][\w-]*)[^>]*>")
_LABEL = re.compile(r"^\s*(?P<kind>GOOD|BAD|OK)(?:\[#(?P<target>[^\]\s]+)\])?\s*(?:[:,]\s*(?P<reason>.*?))?\s*$",
                    re.S)


@dataclass
class DialogueResult:
    turns: list[Message | Comparison | Elision] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


_STRUCTURAL = ("<comparison>", "</comparison>")


LABEL_KINDS = ("GOOD", "BAD", "OK")


def label_suggestion(text: str) -> str:
    """` (did you mean 'BAD: reason'?)` for a malformed label whose first word is close to a label kind
    (`bad`, `GOD`, `Ok`), else ""."""
    m = re.match(r"\s*([A-Za-z]+)(.*)", text, re.S)
    if not m:
        return ""
    close = difflib.get_close_matches(m.group(1).upper(), LABEL_KINDS, n=1, cutoff=0.6)
    if not close:
        return ""
    fixed = close[0] + m.group(2).rstrip()
    return f" (did you mean {fixed!r}?)" if parse_label(fixed) is not None else f" (did you mean {close[0]!r}?)"


def parse_label(text: str) -> Label | None:
    """`GOOD`, `BAD: reason`, `BAD[#id]: reason`, `OK, reason` -> Label; None when malformed."""
    m = _LABEL.match(text)
    if not m:
        return None
    reason = m.group("reason") or None
    return Label(kind=m.group("kind"), target=m.group("target"), reason=reason)


class _Parser:
    def __init__(self, text: str, path: str, first_line: int, col: int) -> None:
        self.lines = text.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        self.path, self.first_line, self.col = path, first_line, col
        self.out = DialogueResult()
        self.comparison: list[Message] | None = None
        self.comparison_line = 0
        self.bad_labels: set[int] = set()
        """Lines of messages whose label was reported malformed (not reported again as missing)."""

    def span(self, index: int, end: int | None = None) -> Span:
        line = self.first_line + index
        return Span(path=self.path, line=line, col=self.col,
                                    end_line=None if end is None else self.first_line + end)

    def report(self, code: str, index: int, message: str, hint: str | None = None) -> None:
        self.out.diagnostics.append(diag(code, self.span(index), message, hint))

    def run(self) -> DialogueResult:
        i = 0
        while i < len(self.lines):
            i = self.step(i)
        if self.comparison is not None:
            self.report("SPEC040", self.comparison_line, "<comparison> is never closed",
                        "add `</comparison>` on its own line after the last candidate")
            self.close_comparison(len(self.lines) - 1)
        return self.out

    def step(self, i: int) -> int:
        stripped = self.lines[i].strip()
        if not stripped:
            return i + 1
        prefix = _STRAY_PREFIX.match(stripped)
        if prefix and (_OPEN.match(stripped[prefix.end():]) or stripped[prefix.end():] in _STRUCTURAL):
            self.report("SPEC048", i, f"stray {prefix.group()!r} before the tag {stripped[prefix.end():]!r}",
                        "delete the characters before the tag; it was read as the tag")
            stripped = stripped[prefix.end():]
        if _ELISION.match(stripped) and self.comparison is None:
            self.out.turns.append(Elision(text=stripped, span=self.span(i, i)))
            return i + 1
        if stripped == "<comparison>":
            if self.comparison is not None:
                self.report("SPEC041", i, "<comparison> inside another <comparison>",
                            "close the first comparison with `</comparison>` before opening another")
                return i + 1
            self.comparison, self.comparison_line = [], i
            return i + 1
        if stripped == "</comparison>":
            if self.comparison is None:
                self.report("SPEC041", i, "</comparison> without a matching <comparison>")
            else:
                self.close_comparison(i)
            return i + 1
        m = _OPEN.match(stripped)
        if m:
            return self.message(i, m)
        tag = _ANY_TAG.match(stripped)
        if tag:
            known = ", ".join(f"<{r}>" for r in ROLES)
            self.report("SPEC041", i, f"unknown or misplaced tag {stripped[: tag.end()]!r}",
                        f"messages are {known} and <comparison>; other tags belong inside a message")
            return i + 1
        if stripped.startswith("<!--"):
            self.report("SPEC044", i, f"label {stripped!r} is not attached to an <assistant> tag",
                        "write the label on the tag's line: `<assistant> <!-- GOOD -->`")
            return i + 1
        self.report("SPEC042", i, f"stray text {stripped[:60]!r} outside any message",
                    "put the text inside a message tag such as <user> ... </user>")
        return i + 1

    def message(self, start: int, m: re.Match[str]) -> int:
        role = m.group("role")
        attrs = dict(_PAIR.findall(m.group("attrs") or ""))
        label: Label | None = None
        raw_label = m.group("label")
        if raw_label is not None:
            label = parse_label(raw_label)
            if label is None:
                self.report("SPEC044", start, f"malformed label {raw_label.strip()!r}{label_suggestion(raw_label)}",
                            "use GOOD, BAD or OK (upper case), optionally BAD[#id], then `: reason`")
                self.bad_labels.add(start)
        body: list[str] = []
        i = start + 1
        closed = False
        while i < len(self.lines):
            s = self.lines[i].strip()
            if s[:1] in ("*", "_"):
                s = _STRAY_PREFIX.sub("", s, count=1)
            if not s.startswith("<"):
                body.append(self.lines[i])
                i += 1
                continue
            if s == f"</{role}>":
                closed = True
                break
            if _OPEN.match(s) and not self.lines[i].startswith((" ", "\t")):
                break
            if s in ("<comparison>", "</comparison>"):
                break
            body.append(self.lines[i])
            i += 1
        if not closed:
            self.report("SPEC040", start, f"<{role}> is never closed", f"add `</{role}>` on its own line")
        msg = Message(role=role, attrs=attrs, content="\n".join(body), label=label,
                      span=self.span(start, i if closed else i - 1))
        self.add(msg, start)
        return i + 1 if closed else i

    def add(self, msg: Message, index: int) -> None:
        if self.comparison is not None:
            if msg.role != "assistant":
                self.report("SPEC041", index, f"<{msg.role}> inside <comparison>",
                            "a comparison holds only <assistant> candidates; close it first")
                self.out.turns.append(msg)
                return
            if msg.label is None and index not in self.bad_labels:
                self.report("SPEC044", index, "candidate in a comparison has no label",
                            "add `<!-- GOOD -->`, `<!-- BAD: reason -->` or `<!-- OK -->` after the tag")
            self.comparison.append(msg)
            return
        self.out.turns.append(msg)

    def close_comparison(self, end: int) -> None:
        cands = self.comparison or []
        start = self.comparison_line
        self.comparison = None
        if not cands:
            self.report("SPEC046", start, "empty <comparison>", "add labelled <assistant> candidates")
            return
        if not any(c.label is not None and c.label.kind == "GOOD" for c in cands):
            self.report("SPEC043", start, "comparison has no GOOD candidate",
                        "label the preferred answer `<!-- GOOD -->` so judges and tests have an anchor")
        self.out.turns.append(Comparison(candidates=tuple(cands), span=self.span(start, end)))


def parse_dialogue(text: str, path: str, first_line: int, col: int = 1) -> DialogueResult:
    """Parse a dialogue block whose first content line is `first_line` (1-based) of `path`."""
    result = _Parser(text, path, first_line, col).run()
    if not result.turns and not result.diagnostics:
        result.diagnostics.append(diag("SPEC046", Span(path=path, line=max(first_line - 1, 1), col=col),
                                       "example dialogue has no message", "add at least a <user> message"))
    return result
