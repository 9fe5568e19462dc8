"""`OUT/retrain.json` and `OUT/RETRAIN.md`: what `delib retrain` regenerated and why, and the runs it made.

Written when the retrain starts (`running`), and again when it completes or fails, atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from spec_lang.atomic import write_atomic
from trainer.retrain._impact import CategoryChange

REPORT_JSON = "retrain.json"
REPORT_MD = "RETRAIN.md"
Stage = Literal["sft", "rl"]


class CategoryRows(CategoryChange):
    """A category's change and what happened to its training rows."""

    rows_before: int = Field(0, description="Kept rows of the category in the parent's data.")
    rows_after: int = Field(0, description="Kept rows in the new data.")
    regenerated: int = Field(0, description="Rows of the new data that were generated again.")
    reused: int = Field(0, description="Rows carried over unchanged from the parent's data.")


class RetrainReport(BaseModel):
    """One `delib retrain`: its parent, the spec change, the data it regenerated and the runs it made."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    format: Literal["delib-retrain/1"] = "delib-retrain/1"
    status: Literal["planned", "running", "completed", "failed"] = Field(description="Where the retrain got to.")
    parent_run: str = Field(description="The run retrained (its final model is where training continues).")
    parent_kind: Literal["sft", "rl"] = Field(description="The parent run's kind.")
    stages: tuple[Stage, ...] = Field(description="The stages run again, in order.")
    spec: tuple[str, ...] = Field(description="The new spec(s), as given.")
    old_revision: str | None = Field(description="The spec revision the parent's data or bundle came from.")
    new_revision: str = Field(description="The new spec revision.")
    templates: str = Field(description="The template set compiled with (`built-in`, `compact` or a folder).")
    categories: tuple[CategoryRows, ...] = Field(description="Every category: its change and rows.")
    bundle: str = Field(description="The new bundle.")
    data: str | None = Field(None, description="The new generation folder (SFT stage).")
    runs: dict[str, str] = Field(default_factory=dict, description="Stage -> the new run folder.")
    generated: int = Field(0, description="Completions generated for the new data (the rest were reused).")
    judged: int = Field(0, description="Judge verdicts made for the new data.")
    error: str | None = Field(None, description="Why the retrain failed, when it did.")

    @property
    def stale(self) -> tuple[CategoryRows, ...]:
        return tuple(c for c in self.categories if c.status in ("stale", "added"))


def render_markdown(report: RetrainReport) -> str:
    """The report for people: the spec change per category, the rows regenerated and the runs made."""
    lines = [f"# Retrain of `{report.parent_run}`", "",
             f"- status: **{report.status}**" + (f" ({report.error})" if report.error else ""),
             f"- spec: {', '.join(f'`{s}`' for s in report.spec)}, revision `{report.old_revision or '?'}` "
             f"-> `{report.new_revision}` (templates: {report.templates})",
             f"- stages: {', '.join(report.stages)}; new bundle `{report.bundle}`"
             + (f"; new data `{report.data}`" if report.data else ""),
             f"- {len(report.stale)} of {sum(c.status != 'removed' for c in report.categories)} categories "
             f"stale; {report.generated} completions generated, {report.judged} verdicts", ""]
    lines += ["| category | change | rows before | rows after | regenerated | reused | why |",
              "|---|---|---:|---:|---:|---:|---|"]
    lines += [f"| `{c.id}` | {c.status} | {c.rows_before} | {c.rows_after} | {c.regenerated} | {c.reused} | "
              f"{(c.reason or '').replace('|', '/')} |" for c in report.categories]
    if report.runs:
        lines += ["", "## Runs", ""] + [f"- {stage}: `{path}` (final model: `hf:{path}`)"
                                        for stage, path in report.runs.items()]
    return "\n".join(lines) + "\n"


def write_report(out_dir: Path, report: RetrainReport) -> None:
    write_atomic(out_dir / REPORT_JSON, report.model_dump_json(indent=2) + "\n")
    write_atomic(out_dir / REPORT_MD, render_markdown(report))
