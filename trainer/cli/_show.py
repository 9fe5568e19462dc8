"""What `delib show` prints: the section tree with, under each section, its rules and examples.

One renderer gives indented lines (`depth`, rich markup); on a terminal they become a rich tree, and piped
or redirected they print as plain indented text at any width, so nothing is cut off.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rich.markup import escape

from spec_lang import Spec
from spec_lang.model import Comparison, Example, Section


@dataclass(frozen=True)
class Line:
    """One line of the listing: its nesting depth and its text (rich markup)."""

    depth: int
    text: str


def plural(n: int, word: str) -> str:
    """`1 rule`, `2 rules`."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _labels(example: Example) -> str:
    counts: dict[str, int] = {}
    for turn in example.turns:
        if isinstance(turn, Comparison):
            for candidate in turn.candidates:
                if candidate.label is not None:
                    counts[candidate.label.kind] = counts.get(candidate.label.kind, 0) + 1
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))


def _heading(section: Section) -> str:
    text = f"[cyan]#{escape(section.id)}[/cyan] {escape(section.title)}"
    if section.kind != "general":
        text += f" [magenta]\\[{section.kind}][/magenta]"
    attrs = " ".join(f"{k}={v}" for k, v in section.attrs.items() if k != "kind")  # the kind is shown once
    if attrs:
        text += f" [dim]{escape(attrs)}[/dim]"
    counts = [plural(len(section.rules), "rule")] if section.rules else []
    counts += [plural(len(section.examples), "example")] if section.examples else []
    if counts:
        text += f" [green]({', '.join(counts)})[/green]"
    return text


def _contents(section: Section, depth: int) -> Iterator[Line]:
    for rule in section.rules:
        response = f" ({rule.response})" if rule.response else ""
        yield Line(depth, f"[yellow]rule[/yellow] [cyan]#{escape(rule.id)}[/cyan]{response}: "
                          f"{escape(_one_line(rule.text))}")
    for example in section.examples:
        labels = _labels(example)
        yield Line(depth, f"[yellow]example[/yellow] {escape(_one_line(example.title))}"
                          + (f" [dim]({labels})[/dim]" if labels else ""))


def spec_lines(spec: Spec) -> list[Line]:
    """The spec's title, then every section (children indented under their parent), each followed by its
    rules (id, response, text) and examples (title, candidate labels)."""
    depth_of: dict[str, int] = {}
    lines = [Line(0, f"[bold]{escape(spec.meta.title)}[/bold] ({spec.format}, "
                     f"{plural(len(spec.sections), 'section')})")]
    for section in spec.sections:
        depth = depth_of.get(section.parent or "", 0) + 1
        depth_of[section.id] = depth
        lines.append(Line(depth, _heading(section)))
        lines.extend(_contents(section, depth + 1))
    return lines
