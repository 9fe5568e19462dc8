"""YAML front matter -> `SpecMeta` plus diagnostics. Pure: no I/O.

Front matter comes from the file being checked, so it is read within bounds before any Python object
is built: YAML aliases (`*name`, also behind `<<:` merge keys) are refused, since a few hundred bytes of
nested aliases expand to billions of nodes (the "billion laughs"), and so are nesting deeper than
`MAX_DEPTH`, which would exhaust the YAML library's recursion, and numbers longer than
`MAX_NUMBER_LENGTH` characters, which Python refuses to convert. Without aliases, what front matter
expands to is bounded by its own size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from spec_lang.diagnostics import Diagnostic, diag
from spec_lang.ids import id_problem
from spec_lang.model import Span, SpecMeta

MAX_DEPTH = 20
"""The deepest nesting of lists and mappings front matter may have."""

MAX_NUMBER_LENGTH = 100
"""The longest unquoted number, in characters."""

_NUMBER = re.compile(r"[-+]?(0x[0-9a-fA-F_]+|0b[01_]+|[0-9][0-9_:]*)")
"""A plain scalar YAML 1.1 reads as an integer (`:` for its base-60 form)."""

_OPENING = re.compile(r"-{3,}")
"""What opens front matter on a file's first line (as the Markdown front matter plugin reads it)."""

_KNOWN = ("id", "title", "version", "owners", "description")


@dataclass(frozen=True)
class FrontMatter:
    """The metadata read from front matter (None when it is unusable) and the problems found."""

    meta: SpecMeta | None
    diagnostics: tuple[Diagnostic, ...]


def opens_front_matter(first_line: str) -> bool:
    """Whether a file's first line opens front matter (then a closing `---` must follow)."""
    return _OPENING.match(first_line) is not None


def unclosed(path: str) -> Diagnostic:
    """The diagnostic for front matter opened on line 1 and never closed."""
    return diag("SPEC014", Span(path=path, line=1), "front matter opened by `---` here is never closed",
                "end the front matter with a `---` line (or remove this line if it is a horizontal rule)")


def _limit_problem(content: str) -> tuple[str, int, int] | None:
    """(message, 0-based line, 0-based column) of the first alias, too-deep nesting or too-long number.
    Reads YAML events only: nothing is expanded. Raises `yaml.YAMLError` on invalid YAML."""
    depth = 0
    for event in yaml.parse(content, Loader=yaml.SafeLoader):
        mark = event.start_mark
        line0, col0 = (mark.line, mark.column) if mark is not None else (0, 0)
        if isinstance(event, yaml.AliasEvent):
            return f"front matter uses the YAML alias `*{event.anchor}`", line0, col0
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH + 1:  # the top-level mapping is level 0
                return f"front matter nests deeper than {MAX_DEPTH} levels", line0, col0
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.ScalarEvent) and event.style is None and \
                len(event.value) > MAX_NUMBER_LENGTH and _NUMBER.fullmatch(event.value):
            return (f"front matter number {event.value[:12]}... is {len(event.value)} characters long, over "
                    f"{MAX_NUMBER_LENGTH}"), line0, col0
    return None


def read_front_matter(content: str, path: str, first_line: int = 2) -> FrontMatter:
    """Read front matter `content`, whose first line is line `first_line` (1-based) of `path`."""
    opening = Span(path=path, line=first_line - 1)
    try:
        limit = _limit_problem(content)
        if limit is not None:
            message, line0, col0 = limit
            return FrontMatter(None, (diag("SPEC013", _at(path, first_line, line0, col0), message,
                                           "write plain values: no anchors or aliases, at most "
                                           f"{MAX_DEPTH} levels of nesting, long numbers in quotes"),))
        data = yaml.safe_load(content) if content.strip() else {}
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a number too long to convert
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        span = _at(path, first_line, mark.line) if mark is not None else opening
        return FrontMatter(None, (diag("SPEC010", span, f"front matter is not valid YAML: {problem}",
                                       "front matter is a YAML mapping between two `---` lines"),))
    if not isinstance(data, dict):
        return FrontMatter(None, (diag("SPEC010", opening, f"front matter is a {type(data).__name__}, not a mapping",
                                       "write `key: value` lines, e.g. `id: safety` and `title: ...`"),))
    diagnostics = _check(data, opening)
    ident = data.get("id")
    if isinstance(ident, str) and ident.strip() and (problem := id_problem(ident.strip())) is not None:
        span = _value_span(content, "id", path, first_line) or opening
        diagnostics.append(diag("SPEC012", span, f"front matter `id`: {problem}",
                                "the id names compiled files (`sources/<id>.json`): write e.g. `id: safety`"))
    return FrontMatter(None if diagnostics else _meta(data), tuple(diagnostics))


def _at(path: str, first_line: int, line0: int, col0: int = 0) -> Span:
    return Span(path=path, line=first_line + line0, col=col0 + 1)


def _check(data: dict[Any, Any], opening: Span) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for key in ("id", "title"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            out.append(diag("SPEC011", opening, f"front matter needs a non-empty string `{key}`",
                            f"add `{key}: ...` to the front matter"))
    owners = data.get("owners", ())
    if isinstance(owners, str):
        owners = (owners,)
    if not isinstance(owners, (list, tuple)) or not all(isinstance(o, str) for o in owners):
        out.append(diag("SPEC011", opening, "front matter `owners` must be a list of strings",
                        "write `owners: [team@example.org]`"))
    for key in ("version", "description"):
        if key in data and not isinstance(data[key], (str, int, float)):
            out.append(diag("SPEC011", opening, f"front matter `{key}` must be a string",
                            f"write `{key}: \"...\"`"))
    return out


def _value_span(content: str, key: str, path: str, first_line: int) -> Span | None:
    """Where the value of the top-level `key` starts, from the YAML node marks."""
    root = yaml.compose(content, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return None
    for key_node, value_node in root.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return _at(path, first_line, value_node.start_mark.line, value_node.start_mark.column)
    return None


def _meta(data: dict[Any, Any]) -> SpecMeta:
    owners = data.get("owners", ())
    version = data.get("version")
    return SpecMeta(id=data["id"].strip(), title=data["title"].strip(),
                    version=None if version is None else str(version),
                    owners=(owners,) if isinstance(owners, str) else tuple(owners),
                    description=data.get("description"),
                    extra=_jsonable({k: v for k, v in data.items() if k not in _KNOWN}))


def _jsonable(value: Any) -> Any:
    """`value` as JSON data: keys as strings, other scalars (dates) as text."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
