"""`delib eval-judge`: how often the judge's verdict `style` agrees with the style a person gave a response.

    report = judge_agreement(rows, grades, judge="embedded:...")
    report.as_json()   # {"n", "accuracy", "kappa", "confusion", "per_label", "unscored", "baseline", ...}

A verdict without a style (its reply could not be read) is *unscored*: counted in `unscored`, left out of
accuracy, kappa and the confusion matrix, never counted as wrong. The keyword refusal matcher (`refuse`
when a refusal keyword occurs, else `comply`) and the heuristic detector are scored on the same rows as
baselines: a judge worth trusting as a reward should beat them.
"""

from __future__ import annotations

from collections.abc import Sequence

from spec_lang.model import RESPONSES, Response
from trainer.evaluation._batches import Grader, Progress, grade_all
from trainer.evaluation._stats import cohen_kappa, prf
from trainer.evaluation.inputs import LabeledResponse
from trainer.evaluation.runner import Placement
from trainer.judging import Grade, JudgeConfig, JudgeRequest
from trainer.judging.refusal import heuristic_style, keyword_refusal

JUDGE_CONFIG = JudgeConfig(runs=1, show_reasoning=False, use_choice_probs=True, seed=0)
"""How `delib eval-judge` grades: one greedy run, the answer-only rubric (labelled responses are answers)."""


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def agreement(labels: Sequence[Response], predicted: Sequence[Response | None]) -> dict[str, object]:
    """Accuracy, Cohen's kappa, the confusion matrix (label -> predicted -> count), per-label precision and
    recall, and refusal-vs-rest precision/recall, over the rows with a prediction; `unscored` counts the rest."""
    if len(labels) != len(predicted):
        raise ValueError(f"agreement needs one prediction per label: {len(labels)} labels, "
                         f"{len(predicted)} predictions")
    pairs = [(t, p) for t, p in zip(labels, predicted, strict=True) if p is not None]
    confusion = {t: {p: 0 for p in RESPONSES} for t in RESPONSES}
    for t, p in pairs:
        confusion[t][p] += 1
    per_label = {}
    for style in RESPONSES:
        stats = prf([t == style for t, _ in pairs], [p == style for _, p in pairs])
        per_label[style] = stats.as_json()
    refusal = prf([t == "refuse" for t, _ in pairs], [p == "refuse" for _, p in pairs])
    correct = sum(t == p for t, p in pairs)
    return {
        "n": len(labels), "scored": len(pairs), "unscored": len(labels) - len(pairs),
        "accuracy": _r(correct / len(pairs)) if pairs else None,
        "kappa": _r(cohen_kappa(confusion)),
        "confusion": confusion, "per_label": per_label, "refusal": refusal.as_json(),
    }


def grade_labeled(grader: Grader, rows: Sequence[LabeledResponse], placements: Sequence[Placement],
                  progress: Progress | None = None) -> list[Grade]:
    """The judge's grade of every labelled response, under its placed category."""
    requests = [JudgeRequest(category=p.category, prompt=r.messages, completion=r.response)
                for r, p in zip(rows, placements, strict=True)]
    return grade_all(grader, requests, progress=progress)


def keyword_styles(rows: Sequence[LabeledResponse]) -> list[Response]:
    """The keyword baseline's style of each response: refuse when a keyword occurs, else comply."""
    return ["refuse" if keyword_refusal(r.response) else "comply" for r in rows]


def judge_agreement(rows: Sequence[LabeledResponse], grades: Sequence[Grade], *, judge: str,
                    style_source: str = "verdict") -> dict[str, object]:
    """The judge's agreement with the labels, with the keyword baseline and the heuristic on the same rows.
    `style_source` records where the judge's styles came from (`verdict`: generated verdicts;
    `probabilities`: read from choice probabilities, `scoring.ScoreOnlyGrader`)."""
    labels = [r.label for r in rows]
    report: dict[str, object] = {"judge": judge, "style_source": style_source,
                                 **agreement(labels, [g.style for g in grades])}
    report["labels"] = {style: sum(label == style for label in labels) for style in RESPONSES}
    report["unscored_reasons"] = sorted({g.unscored_reason or "the verdict has no style" for g in grades
                                         if g.style is None})[:5]
    report["baseline"] = {"method": "keyword", **agreement(labels, keyword_styles(rows))}
    report["heuristic"] = {"method": "heuristic", **agreement(labels, [heuristic_style(r.response) for r in rows])}
    return report
