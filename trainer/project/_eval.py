"""The eval stage of `delib build`: the trained model (and the base model, side by side) answers without the
spec; the judge grades; eval.json, rows.jsonl and report.html go to the stage's folder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from compiler.bundle import Bundle
from spec_lang import Spec
from trainer.project.config import EvalSection


def evaluate(model: str, base: str | None, judge: str, bundle: Bundle, specs: Sequence[Spec], prompts: Path,
             folder: Path, settings: EvalSection, echo: Callable[[str], None]) -> str:
    """Run `delib eval MODEL [--vs BASE]` on `prompts`; returns a one-line summary of the overall metrics."""
    from trainer.evaluation.output import REPORT_HTML, write_eval
    from trainer.evaluation.pipeline import EvalRun
    from trainer.evaluation.pipeline import evaluate as run_evaluation
    from trainer.evaluation.runner import EvalConfig
    from trainer.evaluation.sources import Sources

    config = EvalConfig(max_new_tokens=settings.max_new_tokens, judge_runs=settings.judge_runs, seed=settings.seed,
                        verdict_tokens=settings.verdict_tokens, reasoning=bundle.reasoning.name)
    run = EvalRun(model=model, prompts=prompts, judge=judge, vs=base, panel=settings.panel,
                  panel_llm=settings.panel_llm, limit=settings.limit)
    report, results = run_evaluation(run, Sources(bundle=bundle, specs=tuple(specs)), config, notify=echo)
    write_eval(folder, report, results)
    parts = []
    for result in report.models:
        overall = result.groups.get("overall", {})
        score = overall.get("mean_score")
        value = score.get("value") if isinstance(score, dict) else score
        parts.append(f"{result.model}: mean score {value:.2f}" if isinstance(value, int | float) else result.model)
    return f"{len(results[0])} prompts; " + "; ".join(parts) + f"; report {folder / REPORT_HTML}"
