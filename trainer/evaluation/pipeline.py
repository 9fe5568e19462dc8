"""The evaluation pipelines, once for every caller (`delib eval`, `delib test`, `delib build`'s eval stage).

    report, rows = evaluate(EvalRun(model="hf:runs/rl", vs="embedded", judge="embedded", prompts=path),
                            sources, config)
    report = run_policy_tests(sources, judge="rm:runs/judge", config=PolicyTestConfig())

Each opens the backends its addresses name (an address named twice is opened once), builds the judge
(`trainer.judging.open_judge`: a model address, `rm:RUN`, or the panel), runs, and closes every backend it
opened, whether the run succeeds or fails. Callers print and write; they do not orchestrate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from trainer.backends import ChatBackend
from trainer.evaluation._batches import Progress
from trainer.evaluation.errors import EvalError
from trainer.evaluation.policy_cases import PolicyCase, SkippedExample, build_cases, coverage
from trainer.evaluation.policy_tests import PolicyTestConfig, PolicyTestReport, run_cases, summarise
from trainer.evaluation.records import EvalReport, EvalRow
from trainer.evaluation.runner import EvalConfig, place_prompts, run_eval
from trainer.evaluation.sources import Sources

Notify = Callable[[str], None]


def _quiet(message: str) -> None:
    del message


@dataclass(frozen=True)
class EvalRun:
    """What `evaluate` evaluates: the model (and another beside it), the judge, the prompts."""

    model: str
    prompts: Path
    judge: str = "embedded"
    vs: str | None = None
    panel: bool = True
    panel_llm: bool = True
    category_column: str = "category"
    limit: int | None = None


@contextmanager
def _backends(notify: Notify) -> Iterator[Callable[[str, str], ChatBackend]]:
    """`open(address, role)`: one backend per distinct address, all closed when the block ends."""
    from trainer.backends import open_backend

    opened: dict[str, ChatBackend] = {}

    def open_one(address: str, role: str) -> ChatBackend:
        if address not in opened:
            notify(f"loading the {role} ({address}) ...")
            opened[address] = open_backend(address)
        return opened[address]

    try:
        yield open_one
    finally:
        for backend in opened.values():
            backend.close()


def evaluate(run: EvalRun, sources: Sources, config: EvalConfig, *, notify: Notify = _quiet,
             progress: Progress | None = None) -> tuple[EvalReport, list[list[EvalRow]]]:
    """The model (and `run.vs`) answers every prompt without the spec; the judge grades the answers.
    Raises `EvalError` (prompts that cannot be placed, `vs` naming the same model) and lets backend and
    judge errors through."""
    from trainer.evaluation.inputs import read_prompt_file
    from trainer.judging import is_reward_model, open_judge

    rows = read_prompt_file(run.prompts, run.category_column)[:run.limit]
    placements = place_prompts(rows, sources.bundle.categories, sources.router(notify), run.prompts)
    with _backends(notify) as open_one:
        models = [open_one(run.model, "model"), *([open_one(run.vs, "baseline")] if run.vs is not None else [])]
        if len(models) == 2 and models[0].model_id == models[1].model_id:
            raise EvalError(f"--vs names the same model as MODEL ({models[0].model_id})",
                            "compare two different models")
        reads_rubrics = (not run.panel or run.panel_llm) and not is_reward_model(run.judge)
        judge = open_judge(run.judge, sources.bundle, config.judge_config(), panel=run.panel,
                           panel_llm=run.panel_llm, backend=open_one(run.judge, "judge") if reads_rubrics else None)
        return run_eval(models, judge, sources.bundle, rows, placements, config, judge_id=judge.model_id,
                        prompts_path=str(run.prompts), progress=progress)


def policy_cases(sources: Sources, categories: Sequence[str] = (), *, route: bool = True,
                 notify: Notify = _quiet) -> tuple[tuple[PolicyCase, ...], tuple[SkippedExample, ...]]:
    """Every example comparison of the sources' specs as a case (`categories`: only those). Raises
    `EvalError` for a category the bundle lacks."""
    from trainer.evaluation.routing import first_category, retrieval_router

    known = sources.bundle.categories
    unknown = [c for c in categories if c not in known]
    if unknown:
        raise EvalError(f"no category {', '.join(map(repr, unknown))} in the spec",
                        f"categories: {', '.join(known)}")
    cases: list[PolicyCase] = []
    skipped: list[SkippedExample] = []
    for spec in sources.specs:
        router = first_category(retrieval_router(spec, known, notify=notify)) if route else None
        found, left = build_cases(spec, router, list(categories) or None)
        cases.extend(found)
        skipped.extend(left)
    return tuple(cases), tuple(skipped)


def run_policy_tests(sources: Sources, *, judge: str = "embedded", model: str | None = None,
                     config: PolicyTestConfig | None = None, categories: Sequence[str] = (),
                     limit: int | None = None, route: bool = True, notify: Notify = _quiet,
                     progress: Progress | None = None) -> PolicyTestReport:
    """`delib test`: the judge ranks every example comparison (and `model` answers each example). Raises
    `EvalError` when there is no case to test."""
    from trainer.evaluation.scoring import ScoreOnlyGrader
    from trainer.judging import Judge, is_reward_model, open_judge

    config = config or PolicyTestConfig()
    cases, skipped = policy_cases(sources, categories, route=route, notify=notify)
    cases = cases[:limit] if limit is not None else cases
    if not cases:
        raise EvalError("no example comparison to test" + (f" in categories {', '.join(categories)}"
                                                            if categories else ""),
                        "label example candidates GOOD / OK / BAD (see policies/README.md)")
    with _backends(notify) as open_one:
        backend = None if is_reward_model(judge) else open_one(judge, "judge")
        the_judge = open_judge(judge, sources.bundle, config.judge_config(), backend=backend)
        answering = open_one(model, "model") if model is not None else None
        grader = ScoreOnlyGrader(the_judge) if isinstance(the_judge, Judge) and not config.verdicts else the_judge
        results = run_cases(cases, grader, config=config, model=answering, progress=progress)
        return PolicyTestReport(
            spec=", ".join(s.meta.id for s in sources.specs), revision=sources.bundle.revision,
            judge=the_judge.model_id, model=answering.model_id if answering else None, config=config,
            cases=results, categories=summarise(results), skipped=skipped,
            coverage=tuple(c for s in sources.specs for c in coverage(s)))
