"""Ids: the one pattern every id matches, wherever it is read.

Section ids (`{#id ...}`), rule ids (`- {#id} ...`), the front matter `id` and the ids a bundle's
`manifest.json` names are all checked by `id_problem`. Ids name files in compiled bundles
(`categories/<id>/`, `sources/<id>.json`), so the pattern admits no path separator, no leading dot
(hence no `.` or `..`) and nothing but ASCII letters, digits, `_`, `.` and `-`.
"""

from __future__ import annotations

import re

ID_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"
"""An id: a letter, digit or `_`, then letters, digits, `_`, `.` or `-`."""

MAX_ID_LENGTH = 100
"""The longest id, in characters (the Model Spec's longest is 43)."""

_ID = re.compile(ID_PATTERN)


def id_problem(value: object) -> str | None:
    """Why `value` is not a valid id (a message naming it), or None when it is one."""
    if not isinstance(value, str):
        return f"id {value!r} is a {type(value).__name__}, not a string"
    if not _ID.fullmatch(value):
        return f"invalid id {value!r} (use letters, digits, '_', '.' or '-', starting with a letter, digit or '_')"
    if len(value) > MAX_ID_LENGTH:
        return f"id {value[:20]!r}... is {len(value)} characters long, over the limit of {MAX_ID_LENGTH}"
    return None


def check_id(value: str) -> str:
    """`value` when it is a valid id; raises ValueError saying why not (a pydantic validator)."""
    problem = id_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value
