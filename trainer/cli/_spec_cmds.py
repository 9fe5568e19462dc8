"""Spec-language commands: `delib lint`, `delib show`, `delib schema`."""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from spec_lang import Spec, SpecLoadError, expand, has_errors, load, show_json
from spec_lang.diagnostics import Diagnostic, sort_key
from trainer.cli._app import JsonOpt, app, err, out, print_json
from trainer.cli._show import spec_lines


class LintFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


@app.command()
def lint(
    paths: Annotated[list[str], typer.Argument(help="Spec files, folders of specs, or PATH@REV.")],
    format: Annotated[LintFormat, typer.Option(
        "--format", "-f", help="text, json, github (GitHub Actions annotations) or sarif (SARIF 2.1.0).")
    ] = LintFormat.text,
    as_json: JsonOpt = False,
) -> None:
    """Check specs and print every problem as `path:line:col: CODE message`.

    Exit 0 when there is no error (warnings allowed), 1 when any error, 2 when a path cannot be read.
    `--json` is `--format json`: a JSON list of diagnostics. `--format github` prints one GitHub Actions
    annotation per problem (`::error file=...,line=...,col=...::...`), `--format sarif` a SARIF 2.1.0 log
    for code scanning.
    """
    format = LintFormat.json if as_json else format
    diagnostics: list[Diagnostic] = []
    unreadable = False
    refs = expand(paths)
    if not refs:
        err.print("error: no spec files found in " + ", ".join(paths))
        raise typer.Exit(2)
    for ref in refs:
        try:
            diagnostics.extend(load(ref).diagnostics)
        except SpecLoadError as exc:
            diagnostics.append(exc.diagnostic)
            unreadable = unreadable or exc.diagnostic.code == "SPEC001"
    diagnostics.sort(key=sort_key)
    if format is LintFormat.json:
        print_json([d.model_dump(mode="json") for d in diagnostics])
    elif format is LintFormat.sarif:
        from importlib.metadata import version

        from spec_lang.diagnostic_formats import sarif

        print_json(sarif(diagnostics, version=version("deliberative")))
    elif format is LintFormat.github:
        from spec_lang.diagnostic_formats import github_annotations

        out.print(github_annotations(diagnostics), markup=False, emoji=False, end="", soft_wrap=True)
    else:
        for d in diagnostics:
            out.print(d.format(), markup=False)
        errors = sum(d.severity == "error" for d in diagnostics)
        warnings = len(diagnostics) - errors
        err.print(f"{len(refs)} file(s) checked: {errors} error(s), {warnings} warning(s)")
    if unreadable:
        raise typer.Exit(2)
    raise typer.Exit(1 if has_errors(diagnostics) else 0)


def _print_listing(spec: Spec) -> None:
    """The listing as a rich tree on a terminal (long lines wrapped under their guides); piped, as plain
    indented lines (never cut to a width)."""
    lines = spec_lines(spec)
    stats = show_json(spec)["stats"]
    if not out.is_terminal:
        for line in lines:
            out.print("  " * line.depth + Text.from_markup(line.text).plain, markup=False, soft_wrap=True)
        for key, value in stats.items():
            out.print(f"{key}: {json.dumps(value)}", markup=False, soft_wrap=True)
        return
    root = Tree(lines[0].text)
    parents: list[Tree] = [root]
    for line in lines[1:]:
        del parents[line.depth:]
        parents.append(parents[-1].add(line.text))
    out.print(root, soft_wrap=False)  # wrapped inside the tree's guides, never cut at the terminal's width
    table = Table(show_header=False, box=None)
    for key, value in stats.items():
        table.add_row(key, json.dumps(value))
    out.print(table, soft_wrap=False)


@app.command()
def show(
    spec: Annotated[str, typer.Argument(help="Spec file or PATH@REV.")],
    as_json: JsonOpt = False,
) -> None:
    """Show a spec's section tree with, under each section, its rules (id, response, text) and examples
    (title, labels), then the spec's statistics (or `--json`). Piped, the listing is plain indented text."""
    loaded = load(spec)
    if as_json:
        print_json(show_json(loaded.spec))
        return
    _print_listing(loaded.spec)
    if has_errors(loaded.diagnostics):
        err.print(f"[yellow]{spec} has lint errors; run `delib lint {spec}`[/yellow]")


@app.command()
def schema(
    project: Annotated[bool, typer.Option("--project", help="The schema of `delib.toml` instead of the spec "
                                          "model's.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Accepted for uniformity: the schema is JSON.")] = False,
) -> None:
    """Print the JSON Schema of the spec model, or with `--project` of `delib.toml` (for editors and CI:
    `delib schema --project > delib.schema.json`)."""
    if project:
        from trainer.project.schema import project_schema

        print_json(project_schema())
        return
    print_json(Spec.model_json_schema())
