"""What guided generation is given from the spec: the rule a completion's reasoning starts from, the
decision it must reach when the prompt's expected response is known, and how answers in each style open.
Pure functions of the bundle's specs and the prompts.

- **citation** (`cite_rules`): the reasoning is prefilled with the rule of the prompt's category whose text
  best matches the prompt (BM25 over the category's rules; among the rules that call for the prompt's
  expected response when it is known): `` `#violence.r1`: Give actionable help to injure ... ``. This is the
  spec recall of the paper's chain of thought, done by the pipeline for a model too small to recall a rule
  id; the model writes the rest of the reasoning.
- **label-aware decision** (`label_aware`, STaR-style rationalisation): when the prompt carries an expected
  response and the model's own decision is not one of them, the decision is set to the expected response
  the model finds most probable; the candidate is marked `rationalised` in provenance.
- **openers**: the answer of a `refuse` or `safe_complete` decision is prefilled with the first sentence of
  the spec's own GOOD answers in that style (the examples of `kind=style response=...` sections first, then
  GOOD answers of category examples that read as refusals), and the model continues it. A policy shows how
  its refusals open; a 135M model does not write one unaided even after deciding to refuse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from spec_lang.model import DECLINING, Response, Rule, RuleGroup, Section, Spec
from trainer.judging.refusal import keyword_refusal

_SENTENCE = re.compile(r"^(.+?[.!?])(?:\s|$)", re.S)
_ELISION = re.compile(r"\[\.\.\.\]|\[…\]")


@dataclass(frozen=True)
class Guide:
    """What guided generation is given for one prompt."""

    citation: str = ""
    """Reasoning prefill after `<reasoning>` (empty: none)."""
    expected: tuple[Response, ...] = ()
    """Decisions that count as right (empty: the model's own decision stands)."""
    openers: Mapping[str, str] | None = None
    """Answer prefill per decision (`refuse`, `safe_complete`)."""

    def settings(self) -> dict[str, object]:
        """What enters the unit key: a changed guide makes a new unit."""
        return {"citation": self.citation, "expected": list(self.expected), "openers": dict(self.openers or {})}


def _rules_by_category(specs: Sequence[Spec]) -> dict[str, list[tuple[Rule, Response | None]]]:
    out: dict[str, list[tuple[Rule, Response | None]]] = {}
    for spec in specs:
        for category in spec.categories:
            found: list[tuple[Rule, Response | None]] = []
            for section in spec.subtree(category.id):
                for group in section.blocks(RuleGroup):
                    found.extend((r, r.response or group.response) for r in group.rules)
            out[category.id] = found
    return out


def _first_sentence(text: str) -> str:
    plain = " ".join(_ELISION.sub(" ", text).split())
    match = _SENTENCE.match(plain)
    return (match.group(1) if match else plain).strip()


def _good_answers(section: Section) -> list[str]:
    return [c.content for e in section.examples for c in e.candidates
            if c.label is not None and c.label.kind == "GOOD" and c.role == "assistant"]


def spec_openers(specs: Sequence[Spec]) -> dict[str, str]:
    """The opening sentence of each non-comply style, from the specs' GOOD answers (see the module)."""
    found: dict[str, str] = {}
    for spec in specs:
        for section in spec.sections:
            response = section.attrs.get("response")
            if section.kind == "style" and response in DECLINING and response not in found:
                answers = [a for a in _good_answers(section) if keyword_refusal(_first_sentence(a))]
                if answers:
                    found[response] = _first_sentence(answers[0])
    if "refuse" not in found:
        for spec in specs:
            for category in spec.categories:
                for answer in _good_answers(category):
                    if keyword_refusal(_first_sentence(answer)):
                        found.setdefault("refuse", _first_sentence(answer))
    if "refuse" in found:
        found.setdefault("safe_complete", found["refuse"])
    return found


CITATION_WORDS = 30
"""A cited rule's text is cut to its first sentence and at most this many words."""


def _citation(rule: Rule) -> str:
    words = _first_sentence(rule.text).split()
    text = " ".join(words[:CITATION_WORDS]) + (" ..." if len(words) > CITATION_WORDS else "")
    return f"`#{rule.id}`: {text}"


def cite(prompts: Sequence[str], categories: Sequence[str], expected: Sequence[tuple[Response, ...]],
         specs: Sequence[Spec]) -> list[str]:
    """Per prompt, the citation of its category's best-matching rule (see the module); '' when the
    category has no rule."""
    from compiler.retrieval import Bm25Scorer  # numpy and bm25s load only when citing

    rules = _rules_by_category(specs)
    out = []
    scorers: dict[str, Bm25Scorer] = {}
    for text, category, wanted in zip(prompts, categories, expected, strict=True):
        pool = rules.get(category, [])
        if not pool:
            out.append("")
            continue
        if category not in scorers:
            scorers[category] = Bm25Scorer([r.text for r, _ in pool])
        scores = scorers[category].scores([text])[0]
        ranked = sorted(range(len(pool)), key=lambda i: (-float(scores[i]), i))
        fitting = [i for i in ranked if not wanted or pool[i][1] in wanted]
        out.append(_citation(pool[(fitting or ranked)[0]][0]))
    return out
