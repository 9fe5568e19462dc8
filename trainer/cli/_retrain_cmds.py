"""`delib retrain`: a spec changed; regenerate only the stale categories' data and continue training.

Exit codes: 0 retrained (or already complete); 1 training or generation failed part-way (rerun the same
command to resume); 2 bad input (run folder, spec with lint errors, missing recipe, backend spec); 130
interrupted.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from trainer.cli._app import JsonOpt, alias, app, err, fail, library_messages, out, print_json
from trainer.cli._generate_cmds import RichProgress

if TYPE_CHECKING:
    from trainer.retrain import RetrainReport


def _stages(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    stages = tuple(s.strip() for s in text.split(",") if s.strip())
    unknown = [s for s in stages if s not in ("sft", "rl")]
    if unknown or not stages:
        fail(f"--stages {text!r}: unknown stage {unknown[0] if unknown else '(none)'!r}\n"
             "  hint: pass sft, rl or sft,rl")
    return stages


def _table(report: RetrainReport) -> None:
    table = Table(title=f"retrain of {report.parent_run}: {report.old_revision} -> {report.new_revision}")
    for column in ("category", "change", "rows before", "rows after", "regenerated", "reused"):
        table.add_column(column, justify="left" if column in ("category", "change") else "right")
    for c in report.categories:
        table.add_row(c.id, c.status, str(c.rows_before), str(c.rows_after), str(c.regenerated), str(c.reused))
    out.print(table)
    for c in report.categories:
        if c.reason:
            out.print(f"{c.id} ({c.status}): {c.reason}", markup=False, soft_wrap=True)


@app.command("retrain")
def retrain_cmd(
    run: Annotated[Path, typer.Argument(help="The completed run to continue from (an SFT or RL run folder).")],
    spec: Annotated[list[str], typer.Option("--spec", "-s", help="The new spec: file, folder or PATH@REV "
                                            "(repeatable).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the new bundle, data and runs "
                                         "(rerun to resume).")],
    stages: Annotated[str | None, typer.Option("--stages", help="sft, rl or sft,rl (default: the stages of the "
                                               "run's lineage).")] = None,
    templates: Annotated[str | None, typer.Option("--templates", help="Template folder or built-in profile "
                                                  "(default: the one the run's bundle was compiled with).")] = None,
    tokenizer: Annotated[str | None, typer.Option("--tokenizer", help="Tokenizer for token counts, or `approx` "
                                                  "(as in `delib compile`).")] = None,
    generator: Annotated[str | None, typer.Option("--generator", help="The model that writes the regenerated "
                                                  "data (default: the data's recipe).")] = None,
    judge: Annotated[str | None, typer.Option("--judge", help="Judge for generation and the RL reward: a model "
                                              "address or rm:RUN (default: as before).")] = None,
    sft_max_steps: Annotated[int | None, typer.Option("--sft-max-steps", min=1, help="SFT steps (default: as the "
                                                      "parent's SFT run).")] = None,
    rl_max_steps: Annotated[int | None, typer.Option("--rl-max-steps", min=1, help="RL steps (default: as the "
                                                     "parent's RL run).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the stale categories and why; write nothing, "
                                          "call no model.")] = False,
    json_out: JsonOpt = False,
    backend: Annotated[str | None, typer.Option("--backend", hidden=True, help="Deprecated: --generator.")] = None,
) -> None:
    """Retrain a run on a changed spec: diff the run's spec against the new one, regenerate the data of the
    stale categories only (the rest is reused row for row), and continue training from the run's final model.

    Writes OUTPUT/bundle, OUTPUT/data, OUTPUT/sft and OUTPUT/rl (each run's manifest names its parent), and
    OUTPUT/retrain.json + RETRAIN.md: what was regenerated and why.
    """
    from trainer.retrain import RetrainOptions, prepare, retrain

    generator = alias(backend, "--backend", "--generator", generator)
    options = RetrainOptions(stages=_stages(stages), templates=templates, tokenizer=tokenizer,  # type: ignore[arg-type]
                             backend=generator, judge=judge, sft_max_steps=sft_max_steps, rl_max_steps=rl_max_steps)
    if dry_run:
        report = prepare(run, spec, output, options, write=False).report
    else:
        try:
            with library_messages():
                report = retrain(run, spec, output, options, progress=RichProgress(),
                                 notify=lambda message: err.print(message, markup=False))
        except KeyboardInterrupt:
            err.print(f"interrupted; rerun the same command to resume (state is kept in {output})", markup=False)
            raise typer.Exit(130) from None
    if json_out:
        print_json(report.model_dump(mode="json"))
        return
    _table(report)
    if dry_run:
        out.print(f"dry run: stages {', '.join(report.stages)}; {len(report.stale)} stale categories would be "
                  "regenerated; nothing written", markup=False)
        return
    runs = "; ".join(f"{stage}: {path} (open as hf:{path})" for stage, path in report.runs.items())
    out.print(f"retrained: {report.generated} completions generated, {report.judged} verdicts; {runs}; report: "
              f"{output}/RETRAIN.md", markup=False)
