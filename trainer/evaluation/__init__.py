"""Evaluation: does the model (and the judge) follow the spec?

    report, rows = run_eval([model, base], judge, bundle, prompts, placements, EvalConfig())   # delib eval
    write_eval("reports/", report, rows)                       # eval.json, rows.jsonl, report.html
    keyword_refusal_rates("reports/eval.json")                 # {model: RefusalRates} by the keyword matcher
    cases, skipped = build_cases(spec); results = run_cases(cases, judge)                      # delib test
    judge_agreement(labelled_rows, grades, judge=judge.model_id)                               # delib eval-judge

Modules: `inputs` (prompt and labelled files), `metrics` and `runner` (`delib eval`), `records`,
`report_html` and `output` (its results; `read_eval` and `keyword_refusal_rates` read `eval.json` back),
`policy_cases` and `policy_tests` (`delib test`), `agreement` (`delib eval-judge`), `refusal` (style
detectors; `classifier` adds one over sentence embeddings and is imported on its own), `scoring` (scores
without verdicts), `routing` and `sources` (categories, specs, bundles), `console` (terminal tables).
Importing this package loads no model, torch or transformers.

Errors: `EvalError` (an evaluation cannot run as asked) and its subclass `InputFileError` (a file
cannot be read; names path:line). An unreadable judge verdict is never an error: it is *unscored*.
"""

from trainer.evaluation._batches import Progress
from trainer.evaluation.agreement import agreement, judge_agreement
from trainer.evaluation.errors import EvalError, InputFileError
from trainer.evaluation.inputs import (
    EvalPrompt,
    LabeledResponse,
    expected_responses,
    read_labeled_file,
    read_prompt_file,
)
from trainer.evaluation.metrics import METRICS, RowFacts, by_category, paired_deltas, row_values
from trainer.evaluation.output import (
    GroupRates,
    RefusalRates,
    keyword_rates_by,
    keyword_refusal_rates,
    read_eval,
    read_rows,
    refusal_rates,
    write_eval,
)
from trainer.evaluation.policy_cases import (
    Candidate,
    PolicyCase,
    RuleCoverage,
    SkippedExample,
    build_cases,
    coverage,
)
from trainer.evaluation.policy_tests import (
    CaseResult,
    CategorySummary,
    PolicyTestConfig,
    PolicyTestReport,
    rank_pairs,
    run_cases,
    summarise,
)
from trainer.evaluation.records import EvalReport, EvalRow
from trainer.evaluation.report_html import render_report
from trainer.evaluation.routing import retrieval_router
from trainer.evaluation.runner import EvalConfig, Placement, place_prompts, run_eval
from trainer.evaluation.scoring import ScoreOnlyGrader
from trainer.judging.refusal import (
    KEYWORDS,
    HeuristicDetector,
    KeywordDetector,
    OpeningDetector,
    StyleDetector,
    heuristic_style,
    keyword_refusal,
    opening_style,
)

__all__ = [
    "KEYWORDS",
    "METRICS",
    "Candidate",
    "CaseResult",
    "CategorySummary",
    "EvalConfig",
    "EvalError",
    "EvalPrompt",
    "EvalReport",
    "EvalRow",
    "GroupRates",
    "HeuristicDetector",
    "InputFileError",
    "KeywordDetector",
    "LabeledResponse",
    "OpeningDetector",
    "Placement",
    "PolicyCase",
    "PolicyTestConfig",
    "PolicyTestReport",
    "Progress",
    "RefusalRates",
    "RowFacts",
    "RuleCoverage",
    "ScoreOnlyGrader",
    "SkippedExample",
    "StyleDetector",
    "agreement",
    "build_cases",
    "by_category",
    "coverage",
    "expected_responses",
    "heuristic_style",
    "judge_agreement",
    "keyword_rates_by",
    "keyword_refusal",
    "keyword_refusal_rates",
    "opening_style",
    "paired_deltas",
    "place_prompts",
    "rank_pairs",
    "read_eval",
    "read_labeled_file",
    "read_prompt_file",
    "read_rows",
    "refusal_rates",
    "render_report",
    "retrieval_router",
    "row_values",
    "run_cases",
    "run_eval",
    "summarise",
    "write_eval",
]
