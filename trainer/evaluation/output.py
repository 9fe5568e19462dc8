"""Writing `delib eval`'s results: `eval.json`, `rows.jsonl` and `report.html` in one folder."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from trainer.evaluation.errors import EvalError
from trainer.evaluation.records import EvalReport, EvalRow
from trainer.evaluation.report_html import render_report

EVAL_JSON = "eval.json"
ROWS_JSONL = "rows.jsonl"
REPORT_HTML = "report.html"


def write_eval(folder: str | Path, report: EvalReport, rows: Sequence[Sequence[EvalRow]]) -> tuple[Path, ...]:
    """Write the three files (the folder is created); returns their paths. Raises `EvalError` when the
    folder cannot be written."""
    root = Path(folder)
    files = {
        EVAL_JSON: json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n",
        ROWS_JSONL: "".join(json.dumps(r.model_dump(mode="json"), ensure_ascii=False) + "\n"
                            for model_rows in rows for r in model_rows),
        REPORT_HTML: render_report(report, rows),
    }
    try:
        root.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (root / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise EvalError(f"{exc.filename or root}: cannot write the results ({exc.strerror or exc})",
                        "pass a writable folder with -o") from exc
    return tuple(root / name for name in files)
