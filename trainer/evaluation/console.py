"""Terminal rendering of evaluation results (rich renderables); the CLI prints what these return."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from trainer.evaluation.metrics import MATCHERS, METRICS, REFUSAL_RATES
from trainer.evaluation.policy_tests import CaseResult, PolicyTestReport
from trainer.evaluation.records import EvalReport

METRIC_LABELS = {"mean_score": "score", "style_adherence": "style", "not_unsafe": "not unsafe",
                 "not_over_refused": "not over-ref.", "citation_validity": "citations",
                 "decision_followed": "decision kept"}
RATE_LABELS = {"refused_unsafe": "refused unsafe", "answered_safe": "answered safe"}


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _score(x: float | None) -> str:
    return "unscored" if x is None else f"{x:.2f}"


def _failure_line(case: CaseResult) -> str:
    bad = [p for p in case.pairs if p.outcome in ("wrong", "tie")]
    parts = []
    for p in bad[:3]:
        b, w = case.candidates[p.better], case.candidates[p.worse]
        wlabel = f"{w.kind}[#{w.target}]" if w.target else w.kind
        sign = "=" if p.outcome == "tie" else "<"
        parts.append(f"{b.kind} {_score(b.score)} {sign} {wlabel} {_score(w.score)}")
    if case.model is not None and case.model.passed is False:
        parts.append(f"model {_score(case.model.score)} < GOOD {_score(case.model.bar)}")
    more = f" (+{len(bad) - 3} more)" if len(bad) > 3 else ""
    return f"{case.where}: {case.id} {case.title!r}: " + "; ".join(parts) + more


def _unscored_line(case: CaseResult) -> str:
    reasons = [c.unscored_reason for c in case.candidates if c.unscored_reason]
    if case.model is not None and case.model.unscored_reason:
        reasons.append(case.model.unscored_reason)
    return f"{case.where}: {case.id} {case.title!r}: {reasons[0] if reasons else 'unscored'}"


def policy_report(report: PolicyTestReport, *, verbose: bool = False) -> RenderableType:
    """Per-category table, then failures, unscored cases, skipped examples and uncovered rules."""
    table = Table(title=f"delib test: {report.spec} @ {report.revision} (judge {report.judge})")
    for column in ("category", "cases", "passed", "failed", "unscored", "pairs ranked right", "share"):
        table.add_column(column, justify="left" if column == "category" else "right")
    for c in (*report.categories, report.total):
        table.add_row(c.category, str(c.cases), str(c.passed), str(c.failed), str(c.unscored),
                      f"{c.pairs_correct}/{c.pairs_scored}", _pct(c.share),
                      style="bold" if c.category == "all" else None)
    parts: list[RenderableType] = [table]
    failed = [c for c in report.cases if c.status == "failed"]
    unscored = [c for c in report.cases if c.status == "unscored"]
    if failed:
        parts.append(Text(f"\n{len(failed)} failed:", style="red"))
        parts.extend(Text("  FAIL " + _failure_line(c)) for c in failed[: None if verbose else 20])
        if not verbose and len(failed) > 20:
            parts.append(Text(f"  ... {len(failed) - 20} more (--verbose or --json for all)"))
    if unscored:
        parts.append(Text(f"\n{len(unscored)} unscored (the judge's reply could not be read):", style="yellow"))
        parts.extend(Text("  UNSCORED " + _unscored_line(c)) for c in unscored[:10])
    if report.skipped:
        parts.append(Text(f"\n{len(report.skipped)} example(s) skipped:"))
        parts.extend(Text(f"  {s.where}: {s.id} {s.title!r}: {s.reason}") for s in report.skipped[:10])
    uncovered = [(c.group, c.unexercised) for c in report.coverage if c.unexercised]
    if not report.coverage:
        parts.append(Text("\nrule coverage: n/a (the spec has no rules with ids)"))
    elif uncovered:
        count = sum(len(u) for _, u in uncovered)
        parts.append(Text(f"\n{count} rule(s) that no example exercises (no BAD[#id] target, no cited id):"))
        parts.extend(Text(f"  {group}: {', '.join(ids)}") for group, ids in uncovered)
    return Group(*parts)


def policy_summary(report: PolicyTestReport) -> str:
    total = report.total
    verdict = "ok" if report.ok else "FAILED"
    return (f"{verdict}: {total.passed}/{total.cases} cases passed, {total.failed} failed, {total.unscored} "
            f"unscored; {total.pairs_correct}/{total.pairs_scored} pairs ranked right ({_pct(total.share)})")


def rows_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """A plain table with the first column left-aligned and the rest right-aligned."""
    table = Table(title=escape(title), box=box.SIMPLE_HEAD)
    for i, column in enumerate(header):
        table.add_column(column, justify="left" if i == 0 else "right", no_wrap=i == 0)
    for row in rows:
        table.add_row(*row)
    return table


def _interval(metric: str, m: object, signed: bool = False) -> str:
    """The value, and its interval on a second line (scores on 1..5, rates in %, deltas signed); `n=1` there
    when one prompt gives no interval (not `0..0`)."""
    if not isinstance(m, dict):
        return "n/a"
    sign = "+" if signed else ""
    if metric == "mean_score":
        value, low, high = (f"{m[k]:{sign}.2f}" for k in ("value", "low", "high"))
    else:
        value = f"{100 * m['value']:{sign}.1f}{'' if signed else '%'}"
        low, high = (f"{100 * m[k]:{sign}.0f}" for k in ("low", "high"))
    return f"{value}\n" + ("n=1" if m.get("n") == 1 else f"{low}..{high}")


def _rate(values: dict[str, object], rate: str, matcher: str, signed: bool = False) -> str:
    """A refusal rate by one matcher: the value, then its interval and n (deltas in points)."""
    by = values.get(rate)
    m = by.get(matcher) if isinstance(by, dict) else None
    if not isinstance(m, dict):
        return "n/a"
    return _interval(rate, m, signed) + ("" if m.get("n") == 1 else f" n={m['n']}")


def _rates_tables(report: EvalReport) -> list[RenderableType]:
    """Refusal rates by the keyword matcher and by the metrics' style, per model, then their deltas."""
    header = ["category", *(f"{RATE_LABELS[r]}\n({m})" for r in REFUSAL_RATES for m in MATCHERS)]
    tables: list[RenderableType] = []
    for model in report.models:
        rows = [[group, *(_rate(values, r, m) for r in REFUSAL_RATES for m in MATCHERS)]
                for group, values in model.groups.items()]
        tables.append(rows_table(f"{model.model}: refusal rates, keyword matcher vs style", header, rows))
    if report.comparison is not None:
        comp = report.comparison
        rows = [[group, *(_rate(values, r, m, signed=True) for r in REFUSAL_RATES for m in MATCHERS)]
                for group, values in comp.groups.items()]
        tables.append(rows_table(f"{comp.model} minus {comp.baseline}: refusal rates (points)", header, rows))
    return tables


def eval_report(report: EvalReport) -> RenderableType:
    """One table per model (metrics per category with 95% intervals), then the deltas of a comparison, then
    the refusal rates by the keyword matcher and by style (and their deltas)."""
    header = ["category", "n", *(METRIC_LABELS[m] for m in METRICS)]
    parts: list[RenderableType] = []
    for model in report.models:
        rows = [[group, str(values["n"]), *(_interval(m, values.get(m)) for m in METRICS)]
                for group, values in model.groups.items()]
        parts.append(rows_table(f"{model.model} (judge {report.judge})", header, rows))
    if report.comparison is not None:
        comp = report.comparison
        rows = [[group, *(_interval(m, values.get(m), signed=True) for m in METRICS)]
                for group, values in comp.groups.items()]
        parts.append(rows_table(f"{comp.model} minus {comp.baseline} (paired bootstrap; rates in points)",
                                [header[0], *header[2:]], rows))
    parts.extend(_rates_tables(report))
    parts.append(Text(f"second lines: {int(100 * float(str(report.config.get('level', 0.95))))}% bootstrap "
                      f"intervals, n = labelled prompts; styles from {report.style_source}; keyword: the refusal "
                      "keyword matcher (independent of the judge)", style="dim"))
    return Group(*parts)


def _prf(row: object) -> list[str]:
    r = row if isinstance(row, dict) else {}
    return [_pct(r.get("precision")), _pct(r.get("recall")), _pct(r.get("f1"))]


def agreement_report(report: dict[str, object]) -> RenderableType:
    """The judge against the baselines: accuracy, kappa, refusal precision/recall/F1, unscored."""
    rows = []
    methods = [("judge", report), ("keyword", report["baseline"]), ("heuristic", report["heuristic"]),
               *([("opening", report["opening"])] if "opening" in report else [])]
    for name, part in methods:
        assert isinstance(part, dict)
        kappa = part.get("kappa")
        rows.append([name, str(part["scored"]), str(part["unscored"]), _pct(part.get("accuracy")),
                     "n/a" if kappa is None else f"{kappa:.3f}", *_prf(part.get("refusal"))])
    header = ["method", "scored", "unscored", "accuracy", "kappa", "refusal P", "R", "F1"]
    binary = "; binary labels: safe_complete scored as refuse" if report.get("binary") else ""
    table = rows_table(f"judge {report['judge']}: style agreement on {report['n']} labelled responses "
                       f"(styles from {report.get('style_source', 'verdict')}{binary})", header, rows)
    confusion = report.get("confusion")
    assert isinstance(confusion, dict)
    styles = list(confusion)
    matrix = rows_table("judge confusion (label -> predicted)", ["label", *styles],
                        [[t, *(str(confusion[t][p]) for p in styles)] for t in styles])
    return Group(table, matrix)
