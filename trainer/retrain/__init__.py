"""Retraining on spec changes: regenerate only what a spec change made stale, continue from the last run.

    from trainer.retrain import RetrainOptions, retrain

    report = retrain("runs/rl", ["policies/"], "runs/retrain-1", RetrainOptions(stages=("sft", "rl")))
    [(c.id, c.status, c.reason, c.regenerated) for c in report.categories]

The parent run's lineage gives the SFT data (with its recipe, `generation.json`, and the bundle it was
made from) and the stage settings; the new spec is compiled with the same templates, diffed against the
parent's spec snapshot, and only the stale categories' data is generated again (the work log makes
every other row a cache hit). Training continues from the parent's final model; every new run records
the parent in its manifest (`parent_run`). `OUT/retrain.json` and `OUT/RETRAIN.md` say what was
regenerated and why.
"""

from trainer.retrain._impact import CategoryChange, category_changes
from trainer.retrain._lineage import Lineage, Run, lineage
from trainer.retrain._report import REPORT_JSON, REPORT_MD, CategoryRows, RetrainReport, render_markdown
from trainer.retrain._run import Prepared, RetrainError, RetrainOptions, prepare, retrain

__all__ = [
    "REPORT_JSON",
    "REPORT_MD",
    "CategoryChange",
    "CategoryRows",
    "Lineage",
    "Prepared",
    "RetrainError",
    "RetrainOptions",
    "RetrainReport",
    "Run",
    "category_changes",
    "lineage",
    "prepare",
    "render_markdown",
    "retrain",
]
