"""Project commands: `delib init` (write a documented delib.toml), `delib build` (run the pipeline,
skipping up-to-date stages) and `delib status` (which stages are stale, and why).

Exit codes: 0 done (status: everything up to date); 1 a stage failed while running or the judge kept no
row (build; rerun to resume), or some stage is stale (status); 2 bad input (project file, specs, prompts,
model addresses)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from trainer.cli._app import JsonOpt, app, err, fail, library_messages, out, print_json
from trainer.cli._generate_cmds import RichProgress

ProjectOpt = Annotated[Path, typer.Option("--project", "-C", help="The project file, or the folder holding "
                                          "delib.toml.")]


@app.command("init")
def init_cmd(
    folder: Annotated[Path, typer.Argument(help="Where to write delib.toml.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing delib.toml.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a documented delib.toml: specs, prompts, backends, models, output folder and every stage's settings."""
    from spec_lang.atomic import write_atomic
    from trainer.project import PROJECT_FILE, TEMPLATE

    target = folder / PROJECT_FILE
    if target.exists() and not force:
        fail(f"{target} exists already\n  hint: edit it, or pass --force to overwrite it with the template")
    write_atomic(target, TEMPLATE)
    if as_json:
        print_json({"wrote": str(target)})
        return
    out.print(f"wrote {target}: edit [spec].paths and [generate].prompts, then run `delib build`", markup=False)


def _stage_names(text: str | None) -> list[str]:
    from trainer.project import STAGES

    names = [s.strip() for s in (text or "").split(",") if s.strip()]
    unknown = [s for s in names if s not in STAGES]
    if unknown:
        fail(f"unknown stage {unknown[0]!r}\n  hint: stages are {', '.join(STAGES)}")
    return names


@app.command("build")
def build_cmd(
    project: ProjectOpt = Path("."),
    until: Annotated[str | None, typer.Option("--until", help="Stop after this stage (e.g. generate).")] = None,
    force: Annotated[str | None, typer.Option("--force", help="Rerun these stages even if up to date "
                                              "(comma-separated).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run lint -> compile -> generate -> sft -> rl -> eval, skipping stages whose inputs did not change.

    State is kept in OUT/build.json; an interrupted build resumes (data and runs resume where they stopped).

    Exit 0 when every stage is done, 1 when a stage failed or the judge kept no row (rerun to resume), 2 on
    bad input (project file, specs, prompts, model addresses).
    """
    from trainer.project import STATE_FILE, build, load_project

    loaded = load_project(project)
    echo = out if not as_json else err
    try:
        with library_messages(loaded.out / "library.log"):
            done = build(loaded, only=_stage_names(until) or None, force=_stage_names(force),  # type: ignore[arg-type]
                         echo=lambda line: echo.print(line, markup=False, soft_wrap=True), progress=RichProgress())
    except KeyboardInterrupt:
        err.print("interrupted; rerun `delib build` to resume", markup=False)
        raise typer.Exit(130) from None
    if as_json:
        print_json({"project": str(loaded.root), "state": str(loaded.out / STATE_FILE),
                    "stages": [{"stage": s.stage, "state": s.state, "why": s.why} for s in done]})
        return
    out.print(f"build finished; state in {loaded.out / STATE_FILE}", markup=False)


@app.command("status")
def status_cmd(project: ProjectOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Show each stage of the project's build: up to date, stale (and which inputs changed), or never built.

    Exit 0 when everything enabled is up to date, 1 otherwise."""
    from trainer.project import PROJECT_FILE, load_project, status

    loaded = load_project(project)
    states = status(loaded)
    stale = any(s.state not in ("up to date", "disabled") for s in states)
    if as_json:
        print_json({"project": str(loaded.root), "stages": [{"stage": s.stage, "state": s.state, "why": s.why}
                                                             for s in states]})
        raise typer.Exit(1 if stale else 0)
    table = Table(title=f"{loaded.root / PROJECT_FILE}")
    for column in ("stage", "state", "why / last result"):
        table.add_column(column)
    colours = {"up to date": "green", "stale": "yellow", "never built": "yellow", "blocked": "dim", "disabled": "dim"}
    for s in states:
        table.add_row(s.stage, f"[{colours[s.state]}]{s.state}[/]", s.why)
    out.print(table)
    if stale:
        raise typer.Exit(1)
