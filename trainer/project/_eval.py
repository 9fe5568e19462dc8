"""The eval stage of `delib build`: the trained model (and the base model, side by side) answers without the
spec; the judge grades; eval.json, rows.jsonl and report.html go to the stage's folder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from compiler.bundle import Bundle
from spec_lang import Spec
from trainer.backends import ChatBackend, open_backend
from trainer.project.config import EvalSection


def evaluate(model: str, base: str | None, judge: str, bundle: Bundle, specs: Sequence[Spec], prompts: Path,
             folder: Path, settings: EvalSection, echo: Callable[[str], None]) -> str:
    """Run `delib eval MODEL [--vs BASE]` on `prompts`; returns a one-line summary of the overall metrics."""
    from trainer.evaluation import read_prompt_file
    from trainer.evaluation.output import write_eval
    from trainer.evaluation.runner import EvalConfig, place_prompts, run_eval
    from trainer.evaluation.sources import Sources
    from trainer.judging import is_reward_model, open_judge

    config = EvalConfig(max_new_tokens=settings.max_new_tokens, judge_runs=settings.judge_runs, seed=settings.seed,
                        verdict_tokens=settings.verdict_tokens, reasoning=bundle.reasoning.name)
    rows = read_prompt_file(prompts)[: settings.limit]
    placements = place_prompts(rows, bundle.categories, Sources(bundle=bundle, specs=tuple(specs)).router(echo))
    opened: dict[str, ChatBackend] = {}
    try:
        llm = (not settings.panel or settings.panel_llm) and not is_reward_model(judge)
        for spec in (model, base, judge if llm else None):
            if spec is not None and spec not in opened:
                opened[spec] = open_backend(spec)
        models = [opened[model], *([opened[base]] if base is not None else [])]
        grader = open_judge(judge, bundle, config.judge_config(), panel=settings.panel,
                            panel_llm=settings.panel_llm, backend=opened.get(judge))
        report, results = run_eval(models, grader, bundle, rows, placements, config, judge_id=grader.model_id,
                                   prompts_path=str(prompts))
    finally:
        for backend in opened.values():
            backend.close()
    write_eval(folder, report, results)
    parts = []
    for result in report.models:
        overall = result.groups.get("overall", {})
        score = overall.get("mean_score")
        value = score.get("value") if isinstance(score, dict) else score
        parts.append(f"{result.model}: mean score {value:.2f}" if isinstance(value, int | float) else result.model)
    return f"{len(rows)} prompts; " + "; ".join(parts) + f"; report {folder / 'report.html'}"
