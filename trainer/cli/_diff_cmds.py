"""Spec history commands: `delib diff` (semantic diff and impact) and `delib log` (revisions of a spec file)."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from spec_lang import has_errors, load, read_text
from spec_lang.atomic import write_atomic
from spec_lang.diff import diff_specs, render_json, render_markdown, render_text
from spec_lang.loader import Loaded
from spec_lang.log import spec_log
from spec_lang.report_html import render_html
from trainer.cli._app import JsonOpt, app, err, out


class DiffFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"


class FailOn(str, Enum):
    change = "change"
    risk = "risk"


def _load(ref: str) -> tuple[Loaded, str]:
    """The parsed spec and its raw text (to tell a cosmetic edit from no edit at all)."""
    loaded = load(ref)  # SpecLoadError -> its diagnostic, exit 2, in main()
    text = read_text(loaded.ref)
    if has_errors(loaded.diagnostics):
        err.print(f"[yellow]warning:[/yellow] {ref} has lint errors; the diff reads what could be parsed "
                  f"(run `delib lint {ref}`)", markup=True)
    return loaded, text


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="The old spec: PATH or PATH@REV (e.g. policies/safety.md@main).")],
    new: Annotated[str, typer.Argument(help="The new spec: PATH or PATH@REV.")],
    format: Annotated[DiffFormat, typer.Option("--format", "-f", help="text, json, markdown or html.")] = (
        DiffFormat.text),
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to this file.")] = None,
    as_json: JsonOpt = False,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="What exits 1: any semantic change (`change`) or "
                                            "only a risky one (`risk`: the CI gate for policy reviews).")] = (
        FailOn.change),
) -> None:
    """Show what changed in meaning between two specs, and which categories' compiled artifacts go stale.

    Sections: added, removed, renamed, retitled, moved, re-attributed, reworded (with a word-level diff).

    Rules and examples: added, removed, moved, retitled and changed. A formatting-only edit is cosmetic.

    Changes in force are flagged and listed first: risks (authority lowered or removed, a response relaxed,
    a refuse rule or a category removed), then notable changes (authority raised, a response tightened, a
    comply rule added or removed).

    Exit 0 when there is no semantic change, 1 when there is (with `--fail-on risk`: only when a change is
    flagged as a risk), 2 when a spec cannot be read. `--json` is `--format json`.
    """
    format = DiffFormat.json if as_json else format
    (before, old_text), (after, new_text) = _load(old), _load(new)
    result = diff_specs(before.spec, after.spec, sources_differ=old_text != new_text)
    if format is DiffFormat.text:
        rendered = render_text(result)
        if output is None:
            out.print(rendered)
        else:
            write_atomic(output, rendered.plain)
    else:
        text = {DiffFormat.json: render_json, DiffFormat.markdown: render_markdown}.get(format)
        body = text(result) if text else render_html(result, before.spec, after.spec)
        if output is None:
            out.print(body, markup=False, end="")
        else:
            write_atomic(output, body)
    if output is not None:
        err.print(f"wrote {output}", markup=False)
    raise typer.Exit(1 if (result.risky if fail_on is FailOn.risk else result.changed) else 0)


@app.command()
def log(
    spec: Annotated[str, typer.Argument(help="A spec file tracked by git, or PATH@REV for its history up to REV.")],
    as_json: JsonOpt = False,
    max_count: Annotated[int | None, typer.Option("--max-count", "-n", min=1, help="Show at most N commits.")] = None,
) -> None:
    """List the commits that changed a spec file (following renames), newest first.

    Each shows its hash, date, spec revision id and subject, then what changed in meaning since the commit before.

    `cosmetic only` means the meaning did not change; `stale:` names the categories to rebuild.
    """
    entries = spec_log(spec, max_count)
    if as_json:
        out.print(json.dumps([e.model_dump(mode="json") for e in entries], indent=2, ensure_ascii=False),
                  markup=False)
        return
    for e in entries:
        out.print(f"[yellow]{e.short}[/yellow] {e.date[:10]} [cyan]{e.revision or '-' * 16}[/cyan] {e.subject}",
                  markup=True, highlight=False)
        out.print(f"    {e.summary}", markup=False)
