"""A spec's own examples as labelled prompt rows."""

from __future__ import annotations

from typing import Any

from spec_lang.model import Section, Spec
from trainer.judging.refusal import heuristic_style, keyword_refusal
from trainer.promptsets._sources import EXPECTED
from trainer.promptsets._split import split_of


def _category_of(spec: Spec, section: Section) -> str | None:
    if section.kind == "category":
        return section.id
    return next((s.id for s in reversed(spec.ancestors(section.id)) if s.kind == "category"), None)


def _declines(answer: str) -> bool:
    """Whether a GOOD answer declines (the prompt is unsafe): the keyword matcher and the style detector must
    both say so. The matcher alone reads sympathy as a refusal ("I'm so sorry to hear about the loss of your
    dad ..." is an answer), which labelled 6 of the Model Spec's everyday examples unsafe."""
    return keyword_refusal(answer) and heuristic_style(answer) != "comply"


def example_rows(spec: Spec, eval_share: float = 0.3) -> list[dict[str, Any]]:
    """One row per example whose context ends in a user turn and that has a GOOD candidate: the
    conversation, labelled by the GOOD candidate's style (see the package docstring). Examples outside
    any category are left out (they have no category to be trained under)."""
    rows = []
    for section in spec.sections:
        category = _category_of(spec, section)
        if category is None:
            continue
        for n, example in enumerate(section.examples, start=1):
            context = [m for m in example.context if m.role in ("system", "developer", "user", "assistant")]
            good = [c for c in example.candidates if c.label is not None and c.label.kind == "GOOD"]
            if not context or context[-1].role != "user" or not good:
                continue
            label = "unsafe" if _declines(good[0].content) else "safe"
            turns = [{"role": m.role, "content": m.content.strip()} for m in context]
            rows.append({"id": f"{spec.meta.id}-{section.id}-{n}", "prompt": turns, "label": label,
                         "expected": EXPECTED[label], "category": category,
                         "split": split_of(turns[-1]["content"], eval_share), "source": f"{spec.meta.id}#{section.id}"})
    return rows
