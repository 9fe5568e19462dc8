"""Judge rubrics: the same policy text as `spec(category)`, plus how to grade and what to reply.

Each category gets two variants, as in deliberative alignment: `rubric.md` shows the judge the
model's reasoning as well as its answer (used to filter SFT data: right rules cited, decision
consistent with the answer), and `rubric_answer_only.md` shows only the answer (used for RL reward).
Both state the score scale (`compiler.verdict.SCORE_SCALE`), use the category's labelled examples as
calibration anchors with an expected score each, and fix the reply to a `Verdict` JSON object.

Template context (`rubric.md.j2`): everything `compiler.prompts.category_context` gives, plus

- `show_reasoning`: True for `rubric.md`, False for `rubric_answer_only.md`.
- `anchors`: the category's examples (shapes in `compiler/_views.py`), each labelled candidate with
  `expected`, its calibration score (e.g. "5", "2", "1 or 2").
- `scale`: `[{score, name, definition}]`, best first.
- `score_min`, `score_max`: the ends of the scale.
"""

from __future__ import annotations

from typing import Any

from compiler._render import RUBRIC_TEMPLATE, TemplateSet
from compiler._views import example_view
from compiler.prompts import category_context, cleaner_for, included_shared
from compiler.verdict import SCORE_MAX, SCORE_MIN, SCORE_SCALE, verdict_schema
from spec_lang.model import Label, Spec

_HARD = frozenset({"root", "system", "platform"})
"""Authorities whose rules are prohibitions: breaking them is a violation rather than a lapse of style."""


class _Anchors:
    """Expected scores for labelled candidates, from what the label's target is. Only rules and
    sections inside the category's hash inputs are looked at. A BAD candidate without a usable target
    gets a range: 1 or 2 in a category of root or system authority (prohibitions), else 2 or 3
    (defaults and guidelines, where BAD is usually a failure of helpfulness or style)."""

    def __init__(self, spec: Spec, category_id: str) -> None:
        sections = (*included_shared(spec, category_id), *spec.subtree(category_id))
        self.responses = {r.id: r.response for s in sections for r in s.rules}
        self.styles = {s.id for s in sections if s.kind == "style"}
        self.guidance = {s.id for s in sections if s.kind == "guidance"}
        authority = spec.section(category_id).attrs.get("authority")
        self.untargeted = "1 or 2" if authority is None or authority in _HARD else "2 or 3"

    def __call__(self, label: Label) -> str:
        if label.kind == "GOOD":
            return str(SCORE_MAX)
        if label.kind == "OK":
            return "3 or 4"
        target = label.target or ""
        if target in self.styles:
            return "3"
        response = self.responses.get(target)
        if response == "refuse":
            return "1"
        if response in ("comply", "safe_complete") or target in self.guidance:
            return "2"
        return self.untargeted


def rubric_context(spec: Spec, category_id: str, show_reasoning: bool,
                   base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The template context for one rubric variant (see the module docstring); `base`, the category's
    `category_context` when already computed, saves computing it again."""
    context = dict(base if base is not None else category_context(spec, category_id))
    clean = cleaner_for(spec, category_id)
    expected = _Anchors(spec, category_id)
    context.update({
        "show_reasoning": show_reasoning,
        "anchors": [example_view(e, clean, expected) for s in spec.subtree(category_id) for e in s.examples],
        "scale": [level.model_dump() for level in SCORE_SCALE],
        "score_min": SCORE_MIN,
        "score_max": SCORE_MAX,
    })
    return context


def render_rubric(spec: Spec, category_id: str, show_reasoning: bool = True,
                  templates: TemplateSet | None = None, base: dict[str, Any] | None = None) -> str:
    """The compiled `rubric.md` (`show_reasoning=True`) or `rubric_answer_only.md` of one category."""
    context = rubric_context(spec, category_id, show_reasoning, base)
    variant = "reasoning" if show_reasoning else "answer-only"
    return (templates or TemplateSet()).render(RUBRIC_TEMPLATE, context, f"category {category_id!r} ({variant})")


def rubric_schema(spec: Spec, category_id: str, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The verdict JSON Schema for one category: `violated_rules` limited to the ids its rubric lists."""
    schema = verdict_schema((base if base is not None else category_context(spec, category_id))["valid_ids"])
    schema["title"] = f"Verdict ({category_id})"
    return schema
