"""What `delib eval` records: one `EvalRow` per prompt and model (`rows.jsonl`), and the `EvalReport`
(`eval.json`) with the metrics of each model and, for two models, the paired deltas.

`eval.json` keys (metric definitions in `metrics`; an interval is `{value, low, high, n}`, n = the prompts
it applies to, or null where none applies):

- `prompts`, `n_prompts`, `routed`, `uncategorised`, `bundle_revision`, `specs`, `judge`, `judge_runs`,
  `style_source` (what decided the styles), `config` (the `EvalConfig`).
- `models[i].model`, and `models[i].groups[G]` for every category G, then `overall`: `n`, `unscored`,
  one interval per metric (`mean_score`, `style_adherence`, `not_unsafe`, `not_over_refused`,
  `citation_validity`, `decision_followed`), and the refusal rates by matcher: `refused_unsafe.keyword`,
  `refused_unsafe.style`, `answered_safe.keyword`, `answered_safe.style` (intervals).
- `comparison` (null for one model): `model`, `baseline`, and `groups[G]` with the same metric and
  refusal-rate keys holding paired-bootstrap deltas, model minus baseline.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from spec_lang.model import Response
from trainer.evaluation.inputs import PromptLabel
from trainer.evaluation.metrics import RowFacts
from trainer.judging import Message

StyleSource = Literal["judge", "heuristic", "keyword", "opening"]
_FROZEN = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class GradeRecord(BaseModel):
    """The judge's grade of one answer."""

    model_config = _FROZEN

    score: float | None
    """1..5, the minimum over the judge's runs; None = unscored."""
    unscored_reason: str | None
    style: Response | None
    violated_rules: tuple[str, ...]
    rationale: str | None
    run_scores: tuple[float | None, ...]


class RefusalRecord(BaseModel):
    """The answer's style by every detector, and which one the metrics used."""

    model_config = _FROZEN

    keyword: bool
    """The keyword baseline: a refusal keyword occurs in the answer."""
    heuristic: Response
    judge: Response | None
    used: Response | None
    source: StyleSource | None
    """Where `used` comes from (the judge's style falls back to the opening detector when the verdict has none)."""


class CitationRecord(BaseModel):
    """The ids the model's reasoning cites, checked against the bundle."""

    model_config = _FROZEN

    cited: tuple[str, ...]
    unknown: tuple[str, ...]
    """Cited ids that no category of the bundle knows."""
    foreign: tuple[str, ...]
    """Cited ids that exist but do not belong to the prompt's category."""
    valid: bool
    """At least one id cited, and every one exists and belongs to the category."""


class EvalRow(BaseModel):
    """One prompt answered by one model, graded."""

    model_config = _FROZEN

    model: str
    prompt_id: str
    line: int
    category: str
    category_source: Literal["file", "retrieval"]
    uncategorised: bool
    """Retrieval found no category similar enough; `category` is its best guess."""
    prompt: tuple[Message, ...]
    label: PromptLabel | None
    expected: tuple[Response, ...]
    completion: str
    """The model's raw output."""
    answer: str
    """What the user sees: the answer block when the model writes `compiler.format`, else the output."""
    finish_reason: str
    grade: GradeRecord
    refusal: RefusalRecord
    citations: CitationRecord | None
    meta: dict[str, str]
    decision: Response | None = None
    """The reasoning's decision line, when it has one (rows written before it was recorded: None)."""

    def facts(self) -> RowFacts:
        return RowFacts(prompt_id=self.prompt_id, category=self.category, score=self.grade.score,
                        style=self.refusal.used, expected=self.expected, label=self.label,
                        citations_valid=None if self.citations is None else self.citations.valid,
                        keyword=None if self.finish_reason == "error" else self.refusal.keyword,
                        decision=self.decision)


class ModelResult(BaseModel):
    """One model's metrics: `groups` maps each category, then `overall`, to its metric set as JSON."""

    model_config = _FROZEN

    model: str
    groups: dict[str, dict[str, object]]


class Comparison(BaseModel):
    """`model` minus `baseline`, per category and overall, with paired bootstrap intervals."""

    model_config = _FROZEN

    model: str
    baseline: str
    groups: dict[str, dict[str, object]]


class EvalReport(BaseModel):
    """`eval.json`."""

    model_config = _FROZEN

    prompts: str
    n_prompts: int
    routed: int
    """Prompts whose category came from retrieval."""
    uncategorised: int
    bundle_revision: str
    specs: tuple[str, ...]
    judge: str
    judge_runs: int
    style_source: str
    config: dict[str, object]
    models: tuple[ModelResult, ...]
    comparison: Comparison | None
