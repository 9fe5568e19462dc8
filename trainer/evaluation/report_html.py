"""`report.html`: one self-contained page (inline CSS and SVG, no script, no external resource).

Overall tiles per model (with the delta when two are compared), then the failures (`failure`: every
unsafe prompt answered and every safe prompt refused, by the keyword matcher or by the style, marked which,
with the refusal rates by both), per-category bars of the mean score and of the rates with their
intervals, a forest plot of the paired deltas, the score distributions, a table of every metric per
category, and the worst answers with the judge's rationale. Below the failures, a grid of every answer,
filterable by prompt label x decision with CSS alone (`_answer_grid`). All text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

from trainer.evaluation._answer_grid import answer_grid, failure, grid_css
from trainer.evaluation._report_css import CSS
from trainer.evaluation._svg import Bar, Series, bar_chart, forest_plot, histogram
from trainer.evaluation.metrics import MATCHERS, METRICS, OVERALL, REFUSAL_RATES, Matcher
from trainer.evaluation.records import EvalReport, EvalRow

COLORS = ("#0969da", "#bf8700")
TITLES = {"mean_score": "Mean judge score", "style_adherence": "Style adherence", "not_unsafe": "Not unsafe",
          "not_over_refused": "Not over-refused", "citation_validity": "Citation validity",
          "decision_followed": "Decision followed"}
HINTS = {"mean_score": "1 (violation) .. 5 (exemplary)", "style_adherence": "chosen response = expected response",
         "not_unsafe": "prompts labelled unsafe: refused or safe-completed",
         "not_over_refused": "prompts labelled safe: not refused",
         "citation_validity": "reasoning cites only ids of the category",
         "decision_followed": "the answer does what the reasoning's decision line says"}
BINS = ("1-1.5", "1.5-2.5", "2.5-3.5", "3.5-4.5", "4.5-5")
TEXT_CHARS = 420
FAILURE_CHARS = 280
FAILURES = {"refused_unsafe": "unsafe prompt answered", "answered_safe": "safe prompt refused"}
"""What a failure of each refusal rate is called."""
FAILURE_COUNTS = {"refused_unsafe": "unsafe prompts answered", "answered_safe": "safe prompts refused"}
FAILURE_CSS = """
.rates td:first-child, .failures td { overflow-wrap: anywhere; }
.failures td.text { min-width: 160px; }
"""
"""The failures section's additions to `CSS`: long model names and categories wrap instead of widening the page."""


def short_name(model: str, keep: int = 2) -> str:
    """A model's label in the page: backend specs that name a path keep their scheme and the last `keep` path
    parts (`hf:…/rl-d5b35fb8/final`), so the part that tells two checkpoints apart is what stays visible. The
    full names are listed in the header."""
    scheme, sep, rest = model.partition(":")
    if not sep or "/" not in rest or "://" in rest:
        return model
    parts = [p for p in rest.split("/") if p]
    return model if len(parts) <= keep else f"{scheme}:…/{'/'.join(parts[-keep:])}"


def _metric(groups: Mapping[str, Mapping[str, object]], group: str, metric: str) -> dict[str, float] | None:
    value = groups.get(group, {}).get(metric)
    return value if isinstance(value, dict) else None


def _fmt(metric: str, v: float, signed: bool = False) -> str:
    if metric == "mean_score":
        return f"{v:+.2f}" if signed else f"{v:.2f}"
    return f"{100 * v:+.1f} pt" if signed else f"{100 * v:.1f}%"


def _interval(metric: str, m: Mapping[str, float], signed: bool = False, brackets: bool = False) -> str:
    """`low–high · n=N`, or `n=1, no interval` where one prompt cannot give a spread (not `0.0%–0.0%`)."""
    if m["n"] == 1:
        return "n=1, no interval"
    low, high = _fmt(metric, m["low"], signed), _fmt(metric, m["high"], signed)
    return (f"[{low}, {high}]" if brackets else f"{low}–{high}") + f" · n={m['n']}"


SPREAD = 0.5
"""Judge scores that all lie within this much of each other have no spread worth ranking by."""


def flat_scores(rows: Sequence[Sequence[EvalRow]]) -> list[tuple[str, float, float]]:
    """`(model, lowest, highest)` of every model whose judge scores barely differ (less than `SPREAD`)."""
    flat = []
    for model_rows in rows:
        scores = [r.grade.score for r in model_rows if r.grade.score is not None]
        if len(scores) > 1 and max(scores) - min(scores) < SPREAD:
            flat.append((model_rows[0].model, min(scores), max(scores)))
    return flat


def spread_warning(rows: Sequence[Sequence[EvalRow]]) -> str:
    """A warning when a model's judge scores barely differ (the lowest-scored answers then say little), or ""."""
    notes = [f"{escape(short_name(model))}: every score between {low:.2f} and {high:.2f}"
             for model, low, high in flat_scores(rows)]
    if not notes:
        return ""
    return ('<p class="warning">Judge scores have no spread (' + "; ".join(notes) + "): the judge does not tell "
            "these answers apart, so the scores and the lowest-scored answers say little. Read the failures, which "
            "the keyword matcher finds independently of the judge, and validate the judge with "
            "<code>delib eval-judge</code>.</p>")


def _answer(row: EvalRow, chars: int) -> str:
    """The answer, clipped, marked when the model was cut off at the token limit."""
    cut = ' <span class="pill cut">cut off at the token limit</span>' if row.finish_reason == "length" else ""
    return _clip(row.answer or "(empty)", chars) + cut


def _bar(m: dict[str, float] | None) -> Bar | None:
    return None if m is None else Bar(m["value"], m["low"], m["high"])


def _tile(report: EvalReport, metric: str) -> str:
    lines = [f"<h4>{TITLES[metric]}</h4>"]
    for i, model in enumerate(report.models):
        m = _metric(model.groups, OVERALL, metric)
        value = "n/a" if m is None else _fmt(metric, m["value"])
        ci = "" if m is None else f"95% CI {_interval(metric, m)}"
        color = COLORS[i % len(COLORS)]
        lines.append(f'<div class="model" style="border-left:3px solid {color};padding-left:6px" '
                     f'title="{escape(model.model)}">{escape(short_name(model.model))}'
                     f'</div><div class="row"><span class="big">{value}</span></div><div class="ci">{ci}</div>')
    if report.comparison is not None:
        d = _metric(report.comparison.groups, OVERALL, metric)
        if d is not None:
            kind = "up" if d["low"] > 0 else "down" if d["high"] < 0 else "flat"
            lines.append(f'<div style="margin-top:6px"><span class="delta {kind}">Δ {_fmt(metric, d["value"], True)}'
                         f'</span> <span class="ci">[{_fmt(metric, d["low"], True)}, {_fmt(metric, d["high"], True)}]'
                         "</span></div>")
    return f'<div class="tile">{"".join(lines)}</div>'


def _categories(report: EvalReport) -> list[str]:
    return [g for g in report.models[0].groups if g != OVERALL]


def _chart(report: EvalReport, metric: str, groups: Sequence[str]) -> str:
    series = [Series(short_name(m.model), COLORS[i % len(COLORS)], [_bar(_metric(m.groups, g, metric)) for g in groups])
              for i, m in enumerate(report.models)]
    lo, hi = (1.0, 5.0) if metric == "mean_score" else (0.0, 1.0)
    fmt = "{:.1f}" if metric == "mean_score" else "{:.0%}"
    return bar_chart(groups, series, lo=lo, hi=hi, fmt=fmt, width=580, title=f"{TITLES[metric]} by category")


def _cell(metric: str, m: dict[str, float] | None) -> str:
    if m is None:
        return '<td class="na">n/a</td>'
    share = (m["value"] - 1) / 4 if metric == "mean_score" else m["value"]
    tone = "hi" if share >= 0.8 else "mid" if share >= 0.5 else "lo"
    return f'<td class="num {tone}">{_fmt(metric, m["value"])}<small>{_interval(metric, m)}</small></td>'


def _table(report: EvalReport) -> str:
    head = "".join(f"<th>{TITLES[m]}</th>" for m in METRICS)
    rows = []
    for model in report.models:
        for group in [*_categories(report), OVERALL]:
            g = model.groups[group]
            cells = "".join(_cell(m, _metric(model.groups, group, m)) for m in METRICS)
            css = ' class="total"' if group == OVERALL else ""
            name = escape(short_name(model.model)) if len(report.models) > 1 else ""
            rows.append(f"<tr{css}><td>{escape(group)}</td><td>{name}</td><td class=\"num\">{g['n']}</td>"
                        f"<td class=\"num\">{g['unscored']}</td>{cells}</tr>")
    return (f'<table><tr><th>category</th><th>{"model" if len(report.models) > 1 else ""}</th><th>n</th>'
            f"<th>unscored</th>{head}</tr>{''.join(rows)}</table>")


def _comparison(report: EvalReport) -> str:
    comp = report.comparison
    if comp is None:
        return ""
    groups = [*_categories(report), OVERALL]
    plots = []
    for metric in ("mean_score", "not_unsafe", "not_over_refused", "style_adherence"):
        deltas = [_bar(_metric(comp.groups, g, metric)) for g in groups]
        widest = max((max(abs(d.low), abs(d.high)) for d in deltas if d is not None), default=0.0)
        steps = (0.5, 1.0, 2.0, 4.0) if metric == "mean_score" else (0.1, 0.2, 0.5, 1.0)
        span = next((x for x in steps if widest <= x * 0.95), steps[-1])
        fmt = "{:+.2f}" if metric == "mean_score" else "{:+.0%}"
        plots.append(f"<div>{forest_plot(groups, deltas, span=span, fmt=fmt, width=580, title=TITLES[metric])}</div>")
    model, baseline = escape(short_name(comp.model)), escape(short_name(comp.baseline))
    return (f"<section><h2>{model} vs {baseline}</h2>"
            f'<div class="charts">{"".join(plots)}</div><p class="note">Difference {model} minus '
            f"{baseline} on the same prompts, with paired-bootstrap 95% intervals (green: the interval "
            "is above zero, red: below, grey: includes zero).</p></section>")


def _bin(score: float) -> int:
    """The index in `BINS` of a score: half-open bins around each whole score, [1.5, 2.5) and so on (Python's
    `round` sends 2.5 down and 3.5 up, so it cannot draw consistent edges)."""
    return min(len(BINS) - 1, max(0, math.floor(score + 0.5) - 1))


def _histogram(report: EvalReport, rows: Sequence[Sequence[EvalRow]]) -> str:
    series = []
    for i, model_rows in enumerate(rows):
        counts = [0] * len(BINS)
        for r in model_rows:
            if r.grade.score is not None:
                counts[_bin(r.grade.score)] += 1
        series.append((short_name(model_rows[0].model) if model_rows else "", COLORS[i % len(COLORS)], counts))
    return histogram(BINS, series, width=580, title="Judge scores (share of scored answers)")


def _styles(rows: Sequence[Sequence[EvalRow]]) -> str:
    body = []
    for model_rows in rows:
        for label in ("safe", "unsafe", None):
            own = [r for r in model_rows if r.label == label]
            if not own:
                continue
            counts = {s: sum(r.refusal.used == s for r in own) for s in ("comply", "refuse", "safe_complete")}
            cells = "".join(f'<td class="num">{100 * counts[s] / len(own):.1f}%<small>{counts[s]}</small></td>'
                            for s in counts)
            body.append(f"<tr><td>{escape(short_name(own[0].model))}</td><td>{label or 'unlabelled'}</td>"
                        f'<td class="num">{len(own)}</td>{cells}</tr>')
    return ("<table><tr><th>model</th><th>prompt label</th><th>n</th><th>comply</th><th>refuse</th>"
            f"<th>safe complete</th></tr>{''.join(body)}</table>")


def _clip(text: str, chars: int = TEXT_CHARS) -> str:
    return escape(text if len(text) <= chars else text[:chars].rstrip() + " …")


def _worst(rows: Sequence[Sequence[EvalRow]], count: int) -> str:
    parts = []
    for model_rows in rows:
        scored = sorted((r for r in model_rows if r.grade.score is not None), key=lambda r: (r.grade.score, r.line))
        picked = scored[:count]
        if not picked:
            continue
        body = []
        for r in picked:
            style = r.refusal.used or "unknown"
            rules = ", ".join(r.grade.violated_rules) or "—"
            body.append(
                f'<tr><td class="num">{r.grade.score:.2f}</td><td>{escape(r.category)}'
                f'<br><span class="pill">{escape(r.label or "unlabelled")}</span></td>'
                f'<td class="text"><code>{escape(r.prompt_id)}</code> {_clip(r.prompt[-1]["content"])}</td>'
                f'<td class="text">{_answer(r, TEXT_CHARS)}</td>'
                f'<td><span class="pill {style}">{escape(style)}</span></td>'
                f'<td class="text">{_clip(r.grade.rationale or "(no rationale)")}<br><small>violated: {escape(rules)}'
                "</small></td></tr>")
        parts.append(f"<h3>{escape(short_name(picked[0].model))}</h3><table class=\"worst\"><tr><th>score</th>"
                     "<th>category</th><th>prompt</th><th>answer</th><th>style</th><th>judge's rationale</th></tr>"
                     f"{''.join(body)}</table>")
    return "".join(parts) or '<p class="note">No scored answers.</p>'


def _by(row: EvalRow, by: Sequence[Matcher]) -> str:
    names = {"keyword": "keyword", "style": f"{row.refusal.source or 'judge'} style"}
    return " ".join(f'<span class="pill">{escape(names[m])}</span>' for m in by)


def _other(row: EvalRow, other: EvalRow | None) -> str:
    if other is None:
        return ""
    found = failure(other)
    if other.finish_reason == "error":
        said = "no answer"
    elif found is None:
        said = "passed"
    else:
        said = "failed too " + _by(other, found[1])
    return f"<td>{escape(short_name(other.model))}: {said}</td>"


def _rate_cells(groups: Mapping[str, Mapping[str, object]], signed: bool = False) -> str:
    cells = []
    for rate in REFUSAL_RATES:
        by = groups.get(OVERALL, {}).get(rate)
        for matcher in MATCHERS:
            m = by.get(matcher) if isinstance(by, dict) else None
            cells.append('<td class="na">n/a</td>' if not isinstance(m, dict) else
                         f'<td class="num">{_fmt(rate, m["value"], signed)}<small>'
                         f'{_interval(rate, m, signed, brackets=True)}</small></td>')
    return "".join(cells)


def _rates(report: EvalReport) -> str:
    """Overall refusal rates by the keyword matcher and by style, per model, and their delta."""
    head = "".join(f"<th>{rate.replace('_', ' ')} ({m})</th>" for rate in REFUSAL_RATES for m in MATCHERS)
    body = [f"<tr><td>{escape(short_name(m.model))}</td>{_rate_cells(m.groups)}</tr>" for m in report.models]
    if report.comparison is not None:
        body.append(f'<tr class="total"><td>Δ (paired)</td>{_rate_cells(report.comparison.groups, True)}</tr>')
    return f'<table class="rates"><tr><th>model</th>{head}</tr>{"".join(body)}</table>'


def _failures(report: EvalReport, rows: Sequence[Sequence[EvalRow]]) -> str:
    """Every failing row of every model, unsafe prompts answered first, in prompt-file order."""
    parts = [_rates(report)]
    for i, model_rows in enumerate(rows):
        others = {r.prompt_id: r for r in rows[1 - i]} if len(rows) == 2 else {}
        found = [(r, f) for r in model_rows if (f := failure(r)) is not None]
        found.sort(key=lambda rf: (REFUSAL_RATES.index(rf[1][0]), rf[0].line))
        if not model_rows:
            continue
        counts = ", ".join(f"{sum(f[0] == rate for _, f in found)} {FAILURE_COUNTS[rate]}" for rate in REFUSAL_RATES)
        title = f"<h3>{escape(short_name(model_rows[0].model))}: {counts}</h3>"
        if not found:
            parts.append(f'{title}<p class="note">No failures by either matcher.</p>')
            continue
        other_head = "<th>other model</th>" if others else ""
        body = "".join(
            f'<tr><td>{FAILURES[f[0]]}</td><td>{_by(r, f[1])}</td><td>{escape(r.category)}</td>'
            f'<td class="text"><code>{escape(r.prompt_id)}</code> {_clip(r.prompt[-1]["content"], FAILURE_CHARS)}</td>'
            f'<td class="text">{_answer(r, FAILURE_CHARS)}</td>'
            f"{_other(r, others.get(r.prompt_id)) if others else ''}</tr>" for r, f in found)
        parts.append(f'{title}<table class="worst failures"><tr><th>failure</th><th>flagged by</th><th>category</th>'
                     f"<th>prompt</th><th>answer</th>{other_head}</tr>{body}</table>")
    return "".join(parts)


def render_report(report: EvalReport, rows: Sequence[Sequence[EvalRow]], *, worst: int = 8) -> str:
    """The whole page."""
    groups = _categories(report)
    names = " vs ".join(escape(short_name(m.model)) for m in report.models)
    full = ", ".join(f"<code>{escape(m.model)}</code>" for m in report.models)
    tiles = "".join(_tile(report, m) for m in ("mean_score", "style_adherence", "not_unsafe", "not_over_refused"))
    charts = "".join(f"<div>{_chart(report, m, groups)}</div>" for m in METRICS[:4])
    routed = (f", {report.routed} routed by retrieval ({report.uncategorised} with weak matches)"
              if report.routed else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>delib eval: {names}</title><style>{CSS}{FAILURE_CSS}{grid_css(len(rows))}</style></head><body>
<header><div class="eyebrow">delib eval · policy evaluation</div><h1>{names}</h1>
<div class="meta">{report.n_prompts} prompts from <code>{escape(report.prompts)}</code>{routed} · bundle
<code>{escape(", ".join(report.specs))} @ {escape(report.bundle_revision)}</code> · judge
<code>{escape(report.judge)}</code> (k={report.judge_runs}, answer only)<br>models {full}</div></header>
<main>
{spread_warning(rows)}<div class="tiles">{tiles}</div>
<section id="failures"><h2>Failures</h2><p class="note">Labelled prompts only. A failure is an unsafe prompt answered
(no refusal or safe completion) or a safe prompt refused, by the keyword matcher (independent of the judge) or by the
style the metrics use ({escape(report.style_source)}); <i>flagged by</i> says which. Rates: overall, with
{int(100 * float(str(report.config.get("level", 0.95))))}% bootstrap intervals; n = labelled prompts answered.</p>
{_failures(report, rows)}</section>
<section id="answers"><h2>Every answer</h2><p class="note">Click a count to show only the answers of that prompt label
and decision (the style the metrics use; <i>none</i>: no answer or no style); <i>all</i> shows every answer. Failures
(red) come first: unsafe prompts answered, then safe prompts refused, by either matcher.</p>
{answer_grid(rows, [short_name(r[0].model) if r else "" for r in rows])}</section>
<section><h2>By category</h2><div class="charts">{charts}</div>
<p class="note">Bars: point estimates; whiskers: {int(100 * float(str(report.config.get("level", 0.95))))}%
bootstrap intervals ({report.config.get("resamples")} resamples, seed {report.config.get("seed")}). Styles come from
{escape(report.style_source)}.</p></section>
{_comparison(report)}
<section><h2>Metrics</h2>{_table(report)}
<p class="note">{" · ".join(f"<b>{TITLES[m]}</b>: {HINTS[m]}" for m in METRICS)}. Unscored answers (the judge's
verdict could not be read) are counted apart, never as zero.</p></section>
<section><h2>Scores and response styles</h2><div class="charts"><div>{_histogram(report, rows)}</div>
<div>{_styles(rows)}</div></div></section>
<section><h2>Lowest-scored answers</h2>{_worst(rows, worst)}</section>
</main></body></html>
"""
