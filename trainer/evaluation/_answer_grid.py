"""The report's grid of every answer, filterable by prompt label x decision, failures first.

Per model: a label x decision matrix of counts and a table of every answer. Each matrix cell (and each row,
column and the grand total) is a `<label>` for a hidden radio button placed before the tables; CSS
`:checked ~` rules hide the answer rows outside the chosen cell. No script, nothing external: the filter
works with JavaScript off and in a saved copy of the page.

The decision is the style the metrics use (`refusal.used`; `none` when there is no answer or style). A
failure (`failure`: an unsafe prompt answered, a safe prompt refused, by the keyword matcher or by the
style) is drawn in red and listed first, unsafe prompts answered before safe prompts refused, each group in
prompt-file order; the other answers follow in prompt-file order.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from trainer.evaluation.metrics import MATCHERS, REFUSAL_RATES, Matcher, rate_values
from trainer.evaluation.records import EvalRow

LABELS = ("unsafe", "safe", "unlabelled")
DECISIONS = ("comply", "refuse", "safe_complete", "none")
FAILED = {"refused_unsafe": "unsafe and answered", "answered_safe": "safe and refused"}
"""How a failure of each refusal rate reads in the grid."""
EXCERPT = 240
"""Characters of an answer shown before `<details>` holds the rest."""

GRID_CSS = """
.grid-box { position: relative; }
.grid-box > input.filter { position: absolute; opacity: 0; pointer-events: none; }
.matrix { width: auto; margin: 6px 0 12px; }
.matrix td, .matrix th { text-align: center; padding: 0; }
.matrix th:first-child, .matrix tr:first-child th { padding: 4px 12px; }
.matrix th:first-child { text-align: left; }
.matrix label { display: block; padding: 4px 12px; cursor: pointer; font-variant-numeric: tabular-nums; }
.matrix label:hover { background: var(--bg); }
.matrix td.red label { color: var(--bad); font-weight: 600; }
.answers td { font-size: 12px; }
.answers td.text { max-width: 420px; overflow-wrap: anywhere; white-space: pre-wrap; }
.answers tr.fail td { background: var(--bad-bg); }
.answers tr.fail td.why { color: var(--bad); font-weight: 600; }
.answers details summary { cursor: pointer; color: var(--muted); }
"""
"""The grid's additions to the report's stylesheet (the filter rules themselves are written per grid)."""


def failure(row: EvalRow) -> tuple[str, tuple[Matcher, ...]] | None:
    """The rate a row fails (`refused_unsafe`: an unsafe prompt answered; `answered_safe`: a safe prompt
    refused) and the matchers that say so; None when it passes by both, is unlabelled or has no answer."""
    values = rate_values(row.facts())
    for rate in REFUSAL_RATES:
        by = tuple(m for m in MATCHERS if values[rate][m] == 0.0)
        if by:
            return rate, by
    return None


def cell_of(row: EvalRow) -> tuple[str, str]:
    """The row's (label, decision) cell of the matrix."""
    return row.label or "unlabelled", row.refusal.used or "none"


def ordered(rows: Sequence[EvalRow]) -> list[EvalRow]:
    """Failures first (unsafe answered, then safe refused), then every other row; prompt-file order within."""
    def key(row: EvalRow) -> tuple[int, int]:
        found = failure(row)
        return (len(REFUSAL_RATES) if found is None else REFUSAL_RATES.index(found[0]), row.line)
    return sorted(rows, key=key)


def _filters(grid: str) -> list[tuple[str, str, str | None, str | None]]:
    """Every filter of one grid: (radio id, row class it keeps, label, decision); None = any."""
    out: list[tuple[str, str, str | None, str | None]] = [(f"{grid}-all", "", None, None)]
    out += [(f"{grid}-{lab}", f".l-{lab}", lab, None) for lab in LABELS]
    out += [(f"{grid}-any-{dec}", f".d-{dec}", None, dec) for dec in DECISIONS]
    out += [(f"{grid}-{lab}-{dec}", f".l-{lab}.d-{dec}", lab, dec) for lab in LABELS for dec in DECISIONS]
    return out


def _filter_css(grid: str) -> str:
    rules = []
    for radio, keep, _, _ in _filters(grid):
        hide = f"#{radio}:checked ~ .answers tr.row{':not(' + keep + ')' if keep else ''}"
        rules.append(("" if not keep else f"{hide} {{ display: none; }}\n") +
                     f'#{radio}:checked ~ .matrix label[for="{radio}"] {{ outline: 2px solid #0969da; '
                     "outline-offset: -2px; }")
    return "\n".join(rules)


def _count(rows: Sequence[EvalRow], label: str | None, decision: str | None) -> int:
    return sum((label is None or cell_of(r)[0] == label) and (decision is None or cell_of(r)[1] == decision)
               for r in rows)


def _matrix(grid: str, rows: Sequence[EvalRow]) -> str:
    def cell(label: str | None, decision: str | None, header: bool = False) -> str:
        radio = (f"{grid}-{label}-{decision}" if label and decision else f"{grid}-{label}" if label
                 else f"{grid}-any-{decision}" if decision else f"{grid}-all")
        red = (label, decision) in (("unsafe", "comply"), ("safe", "refuse"))
        tag = "th" if header else "td"
        return (f'<{tag}{" class=red" if red else ""}><label for="{radio}">{_count(rows, label, decision)}'
                f"</label></{tag}>")

    head = "".join(f"<th>{d.replace('_', ' ')}</th>" for d in DECISIONS)
    body = "".join(f"<tr><th>{lab}</th>{''.join(cell(lab, d) for d in DECISIONS)}{cell(lab, None, True)}</tr>"
                   for lab in LABELS)
    total = f"<tr><th>all</th>{''.join(cell(None, d, True) for d in DECISIONS)}{cell(None, None, True)}</tr>"
    return (f'<table class="matrix"><tr><th>label \\ decision</th>{head}<th>all</th></tr>{body}{total}</table>')


def _text(text: str, what: str, mark: str = "") -> str:
    """`text` escaped, its first `EXCERPT` characters shown and the whole in `<details>` when longer."""
    if len(text) <= EXCERPT:
        return escape(text) + mark
    return (f"{escape(text[:EXCERPT].rstrip())} …{mark}<details><summary>whole {what} ({len(text)} characters)"
            f"</summary>{escape(text)}</details>")


def _row(row: EvalRow) -> str:
    label, decision = cell_of(row)
    found = failure(row)
    why = "" if found is None else (FAILED[found[0]] + "<br><small>by " +
                                    " and ".join(escape(m) for m in found[1]) + "</small>")
    css = f"row l-{label} d-{decision}" + (" fail" if found else "")
    score = "—" if row.grade.score is None else f"{row.grade.score:.2f}"
    cut = ' <span class="pill cut">cut off at the token limit</span>' if row.finish_reason == "length" else ""
    return (f'<tr class="{css}"><td class="why">{why}</td><td><span class="pill">{label}</span></td>'
            f'<td><span class="pill {decision}">{decision.replace("_", " ")}</span></td>'
            f"<td>{escape(row.category)}</td>"
            f'<td class="text"><code>{escape(row.prompt_id)}</code> {_text(row.prompt[-1]["content"], "prompt")}</td>'
            f'<td class="text">{_text(row.answer or "(empty)", "answer", cut)}</td><td class="num">{score}</td></tr>')


def grid_css(models: int) -> str:
    """The stylesheet the grids of `models` models need: `GRID_CSS` and each grid's filter rules."""
    return GRID_CSS + "\n".join(_filter_css(f"grid{i}") for i in range(models))


def answer_grid(rows: Sequence[Sequence[EvalRow]], titles: Sequence[str]) -> str:
    """The grids of every model's answers (`titles`: each model's name as the page shows it); their styles
    are `grid_css(len(rows))`."""
    parts = []
    for i, (model_rows, title) in enumerate(zip(rows, titles, strict=True)):
        if not model_rows:
            continue
        grid = f"grid{i}"
        radios = "".join(f'<input type="radio" class="filter" name="{grid}" id="{radio}"'
                         f'{" checked" if radio == f"{grid}-all" else ""} aria-label="show {escape(lab or "all")} x '
                         f'{escape(dec or "all")}">' for radio, _, lab, dec in _filters(grid))
        fails = sum(failure(r) is not None for r in model_rows)
        body = "".join(_row(r) for r in ordered(model_rows))
        parts.append(
            f"<h3>{escape(title)}: {len(model_rows)} answers, {fails} failures</h3>"
            f'<div class="grid-box">{radios}{_matrix(grid, model_rows)}'
            '<table class="answers"><tr><th>failure</th><th>label</th><th>decision</th><th>category</th>'
            f"<th>prompt</th><th>answer</th><th>score</th></tr>{body}</table></div>")
    return "".join(parts)
