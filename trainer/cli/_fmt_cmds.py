"""`delib fmt`: rewrite specs in canonical form (`spec_lang.fmt`), or check that they are in it."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from spec_lang import SpecRef, expand
from spec_lang.atomic import write_atomic
from spec_lang.errors import DelibError
from spec_lang.fmt import format_spec
from spec_lang.loader import decode, read_bytes
from trainer.cli._app import JsonOpt, app, err, report


@dataclass(frozen=True)
class Formatted:
    """One spec file and its canonical form."""

    ref: SpecRef
    text: str
    """The file as read (decoded, LF line endings)."""
    formatted: str
    """Its canonical form."""
    changed: bool
    """Whether the file's bytes differ from the canonical form (line endings and a BOM count)."""


def format_ref(ref: SpecRef, wrap: int = 0) -> Formatted:
    """Read and format one spec (its prose re-wrapped to `wrap` columns when positive). Raises `SpecLoadError`
    (unreadable) and `SpecLintError` (syntax errors)."""
    raw = read_bytes(ref)
    text = decode(raw, str(ref))
    formatted = format_spec(text, str(ref), wrap=wrap)
    return Formatted(ref, text, formatted, formatted.encode("utf-8") != raw)


def _diff_lines(text: str) -> list[str]:
    """`text` as diff lines, each ending in a newline (split on `\\n` only, unlike `str.splitlines`)."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1] + "\n\\ No newline at end of file\n")
    return lines


def unified_diff(result: Formatted) -> str:
    """The unified diff from the file to its canonical form (empty when it is canonical)."""
    name = str(result.ref)
    body = "".join(difflib.unified_diff(_diff_lines(result.text), _diff_lines(result.formatted),
                                        f"{name}\t(original)", f"{name}\t(formatted)"))
    if result.changed and not body:
        body = (f"--- {name}\t(original)\n+++ {name}\t(formatted)\n"
                "# line endings or byte order mark only: the canonical form is UTF-8 with LF line endings\n")
    return body


def _json(result: Formatted, written: bool, show_diff: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"path": str(result.ref), "changed": result.changed, "written": written}
    if show_diff:
        data["diff"] = unified_diff(result)
    return data


@app.command()
def fmt(
    paths: Annotated[list[str], typer.Argument(
        help="Spec files, folders of specs, or PATH@REV (read from git: only with --check or --diff).")],
    check: Annotated[bool, typer.Option(
        "--check", help="Write nothing; list the files not in canonical form and exit 1 if there is any.")] = False,
    show_diff: Annotated[bool, typer.Option(
        "--diff", help="Write nothing; print a unified diff of what formatting would change.")] = False,
    wrap: Annotated[int, typer.Option(
        "--wrap", metavar="WIDTH", min=0, help="Re-wrap prose paragraphs and `-` bullet items to WIDTH columns "
        "(0, the default: never re-wrap).")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Rewrite specs in place in canonical form (like `black` or `opa fmt`).

    Canonical form: heading attribute blocks as `{#id kind=.. authority=..
    response=.. tags=.. rules=..}`, unknown keys after them alphabetically,
    single spaces, values quoted only when needed; `-` bullets for rules; no
    trailing whitespace (a Markdown hard line break keeps two spaces); one
    blank line between blocks; one newline at the end. Prose is not
    re-wrapped unless `--wrap WIDTH` asks (plain paragraphs and the text of
    `-` bullet items, re-flowed to WIDTH columns; never headings, code,
    HTML, tables, front matter, dialogues or lines with hard breaks, and
    never inside a code span or a link). Code blocks and HTML comments are
    kept as they are, example dialogues lose only trailing whitespace.
    Formatting never changes what a spec means: its revision id stays the
    same.

    A file is written (atomically) only when it changes. `--check` and
    `--diff` write nothing. Exit 0 when done (with `--check`: every file is
    canonical), 1 with `--check` when a file would change, 2 when a file
    cannot be read or has syntax errors (then nothing is written). `--json`
    prints `{"files": [{"path", "changed", "written"}]}`, with each file's
    `diff` under `--diff`.
    """
    refs = expand(paths)
    if not refs:
        raise DelibError(f"no spec files found in {', '.join(paths)}", "pass a spec file or a folder of specs")
    write = not (check or show_diff)
    at_rev = [str(r) for r in refs if r.rev is not None]
    if write and at_rev:
        raise DelibError(f"cannot rewrite {', '.join(at_rev)}: a file at a git revision is read from git",
                         "add --check or --diff to check it, or drop @REV to format the working copy")
    results: list[Formatted] = []
    for ref in refs:
        try:
            results.append(format_ref(ref, wrap))
        except DelibError as exc:  # unreadable, or syntax errors: report every file, then write nothing
            report(exc)
    if len(results) < len(refs):
        err.print(f"{len(refs) - len(results)} of {len(refs)} file(s) cannot be formatted"
                  + ("; nothing was written" if write else ""), markup=False)
        raise typer.Exit(2)
    changed = [r for r in results if r.changed]
    if write:
        for r in changed:
            write_atomic(Path(r.ref.path).resolve(), r.formatted)  # through a symbolic link, to its target
    # Written as they are, not through rich (which expands tabs and turns `:smile:` into an emoji): a diff
    # must apply, and the JSON carries diffs.
    if as_json:
        typer.echo(json.dumps({"files": [_json(r, write and r.changed, show_diff) for r in results]}, indent=2,
                              ensure_ascii=False))
    else:
        for r in changed if show_diff else ():
            typer.echo(unified_diff(r), nl=False)
        for r in changed:
            err.print(f"{'reformatted' if write else 'would reformat'} {r.ref}", markup=False)
        verb = "reformatted" if write else "would be reformatted"
        err.print(f"{len(results)} file(s) checked: {len(changed)} {verb}, {len(results) - len(changed)} "
                  f"already canonical", markup=False)
    raise typer.Exit(1 if check and changed else 0)
