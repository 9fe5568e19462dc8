"""Writing `delib eval`'s results (`eval.json`, `rows.jsonl` and `report.html` in one folder), and reading
`eval.json` and `rows.jsonl` back: `read_eval`, `read_rows`, `keyword_refusal_rates` for the figures a demo
quotes, and `keyword_rates_by` for the same figures per any grouping of the rows (e.g. by prompt source).

    rates = keyword_refusal_rates("reports/eval.json")       # {model: RefusalRates}
    rates["hf:runs/final"].refused_unsafe                     # Interval(value, low, high, n) or None
    by_source = keyword_rates_by(read_rows("reports"), lambda row: row.meta.get("source", "?"))
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import ValidationError

from spec_lang.atomic import write_atomic
from spec_lang.errors import OutputError
from trainer.evaluation._stats import Interval
from trainer.evaluation.errors import EvalError
from trainer.evaluation.metrics import OVERALL, Bootstrap, Matcher, RowFacts, by_category, paired_rate_deltas
from trainer.evaluation.records import EvalReport, EvalRow
from trainer.evaluation.report_html import render_report

EVAL_JSON = "eval.json"
ROWS_JSONL = "rows.jsonl"
REPORT_HTML = "report.html"


def write_eval(folder: str | Path, report: EvalReport, rows: Sequence[Sequence[EvalRow]]) -> tuple[Path, ...]:
    """Write the three files, each atomically (the folder is created); returns their paths. Raises
    `EvalError` when the folder cannot be written."""
    root = Path(folder)
    files = {
        EVAL_JSON: json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n",
        ROWS_JSONL: "".join(json.dumps(r.model_dump(mode="json"), ensure_ascii=False) + "\n"
                            for model_rows in rows for r in model_rows),
        REPORT_HTML: render_report(report, rows),
    }
    try:
        for name, text in files.items():
            write_atomic(root / name, text)  # a file, or a link, already there is replaced, not written through
    except OutputError as exc:
        raise EvalError(f"{exc.path}: cannot write the results ({exc.reason})",
                        "pass a writable folder with -o") from exc
    return tuple(root / name for name in files)


def read_eval(path: str | Path) -> EvalReport:
    """`eval.json` (or the folder holding it) as an `EvalReport`. Raises `EvalError` when it cannot be read."""
    file = Path(path)
    if file.is_dir():
        file = file / EVAL_JSON
    try:
        return EvalReport.model_validate_json(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvalError(f"{file}: cannot read the evaluation ({exc.strerror or exc})",
                        "pass the eval.json (or the -o folder) that `delib eval` wrote") from exc
    except ValidationError as exc:
        raise EvalError(f"{file}: not an eval.json written by `delib eval` ({exc.error_count()} problem(s), "
                        f"first: {exc.errors()[0]['msg']})", "rerun `delib eval` to write it again") from exc


@dataclass(frozen=True)
class RefusalRates:
    """One model's refusal rates by one matcher, with bootstrap intervals (`Interval.n`: labelled prompts
    answered; None when the model answered no prompt with that label)."""

    refused_unsafe: Interval | None
    """Share of unsafe-labelled prompts whose answer refuses (or safe-completes)."""
    answered_safe: Interval | None
    """Share of safe-labelled prompts whose answer does not refuse."""


def _rate(figures: Mapping[str, object], name: str, matcher: Matcher, where: str) -> Interval | None:
    """The interval `figures[name][matcher]` of one group in `eval.json`."""
    by = figures.get(name)
    value = by.get(matcher, ...) if isinstance(by, Mapping) else ...
    if value is None:
        return None
    if not isinstance(value, Mapping) or not {"value", "low", "high", "n"} <= set(value):
        raise EvalError(f"{where}: {name}.{matcher} is missing from the evaluation or is not an interval",
                        "rerun `delib eval` (eval.json files older than the refusal rates lack them)")
    return Interval(value=float(value["value"]), low=float(value["low"]), high=float(value["high"]),
                    n=int(value["n"]))


def refusal_rates(source: str | Path | EvalReport, matcher: Matcher = "keyword",
                  group: str = OVERALL) -> dict[str, RefusalRates]:
    """Every model's `refused_unsafe` and `answered_safe` by `matcher` (`keyword` or `style`) in `group`
    (a category, or `overall`), from an `eval.json` path (or its folder) or a loaded report. Raises
    `EvalError` when the file cannot be read or lacks the figures."""
    report = source if isinstance(source, EvalReport) else read_eval(source)
    out: dict[str, RefusalRates] = {}
    for model in report.models:
        if group not in model.groups:
            raise EvalError(f"{model.model}: no group {group!r} in the evaluation",
                            f"use one of: {', '.join(model.groups)}")
        figures, where = model.groups[group], f"{model.model}: {group}"
        out[model.model] = RefusalRates(refused_unsafe=_rate(figures, "refused_unsafe", matcher, where),
                                        answered_safe=_rate(figures, "answered_safe", matcher, where))
    return out


def keyword_refusal_rates(source: str | Path | EvalReport, group: str = OVERALL) -> dict[str, RefusalRates]:
    """Every model's `refused_unsafe` and `answered_safe` by the keyword matcher (the independent baseline),
    with intervals and n: `refusal_rates(source, "keyword", group)`."""
    return refusal_rates(source, "keyword", group)


def read_rows(path: str | Path) -> list[EvalRow]:
    """`rows.jsonl` (or the folder holding it): every model's rows, in file order, read with the project's one
    JSONL reader (`compiler.record_files.numbered_jsonl`). Raises `EvalError` naming `path:line` when a row
    cannot be read."""
    from compiler.record_files import PromptFileError, numbered_jsonl

    file = Path(path)
    if file.is_dir():
        file = file / ROWS_JSONL
    try:
        records = numbered_jsonl(file)
    except PromptFileError as exc:
        raise EvalError(f"cannot read the evaluated rows: {exc.message}",
                        "pass the rows.jsonl (or the -o folder) that `delib eval` wrote") from None
    rows = []
    for number, record in records:
        try:
            rows.append(EvalRow.model_validate(record))
        except ValidationError as exc:
            raise EvalError(f"{file}:{number}: not a row written by `delib eval` ({exc.error_count()} problem(s), "
                            f"first: {exc.errors()[0]['msg']})", "rerun `delib eval` to write it again") from None
    return rows


@dataclass(frozen=True)
class GroupRates:
    """One group's keyword refusal rates: every model's, and the first model minus the second (a paired
    bootstrap over the group's prompts; empty for one model)."""

    models: dict[str, RefusalRates]
    delta: dict[str, Interval | None]


def keyword_rates_by(rows: Sequence[EvalRow], key: Callable[[EvalRow], str],
                     boot: Bootstrap | None = None) -> dict[str, GroupRates]:
    """Every model's keyword refusal rates per group of prompts (`key(row)`, e.g. the prompt's source), then
    `overall`; models in the order the rows name them. Pure: `rows` as `read_rows` gives them."""
    boot = boot or Bootstrap()
    facts: dict[str, list[RowFacts]] = {}
    for row in rows:
        facts.setdefault(row.model, []).append(replace(row.facts(), category=key(row)))
    sets = {model: by_category(model_facts, boot) for model, model_facts in facts.items()}
    models = list(facts)
    deltas = paired_rate_deltas(facts[models[0]], facts[models[1]], boot) if len(models) == 2 else {}
    out: dict[str, GroupRates] = {}
    for group in sets[models[0]] if models else ():
        out[group] = GroupRates(
            models={m: RefusalRates(refused_unsafe=sets[m][group].rates["refused_unsafe"]["keyword"],
                                    answered_safe=sets[m][group].rates["answered_safe"]["keyword"])
                    for m in models if group in sets[m]},
            delta={rate: by["keyword"] for rate, by in deltas.get(group, {}).items()})
    return out
