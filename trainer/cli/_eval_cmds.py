"""Evaluation commands: `delib eval`, `delib test`, `delib eval-judge`.

Exit codes: 0 success; 1 `delib test` found failing (or unscorable) policy tests; 2 bad usage or
unreadable input (a prompt file, a spec with lint errors, a backend that cannot be opened).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trainer.cli._app import (
    MODEL_ADDRESSES,
    JsonOpt,
    JudgeOpt,
    PanelLlmOpt,
    PanelOpt,
    app,
    err,
    fail,
    library_messages,
    out,
    print_json,
)
from trainer.cli._reasoning import ReasoningOpt, with_bundle

if TYPE_CHECKING:
    from trainer.evaluation import Progress

SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of every sampled or resampled number.")]


@contextmanager
def _progress(enabled: bool = True) -> Iterator[Progress]:
    """A progress callback: one bar per stage on a terminal, else a plain line per step on stderr (for logs)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    if not sys.stderr.isatty():
        yield lambda stage, done, total: err.print(f"{stage}: {done}/{total}", markup=False)
        return
    if not enabled:
        yield lambda stage, done, total: None
        return
    tasks: dict[str, object] = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)  # type: ignore[arg-type]

        yield update


def _notify(message: str) -> None:
    err.print(message, markup=False)


# ------------------------------------------------------------------------------------------------ delib test


@app.command("test")
def test_cmd(
    specs: Annotated[list[str], typer.Argument(help="Spec files or folders of specs.")],
    judge: JudgeOpt = "embedded",
    model: Annotated[str | None, typer.Option("--model", "-m", help="Also check this model's answers to the "
                                              f"examples: a model address ({MODEL_ADDRESSES}).")] = None,
    as_json: JsonOpt = False,
    category: Annotated[list[str] | None, typer.Option("--category", "-c", help="Only this category "
                                                       "(repeatable).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N cases.")] = None,
    seed: SeedOpt = 0,
    verdicts: Annotated[bool, typer.Option("--verdicts", help="Also generate the judge's verdicts (style and "
                                           "rationale of every grade); about twice as slow.")] = False,
    verdict_tokens: Annotated[int, typer.Option("--verdict-tokens", min=1, help="Token limit of each verdict "
                                                "(with --verdicts).")] = 128,
    route: Annotated[bool, typer.Option("--route/--no-route", help="Route examples outside every category "
                                        "by retrieval (else they are skipped).")] = True,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every failure.")] = False,
    junit: Annotated[Path | None, typer.Option("--junit", help="Also write the results as JUnit XML to this "
                                               "file (for CI test reports).")] = None,
) -> None:
    """Run the spec's example comparisons as tests: the judge must rank GOOD above OK above BAD.

    Every comparison's messages form the prompt; each candidate is graded as a final answer. Lists the
    rules no example exercises. Exit 1 when a test fails or cannot be scored. `--junit FILE` also writes
    JUnit XML (a suite per category, a test case per comparison).
    """
    from trainer.evaluation import PolicyTestConfig
    from trainer.evaluation.console import policy_report, policy_summary
    from trainer.evaluation.pipeline import run_policy_tests
    from trainer.evaluation.sources import resolve

    config = PolicyTestConfig(seed=seed, verdicts=verdicts, verdict_tokens=verdict_tokens)
    with _progress(not as_json) as progress, library_messages():
        report = run_policy_tests(resolve(None, specs), judge=judge, model=model, config=config,
                                  categories=category or (), limit=limit, route=route, notify=_notify,
                                  progress=progress)
    if junit is not None:
        from spec_lang.atomic import write_atomic
        from trainer.evaluation.junit import junit_xml

        write_atomic(junit, junit_xml(report))
    if as_json:
        print_json(report.as_json())
    else:
        out.print(policy_report(report, verbose=verbose))
        (out if report.ok else err).print(policy_summary(report), markup=False)
    if judge.strip() == "embedded" and not report.ok:
        err.print(EMBEDDED_JUDGE_NOTE, markup=False)
    raise typer.Exit(0 if report.ok else 1)


EMBEDDED_JUDGE_NOTE = (
    "note: the embedded judge (SmolLM2-135M) ranks a spec's examples at about chance (README, \"What the embedded "
    "judge is worth\"), so its failures say little about the spec. For a judge with measured signal, compile one from "
    "the spec (`delib train judge SPEC -o RUN`, then `--judge rm:RUN`) or use a strong model (`--judge "
    "openai:URL#MODEL`).")
"""What `delib test` adds under its result when the embedded judge failed a test."""


# ------------------------------------------------------------------------------------------------ delib eval


class StyleFrom(str, Enum):
    judge = "judge"
    heuristic = "heuristic"
    keyword = "keyword"


@app.command("eval")
def eval_cmd(
    model: Annotated[str, typer.Argument(help=f"The model to evaluate: a model address ({MODEL_ADDRESSES}).")],
    bundle: Annotated[Path, typer.Option("--bundle", "-b", help="The compiled bundle (`delib compile`).")],
    prompts: Annotated[Path, typer.Option("--prompts", "-p", help="JSONL or CSV of prompts (XSTest's CSV as is).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for eval.json, rows.jsonl, report.html.")],
    vs: Annotated[str | None, typer.Option("--vs", help="A second model (or checkpoint) to compare with.")] = None,
    judge: JudgeOpt = "embedded",
    judge_runs: Annotated[int, typer.Option("--judge-runs", min=1, help="k judge runs per answer (minimum).")] = 1,
    max_new_tokens: Annotated[int, typer.Option("--max-new-tokens", min=1, help="Token limit of answers.")] = 512,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N prompts.")] = None,
    seed: SeedOpt = 0,
    spec: Annotated[str | None, typer.Option("--spec", help="The spec the bundle was compiled from: routes "
                                             "prompts without a category by retrieval.")] = None,
    category_column: Annotated[str, typer.Option("--category-column", help="The prompt file's column that "
                                                 "holds categories.")] = "category",
    style_from: Annotated[StyleFrom, typer.Option("--style-from", help="What decides an answer's style for "
                                                  "the metrics.")] = StyleFrom.judge,
    verdict_tokens: Annotated[int, typer.Option("--verdict-tokens", min=1, help="Token limit of each judge "
                                                "verdict (style and rationale).")] = 256,
    panel: PanelOpt = True,
    panel_llm: PanelLlmOpt = True,
    as_json: JsonOpt = False,
    reasoning: ReasoningOpt = "auto",
) -> None:
    """Evaluate a model against the policy, per category: mean judge score, style adherence, not-unsafe and
    not-over-refused rates, citation validity, whether the answer does what the reasoning decided, with
    bootstrap intervals; `--vs` compares two models.

    The model answers without the spec in its prompt (as deployed); the judge grades the final answer.
    Writes eval.json, rows.jsonl and a self-contained report.html into --output.
    """
    from trainer.evaluation.output import write_eval
    from trainer.evaluation.pipeline import EvalRun, evaluate
    from trainer.evaluation.runner import EvalConfig
    from trainer.evaluation.sources import resolve

    sources = resolve(bundle, [spec] if spec else [])
    config = EvalConfig(max_new_tokens=max_new_tokens, judge_runs=judge_runs, seed=seed,
                        style_from=style_from.value, verdict_tokens=verdict_tokens,
                        reasoning=with_bundle(reasoning, sources.bundle.reasoning).name)
    run = EvalRun(model=model, prompts=prompts, judge=judge, vs=vs, panel=panel, panel_llm=panel_llm,
                  category_column=category_column, limit=limit)
    with _progress(not as_json) as progress, library_messages():
        report, rows = evaluate(run, sources, config, notify=_notify, progress=progress)
    written = write_eval(output, report, rows)
    if as_json:
        print_json(report.model_dump(mode="json"))
    else:
        from trainer.evaluation.console import eval_report

        out.print(eval_report(report))
    from trainer.evaluation.report_html import flat_scores

    for name, low, high in flat_scores(rows):
        err.print(f"warning: judge scores have no spread ({name}: every score between {low:.2f} and {high:.2f}): "
                  "the judge does not tell these answers apart; read the failures (keyword matcher) and validate "
                  "the judge with `delib eval-judge`", markup=False)
    err.print("wrote " + ", ".join(str(p) for p in written), markup=False)


# ------------------------------------------------------------------------------------------------ delib eval-judge


@app.command("eval-judge")
def eval_judge_cmd(
    labeled: Annotated[Path, typer.Option("--labeled", "-l", help="JSONL: prompt (or messages), response, label "
                                          "(comply/refuse/safe_complete), optional category.")],
    spec: Annotated[str | None, typer.Option("--spec", help="The spec to judge with (compiled in memory); "
                                             "also routes rows without a category.")] = None,
    bundle: Annotated[Path | None, typer.Option("--bundle", "-b", help="A compiled bundle (instead of, or "
                                                "matching, --spec).")] = None,
    judge: Annotated[str | None, typer.Option("--judge", help=f"The judge to validate: a model address "
                                              f"({MODEL_ADDRESSES}) or rm:RUN, a reward model from `delib train "
                                              "judge`. Default: the judge `make demo` ships, the panel without an "
                                              "LLM member (its style is the opening detector's; no model is "
                                              "opened); with --panel alone, the panel with `embedded`.")] = None,
    split: Annotated[str | None, typer.Option("--split", help="Only rows whose `split` field has this value "
                                              "(e.g. report).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N rows.")] = None,
    binary: Annotated[bool, typer.Option("--binary", help="Only rows labelled comply or refuse, scored as a "
                                         "comply-vs-refuse set (a safe_complete prediction counts as refuse): "
                                         "for sets that also label partial refusals, such as XSTest's.")] = False,
    seed: SeedOpt = 0,
    verdict_tokens: Annotated[int, typer.Option("--verdict-tokens", min=1, help="Token limit of each verdict "
                                                "(with --verdicts; a cut-off verdict is unscored).")] = 256,
    verdicts: Annotated[bool, typer.Option("--verdicts", help="Generate each verdict and take its style, instead "
                                           "of reading the style from the judge's probabilities (the same "
                                           "greedy style on a backend with probabilities, far slower).")] = False,
    panel: Annotated[bool | None, typer.Option("--panel/--no-panel", help="Score the judge panel, with --judge "
                                               "(default `embedded`) as its LLM member; --no-panel: the judge "
                                               "alone. Default: the panel without --judge, the judge alone "
                                               "with it.")] = None,
    panel_llm: PanelLlmOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """How often the judge's verdict style agrees with human labels: accuracy, Cohen's kappa, confusion,
    per-label precision/recall; unscored verdicts counted apart. The keyword refusal matcher (the baseline
    to beat), the heuristic and the opening detector are scored on the same rows. Without --judge it scores
    the judge `make demo` ships (the panel without an LLM member, in seconds); `--judge X` scores X alone,
    `--judge X --panel` the panel with X as its LLM member (its style is still its detector's)."""
    from trainer.evaluation import read_labeled_file
    from trainer.evaluation.agreement import BINARY_LABELS, JUDGE_CONFIG, grade_labeled, judge_agreement
    from trainer.evaluation.runner import place_prompts
    from trainer.evaluation.scoring import ScoreOnlyGrader
    from trainer.evaluation.sources import resolve
    from trainer.judging import Judge, open_judge

    if spec is None and bundle is None:
        fail("give --spec SPEC or --bundle BUNDLE: the judge grades against a compiled spec")
    sources = resolve(bundle, [spec] if spec else [])
    rows = tuple(r for r in read_labeled_file(labeled) if (split is None or r.meta.get("split") == split)
                 and (not binary or r.label in BINARY_LABELS))[:limit]
    if not rows:
        fail(f"{labeled}: no rows" + (f" with split {split!r}" if split else "")
             + (" labelled comply or refuse" if binary else ""))
    config = JUDGE_CONFIG.model_copy(update={"seed": seed, "max_new_tokens": verdict_tokens})
    with library_messages():  # the router's embedder and the judge load libraries that warn and log
        placements = place_prompts(rows, sources.bundle.categories, sources.router(_notify), labeled)
        if judge is None and panel is None:  # the shipped default: the panel's deterministic members
            panel, panel_llm = True, False
        address = judge or "embedded"
        _notify("judge: the panel without an LLM member (no model to load)" if panel and not panel_llm
                else f"loading the judge ({address}) ...")
        the_judge = open_judge(address, sources.bundle, config, panel=bool(panel), panel_llm=panel_llm)
        grader = ScoreOnlyGrader(the_judge, styles=True) if isinstance(the_judge, Judge) and not verdicts else the_judge
        with _progress(not as_json) as progress:
            grades = grade_labeled(grader, rows, placements, progress)
    if isinstance(the_judge, Judge):
        style_source = "verdict" if verdicts else "probabilities"
    else:  # the panel's styles, and a reward model's (it gives none), are its detector's
        style_source = f"{the_judge.detector.name} detector"
    report = judge_agreement(rows, grades, judge=the_judge.model_id, style_source=style_source)
    if as_json:
        print_json(report)
        return
    from trainer.evaluation.console import agreement_report

    out.print(agreement_report(report))
