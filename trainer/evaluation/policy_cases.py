"""Policy tests from a spec: every example comparison becomes a case, and rule coverage by the examples.

A case is one `<comparison>` of an example: the messages before it form the prompt, its labelled
candidates are what the judge must rank (GOOD above OK above BAD). When an example has several
comparisons, the prompt of a later one holds the earlier turns, with the first GOOD candidate of each
earlier comparison standing in as the assistant's reply.

Each case is graded under one category's rubric:

1. `section`: the example sits in a category (or a section inside one);
2. `target`: otherwise, the category owning the rules its labels name (`BAD[#id]` targets and ids cited
   in label reasons), the most named one first;
3. `retrieval`: otherwise, the category a router (retrieval) picks for the prompt;

and is skipped, with the reason, when none applies. Pure functions: no model, no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from compiler.format import cited_ids
from compiler.prompt_files import last_user_text
from spec_lang.model import Comparison, Example, LabelKind, Message, Spec
from trainer.judging import Message as ChatMessage

CategorySource = Literal["section", "target", "retrieval"]
Router = Callable[[Sequence[str]], Sequence[str | None]]
"""Picks a category for each prompt text (None when it cannot); retrieval in the CLI, a fake in tests."""

RANK: dict[str, int] = {"GOOD": 2, "OK": 1, "BAD": 0}
"""The order the judge must respect: GOOD above OK above BAD."""

_FROZEN = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class Candidate(BaseModel):
    """One labelled assistant candidate."""

    model_config = _FROZEN

    kind: LabelKind
    target: str | None
    """The id a BAD candidate names as broken."""
    reason: str | None
    text: str
    """The candidate's text, graded as a final answer."""
    where: str
    """`path:line` of the candidate in the spec."""


class PolicyCase(BaseModel):
    """One comparison to rank."""

    model_config = _FROZEN

    id: str
    """`<section id>/<example number>` (`.<comparison number>` for later comparisons of an example)."""
    title: str
    section: str
    category: str
    category_source: CategorySource
    prompt: tuple[ChatMessage, ...]
    candidates: tuple[Candidate, ...]
    where: str
    """`path:line` of the example."""

    @property
    def text(self) -> str:
        return last_user_text(self.prompt)


class SkippedExample(BaseModel):
    """An example that yields no case, and why."""

    model_config = _FROZEN

    id: str
    title: str
    where: str
    reason: str


def _where(spec: Spec, node: Message | Example) -> str:
    return str(node.span) if node.span is not None else spec.path


def _message(m: Message) -> ChatMessage:
    return ChatMessage(role=m.role, content=m.content.strip())


def _owners(spec: Spec) -> dict[str, str]:
    """Section and rule id -> the category that contains it."""
    categories = {c.id for c in spec.categories}
    owners: dict[str, str] = {}
    for section in spec.sections:
        chain = [section.id, *(a.id for a in spec.ancestors(section.id))]
        owner = next((c for c in chain if c in categories), None)
        if owner is not None:
            owners[section.id] = owner
            owners.update({r.id: owner for r in section.rules})
    return owners


def named_ids(example: Example, known: Sequence[str]) -> list[str]:
    """Ids an example's labels name: BAD targets, then ids cited in label reasons (known ids only)."""
    names: list[str] = []
    for c in example.candidates:
        if c.label is None:
            continue
        if c.label.target:
            names.append(c.label.target)
        if c.label.reason:
            names.extend(cited_ids(c.label.reason, known))
    return names


def _comparisons(spec: Spec, example: Example) -> list[tuple[tuple[ChatMessage, ...], Comparison]]:
    """(prompt, comparison) for each comparison of an example, in order."""
    context: list[ChatMessage] = []
    found: list[tuple[tuple[ChatMessage, ...], Comparison]] = []
    for turn in example.turns:
        if isinstance(turn, Message):
            context.append(_message(turn))
        elif isinstance(turn, Comparison):
            found.append((tuple(context), turn))
            stand_in = next((c for c in turn.candidates if c.label and c.label.kind == "GOOD"),
                            turn.candidates[0] if turn.candidates else None)
            if stand_in is not None:
                context.append(_message(stand_in))
    return found


@dataclass(frozen=True)
class _Draft:
    """A comparison on its way to a case: its category, when known before routing."""

    id: str
    section: str
    example: Example
    prompt: tuple[ChatMessage, ...]
    comparison: Comparison
    owner: str | None
    source: CategorySource


def _owner(owners: dict[str, str], section: str, example: Example,
           known: Sequence[str]) -> tuple[str | None, CategorySource]:
    """The example's category and how it was found (None: retrieval must find it)."""
    if section in owners:
        return owners[section], "section"
    named = Counter(owners[i] for i in named_ids(example, known) if i in owners)
    if named:
        return named.most_common(1)[0][0], "target"
    return None, "retrieval"


def _drafts(spec: Spec) -> tuple[list[_Draft], list[SkippedExample]]:
    owners = _owners(spec)
    known = [*(s.id for s in spec.sections), *(r.id for r in spec.rules)]
    drafts: list[_Draft] = []
    skipped: list[SkippedExample] = []
    for section in spec.sections:
        for number, example in enumerate(section.examples, start=1):
            base_id, where = f"{section.id}/{number}", _where(spec, example)
            owner, source = _owner(owners, section.id, example, known)
            comparisons = _comparisons(spec, example)
            if not comparisons:
                skipped.append(SkippedExample(id=base_id, title=example.title, where=where,
                                              reason="no comparison (no labelled candidates)"))
            for k, (prompt, comparison) in enumerate(comparisons, start=1):
                case_id = base_id if k == 1 else f"{base_id}.{k}"
                if prompt:
                    drafts.append(_Draft(case_id, section.id, example, prompt, comparison, owner, source))
                else:
                    skipped.append(SkippedExample(id=case_id, title=example.title, where=where,
                                                  reason="no message before the comparison: nothing to answer"))
    return drafts, skipped


def _case(spec: Spec, draft: _Draft, category: str) -> PolicyCase:
    candidates = tuple(
        Candidate(kind=c.label.kind, target=c.label.target, reason=c.label.reason, text=c.content.strip(),
                  where=_where(spec, c))
        for c in draft.comparison.candidates if c.label is not None)
    return PolicyCase(id=draft.id, title=draft.example.title, section=draft.section, category=category,
                      category_source=draft.source, prompt=draft.prompt, candidates=candidates,
                      where=_where(spec, draft.example))


def build_cases(spec: Spec, router: Router | None = None,
                categories: Sequence[str] | None = None) -> tuple[tuple[PolicyCase, ...], tuple[SkippedExample, ...]]:
    """The cases of a spec (see the module docstring). `categories` limits them to those categories."""
    drafts, skipped = _drafts(spec)
    unrouted = [d for d in drafts if d.owner is None]
    routed: dict[str, str | None] = {}
    if unrouted and router is not None:
        routed = dict(zip((d.id for d in unrouted), router([last_user_text(d.prompt) for d in unrouted]), strict=True))
    cases: list[PolicyCase] = []
    for draft in drafts:
        category = draft.owner if draft.owner is not None else routed.get(draft.id)
        if category is None:
            why = ("not inside a category, its labels name no category's rule, and no router was given"
                   if router is None else "not inside a category and retrieval found no category")
            skipped.append(SkippedExample(id=draft.id, title=draft.example.title, where=_where(spec, draft.example),
                                          reason=why))
        elif categories is None or category in categories:
            cases.append(_case(spec, draft, category))
    return tuple(cases), tuple(skipped)


def comparison_cases(spec: Spec) -> tuple[PolicyCase, ...]:
    """Every comparison of `spec` as a case, in spec order, whether or not a category owns it (category: its
    owner, else empty): what a reward model trained from the spec learns from, which needs no category."""
    drafts, _ = _drafts(spec)
    return tuple(_case(spec, d, d.owner or "") for d in drafts)


class RuleCoverage(BaseModel):
    """Which rules of one group (a category, or a section with rules outside any category) examples exercise."""

    model_config = _FROZEN

    group: str
    rules: tuple[str, ...]
    exercised: tuple[str, ...]
    unexercised: tuple[str, ...]


def coverage(spec: Spec) -> tuple[RuleCoverage, ...]:
    """Per category (and per section with rules outside every category), the rules that no example
    exercises: a rule is exercised when a label targets it (`BAD[#id]`) or a label's reason cites it."""
    owners = _owners(spec)
    known = [*(s.id for s in spec.sections), *(r.id for r in spec.rules)]
    named = {i for e in spec.examples for i in named_ids(e, known)}
    groups: dict[str, list[str]] = {}
    for section in spec.sections:
        if section.rules:
            groups.setdefault(owners.get(section.id, section.id), []).extend(r.id for r in section.rules)
    return tuple(
        RuleCoverage(group=group, rules=tuple(rules), exercised=tuple(r for r in rules if r in named),
                     unexercised=tuple(r for r in rules if r not in named))
        for group, rules in groups.items())
