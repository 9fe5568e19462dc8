"""Semantic checks on a parsed spec. Pure: a function of the spec, returning diagnostics as data."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from spec_lang.diagnostics import Diagnostic, diag
from spec_lang.ids import id_problem
from spec_lang.model import AUTHORITIES, RESPONSES, SECTION_KINDS, Comparison, Rule, Section, Span, Spec

KNOWN_ATTRS: dict[str, tuple[str, ...] | None] = {
    "authority": AUTHORITIES,
    "kind": SECTION_KINDS,
    "response": RESPONSES,
    "rules": RESPONSES,
    "tags": None,
}
"""Heading attributes we understand, with their allowed values (None: free text)."""


def _span(spec: Spec, span: Span | None) -> Span:
    return span or Span(path=spec.path, line=1)


def known_ids(spec: Spec) -> dict[str, Span | None]:
    """Every id a reference may target: sections and rules (first definition wins)."""
    ids: dict[str, Span | None] = {}
    for s in spec.sections:
        ids.setdefault(s.id, s.span)
        for r in s.rules:
            ids.setdefault(r.id, r.span)
    return ids


def _did_you_mean(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_duplicates(spec: Spec) -> Iterator[Diagnostic]:
    seen: dict[str, Span | None] = {}
    nodes = [(s.id, s.span, "section") for s in spec.sections]
    nodes += [(r.id, r.span, "rule") for s in spec.sections for r in s.rules]
    nodes.sort(key=lambda n: (n[1].line if n[1] else 0))
    for ident, span, what in nodes:
        if ident in seen:
            first = seen[ident]
            where = f" (first defined at {first})" if first else ""
            yield diag("SPEC030", _span(spec, span), f"duplicate {what} id {ident!r}{where}",
                       "ids must be unique across the spec; rename one of them")
        else:
            seen[ident] = span


def check_refs(spec: Spec) -> Iterator[Diagnostic]:
    ids = known_ids(spec)
    names = list(ids)
    for ref in spec.all_refs:
        if ref.target not in ids:
            yield diag("SPEC031", _span(spec, ref.span),
                       f"cross-reference to unknown section {ref.target!r}{_did_you_mean(ref.target, names)}",
                       "link to an existing section or rule id, or add the missing section")
    for section in spec.sections:
        for example in section.examples:
            for cand in example.candidates:
                label = cand.label
                if label is not None and label.target is not None and label.target not in ids:
                    yield diag("SPEC032", _span(spec, cand.span),
                               f"BAD[#{label.target}] names an unknown id{_did_you_mean(label.target, names)}",
                               "name the section or rule the candidate violates")


def check_attrs(spec: Spec) -> Iterator[Diagnostic]:
    for s in spec.sections:
        for key, value in s.attrs.items():
            if key not in KNOWN_ATTRS:
                yield diag("SPEC023", _span(spec, s.span),
                           f"unknown attribute {key}={value!r} on {s.id!r}{_did_you_mean(key, list(KNOWN_ATTRS))}",
                           "known attributes: " + ", ".join(KNOWN_ATTRS))
                continue
            allowed = KNOWN_ATTRS[key]
            if allowed is not None and value not in allowed:
                yield diag("SPEC022", _span(spec, s.span),
                           f"invalid {key}={value!r} on {s.id!r}{_did_you_mean(value, list(allowed))}",
                           f"{key} must be one of: " + ", ".join(allowed))
        if s.kind == "style" and "response" not in s.attrs:
            yield diag("SPEC053", _span(spec, s.span), f"style section {s.id!r} has no response attribute",
                       "add response=comply, response=refuse or response=safe_complete")


def check_categories(spec: Spec) -> Iterator[Diagnostic]:
    for s in spec.categories:
        has_children = any(c.parent == s.id for c in spec.sections)
        content = [b for b in s.body if b.type != "part"]
        if not content and not has_children:
            yield diag("SPEC050", _span(spec, s.span), f"category {s.id!r} has no content",
                       "add a summary paragraph, rules and examples, or remove the category")
            continue
        if "authority" not in s.attrs:
            yield diag("SPEC056", _span(spec, s.span), f"category {s.id!r} has no authority",
                       "add authority=root, platform, system, developer, user or guideline to its heading: who may "
                       "override its rules (the compiled prompt states it; without one the judge's rubric treats "
                       "it as root)")
        first = next((b for b in s.body if b.type != "admonition"), None)
        if content and (first is None or first.type != "prose"):
            yield diag("SPEC055", _span(spec, s.span), f"category {s.id!r} does not open with a summary paragraph",
                       "start the category with one paragraph that summarises it: every compiled prompt shows it")
        if spec.format != "deliberative":
            continue
        if not s.rules:
            yield diag("SPEC052", _span(spec, s.span), f"category {s.id!r} has no rules",
                       "add `### Allowed`, `### Disallowed` or `### Safe completion` lists of `- {#id} rule`")
        if not s.examples:
            yield diag("SPEC054", _span(spec, s.span), f"category {s.id!r} has no examples",
                       "add `**Example**:` dialogues so judges and `delib test` have anchors")


def check_examples(spec: Spec) -> Iterator[Diagnostic]:
    # Comparisons without a GOOD candidate are reported by the dialogue parser, where the span is exact;
    # here we catch specs built programmatically.
    for s in spec.sections:
        for ex in s.examples:
            for turn in ex.turns:
                if isinstance(turn, Comparison) and turn.span is None and not any(
                    c.label is not None and c.label.kind == "GOOD" for c in turn.candidates
                ):
                    yield diag("SPEC043", _span(spec, ex.span), f"comparison in {ex.title!r} has no GOOD candidate",
                               "label the preferred answer `<!-- GOOD -->`")


RULE_LETTERS = {"comply": "c", "refuse": "r", "safe_complete": "s"}
"""The letter of a rule id by the rule's response (`policies/README.md`, Rules: naming convention)."""


def _convention_break(section: Section, rule: Rule) -> str | None:
    """Why `rule`'s id breaks the convention `<section id>.<letter><n>` (letter by response), or None."""
    letter = RULE_LETTERS.get(rule.response or "")
    prefix = re.escape(section.id) + r"\."
    if re.fullmatch(prefix + (letter or "[crs]") + r"[1-9][0-9]*", rule.id):
        return None
    if letter is not None and re.fullmatch(prefix + r"[crs][1-9][0-9]*", rule.id):
        return f"a {rule.response} rule's id takes the letter {letter!r}"
    return f"a rule of {section.id!r} is named `{section.id}.<c|r|s><n>`"


def check_rule_ids(spec: Spec) -> Iterator[Diagnostic]:
    """Rule ids that break the naming convention, each with the next free id of the right form."""
    taken = set(known_ids(spec))
    for section in spec.sections:
        for rule in section.rules:
            if id_problem(rule.id) is not None:  # a missing or malformed id: reported by the parser
                continue
            why = _convention_break(section, rule)
            if why is None:
                continue
            stem = f"{section.id}.{RULE_LETTERS.get(rule.response or '', 'c')}"
            n = 1
            while f"{stem}{n}" in taken:
                n += 1
            taken.add(f"{stem}{n}")  # the next break gets the number after
            yield diag("SPEC057", _span(spec, rule.span),
                       f"rule id {rule.id!r} breaks the naming convention: {why} (next free: '{stem}{n}')",
                       f"rename it `{stem}{n}` (and its references) while the policy is unused; once it has "
                       "trained or evaluated a model, keep the id: ids are stable handles")


CHECKS = (check_duplicates, check_refs, check_attrs, check_categories, check_examples, check_rule_ids)


def lint_spec(spec: Spec) -> list[Diagnostic]:
    """Every semantic problem in `spec` (syntax problems come from the parser)."""
    return [d for check in CHECKS for d in check(spec)]
