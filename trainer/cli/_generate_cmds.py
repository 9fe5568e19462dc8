"""`delib generate`: prompts -> judged, filtered SFT data from a compiled bundle (see `trainer.generation`).

Exit codes: 0 done; 1 done, but some generations or judge requests failed (rerun to retry them), or the
judge kept no row (nothing usable); 2 bad input (bundle, prompt file, column, model address, spec revision)
or an output folder that cannot be used.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from trainer.cli._app import (
    MODEL_ADDRESSES,
    JsonOpt,
    JudgeOpt,
    PanelLlmOpt,
    PanelOpt,
    alias,
    app,
    err,
    library_messages,
    out,
    print_json,
)
from trainer.cli._reasoning import ReasoningOpt, with_bundle

if TYPE_CHECKING:
    from compiler.bundle import Bundle
    from trainer.generation import GenerationRecipe, GenerationReport


class _Rates(ProgressColumn):
    """Units/s and tokens/s of a task (tokens in the task's `tokens` field)."""

    def render(self, task: Task) -> Text:
        elapsed = (task.finished_time if task.finished else task.elapsed) or 0.0
        if elapsed <= 0:
            return Text("")
        tokens = float(task.fields.get("tokens", 0))
        return Text(f"{task.completed / elapsed:.2f} rows/s  {tokens / elapsed:.1f} tok/s", style="cyan")


class RichProgress:
    """Two bars, sampling and judging, with rows/s and tokens/s (on stderr)."""

    def __init__(self) -> None:
        self.bars = Progress(TextColumn("{task.description:>9}"), BarColumn(), MofNCompleteColumn(), _Rates(),
                             TimeElapsedColumn(), console=err, transient=False)
        self.sample = self.bars.add_task("generate", total=0, tokens=0, visible=False, start=False)
        self.judge = self.bars.add_task("judge", total=None, tokens=0, visible=False, start=False)

    def start(self, units: int, cached: int, to_generate: int, to_judge: int) -> None:
        err.print(f"{units} units: {cached} cached, {to_generate} to generate, {to_judge} to judge again",
                  markup=False)
        if to_generate or to_judge:
            self.bars.update(self.sample, total=to_generate, visible=bool(to_generate))
            self.bars.start_task(self.sample)
            self.bars.start_task(self.judge)
            self.bars.start()

    def generated(self, units: int, completion_tokens: int) -> None:
        tokens = self.bars.tasks[self.sample].fields.get("tokens", 0) + completion_tokens
        self.bars.update(self.sample, advance=units, tokens=tokens)

    def judged(self, units: int, completion_tokens: int) -> None:
        """Judged units (the total is unknown up front: only keepable candidates are judged)."""
        tokens = self.bars.tasks[self.judge].fields.get("tokens", 0) + completion_tokens
        self.bars.update(self.judge, advance=units, tokens=tokens, visible=True)

    def finish(self) -> None:
        self.bars.stop()


def _summary(report: GenerationReport) -> None:
    if report.dry_run:
        categories = ", ".join(f"{name} {n}" for name, n in report.categories.items()) or "none yet"
        out.print(f"dry run: {report.prompts + report.unrouted} prompts ({report.unrouted} still to route by "
                  f"retrieval), {report.units} units: {report.cached} cached, {report.to_generate} to generate, "
                  f"{report.to_judge} to judge again; at most {report.planned_calls} model calls\n"
                  f"prompts per category: {categories}", markup=False)
        return
    table = Table(title=f"{report.out_dir}: {report.prompts} prompts, {report.seconds:.1f} s")
    for column in ("category", "prompts", "kept", "rejected", "unscored", "errors"):
        table.add_column(column, justify="left" if column == "category" else "right")
    for name, c in [*report.per_category.items(), ("total", report.totals)]:
        table.add_row(name, str(c.prompts), str(c.kept), str(c.rejected), str(c.unscored), str(c.errors))
    out.print(table)
    g, j = report.generator, report.judge
    out.print(f"generator: {g.calls} calls, {g.items} completions, {g.prompt_tokens}+{g.completion_tokens} tokens; "
              f"judge: {j.calls} calls, {j.items} verdicts, {j.prompt_tokens}+{j.completion_tokens} tokens; "
              f"{report.cached} units reused from the work log", markup=False)


def _notes(report: GenerationReport) -> None:
    if report.duplicates:
        err.print(f"note: {report.duplicates} duplicate prompt(s) dropped", markup=False)
    if report.uncategorised:
        err.print(f"[yellow]warning:[/yellow] {len(report.uncategorised)} prompt(s) routed with low confidence "
                  f"(first: {escape(report.uncategorised[0])}); flagged `uncategorised` in the output; "
                  "--skip-uncategorised skips them")
    if report.skipped:
        err.print(f"note: {len(report.skipped)} uncategorised prompt(s) skipped (first: {report.skipped[0]})",
                  markup=False)
    if report.log_skipped:
        err.print(f"note: {report.log_skipped} unreadable work-log line(s) ignored (a killed run); redone",
                  markup=False)


def run_recipe(recipe: GenerationRecipe, bundle: Bundle, output: Path, *, dry_run: bool = False) -> GenerationReport:
    """Run a generation recipe with progress bars; Ctrl-C exits 130 saying how to resume."""
    from trainer.generation import generate_from_recipe

    progress = RichProgress()
    try:
        return generate_from_recipe(recipe, bundle, output, progress=progress, dry_run=dry_run,
                                    notify=lambda message: err.print(message, markup=False))
    except KeyboardInterrupt:
        progress.finish()
        err.print(f"interrupted; finished work is saved in {output}/.work: rerun the same command to resume",
                  markup=False)
        raise typer.Exit(130) from None


@app.command("generate")
def generate_cmd(
    bundle_dir: Annotated[Path, typer.Argument(metavar="BUNDLE", help="A compiled bundle folder (delib compile).")],
    prompts: Annotated[Path, typer.Option("--prompts", "-p", help="JSONL, CSV (XSTest's too), parquet, or a "
                                          "dataset folder saved with datasets' save_to_disk.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output folder (resumable: rerun to continue).")],
    generator: Annotated[str, typer.Option("--generator", help="The model that writes the data: a model address "
                                           f"({MODEL_ADDRESSES}).")] = "embedded",
    judge: JudgeOpt = "embedded",
    samples: Annotated[int, typer.Option("--samples", min=1, help="Completions per prompt.")] = 4,
    judge_runs: Annotated[int, typer.Option("--judge-runs", min=1, help="Judge runs per completion "
                                            "(score = minimum).")] = 3,
    verdict_tokens: Annotated[int, typer.Option("--verdict-tokens", min=1, help="Token limit of each judge "
                                                "verdict.")] = 256,
    threshold: Annotated[float, typer.Option("--threshold", min=1.0, max=5.0, help="Keep only scores >= this.")
                         ] = 4.0,
    max_new_tokens: Annotated[int, typer.Option("--max-new-tokens", min=1, help="Completion token limit.")] = 512,
    temperature: Annotated[float, typer.Option("--temperature", min=0.0, help="Generator temperature.")] = 0.8,
    top_p: Annotated[float, typer.Option("--top-p", min=0.0, max=1.0, help="Generator nucleus sampling mass.")] = 0.95,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Use only the first N prompts.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Sampling seed (sample i uses seed + i).")] = 0,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Prompts per round (saved per round).")
                          ] = 8,
    prompt_column: Annotated[str, typer.Option("--prompt-column", help="Column with the prompt.")] = "prompt",
    category_column: Annotated[str | None, typer.Option("--category-column", help="Column with the category "
                                                        "(default: `category` when present).")] = None,
    spec: Annotated[str | None, typer.Option("--spec", help="The spec the bundle was compiled from, for routing "
                                             "rows without a category by retrieval (PATH or PATH@REV); "
                                             "default: the bundle's own copy of it.")] = None,
    skip_uncategorised: Annotated[bool, typer.Option("--skip-uncategorised", help="Skip prompts retrieval "
                                                     "cannot route confidently.")] = False,
    judge_malformed: Annotated[bool, typer.Option("--judge-malformed", help="Also judge completions that "
                                                  "cannot be kept (malformed or truncated).")] = False,
    guided: Annotated[bool, typer.Option("--guided", help="Write the format step by step (small models).")
                      ] = False,
    label_aware: Annotated[bool, typer.Option("--label-aware", help="Guided: decide the prompt's expected "
                                              "response when the model's own decision differs.")] = False,
    cite_rules: Annotated[bool, typer.Option("--cite-rules", help="Guided: start the reasoning with the "
                                             "best-matching rule, refusals as the spec's GOOD ones open.")] = False,
    reasoning_tokens: Annotated[int | None, typer.Option("--reasoning-tokens", min=0, help="Guided: token limit "
                                                         "of the model's own reasoning (0: none).")] = None,
    answer_with_spec: Annotated[bool, typer.Option("--answer-with-spec/--answer-without-spec", help="Guided: "
                                                   "whether the answer step sees the spec.")] = True,
    short_answers: Annotated[bool, typer.Option("--short-answers", help="Guided: the answer ends at its first "
                                                "blank line.")] = False,
    panel: PanelOpt = True,
    panel_llm: PanelLlmOpt = True,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would run; load no model.")] = False,
    as_json: JsonOpt = False,
    reasoning: ReasoningOpt = "auto",
    backend: Annotated[str | None, typer.Option("--backend", hidden=True, help="Deprecated: --generator.")] = None,
    samples_n: Annotated[int | None, typer.Option("-n", hidden=True, min=1, help="Deprecated: --samples.")] = None,
    judge_runs_k: Annotated[int | None, typer.Option("-k", hidden=True, min=1, help="Deprecated: --judge-runs.")
                            ] = None,
) -> None:
    """Sample N completions per prompt under its category's system prompt, grade each with the spec-aware
    judge k times (minimum), and keep the best above the threshold as SFT data, without the system prompt.

    Writes OUTPUT/data.jsonl (kept rows), candidates.jsonl (every candidate), pairs.jsonl (kept vs rejected
    candidates of one prompt, TRL's DPO format), dataset/, README.md (the dataset card), and
    generation.json + bundle/ (how the data was made, for `delib retrain`). Interrupted or changed runs
    resume: finished work is reused, only stale categories are redone.

    Exit 0 when done, 1 when a generation or judge request failed (rerun to retry it) or the judge kept no
    row, 2 on bad input.
    """
    from compiler.bundle import load_bundle
    from trainer.generation import GenerationConfig, GenerationRecipe, PromptSource
    from trainer.judging import JudgeConfig

    generator = alias(backend, "--backend", "--generator", generator)
    samples = alias(samples_n, "-n", "--samples", samples)
    judge_runs = alias(judge_runs_k, "-k", "--judge-runs", judge_runs)
    bundle = load_bundle(bundle_dir)
    with_bundle(reasoning, bundle.reasoning)  # the bundle's system prompts ask for its format: refuse another
    config = GenerationConfig(samples=samples, threshold=threshold, temperature=temperature, top_p=top_p,
                              max_new_tokens=max_new_tokens, seed=seed, batch_size=batch_size,
                              judge=JudgeConfig(runs=judge_runs, max_new_tokens=verdict_tokens),
                              judge_malformed=judge_malformed,
                              skip_uncategorised=skip_uncategorised, guided=guided, label_aware=label_aware,
                              cite_rules=cite_rules, reasoning_tokens=reasoning_tokens,
                              answer_with_spec=answer_with_spec, short_answers=short_answers, panel=panel,
                              panel_llm=panel_llm)
    recipe = GenerationRecipe(config=config, backend=generator, judge=judge, spec=spec, prompts=PromptSource(
        path=str(prompts.resolve()), prompt_column=prompt_column, category_column=category_column, limit=limit))
    with library_messages():
        report = run_recipe(recipe, bundle, output, dry_run=dry_run)
    _notes(report)
    if as_json:
        print_json(report.model_dump(mode="json"))
    else:
        _summary(report)
    if report.dry_run:
        return
    if report.errors:
        err.print(f"[yellow]warning:[/yellow] {report.errors} generation(s) or judgement(s) failed and were "
                  "recorded as errors; rerun the same command to retry them")
        raise typer.Exit(1)
    if report.totals.kept == 0:
        from spec_lang.errors import EmptyResultError

        raise EmptyResultError(f"the judge kept no row ({report.totals.candidates} candidates), so "
                               f"{output / 'data.jsonl'} is empty", "lower --threshold, raise --samples, use a "
                               f"stronger --generator, or see why in {output / 'candidates.jsonl'}")

