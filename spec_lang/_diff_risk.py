"""Flags: the changes of a diff that alter what a section or rule is in force, which a reviewer must see first.

A harmless edit (rewording, a retitle, a move, a cosmetic change) is never flagged. What is flagged, by
severity (`Flag.code`):

- `risk`, the policy may have got weaker: a section's `authority` lowered (`root` > `system` > `developer` >
  `user` > `guideline`; `platform` is `root`'s older name, so `platform` <-> `root` is no change) or removed; a
  rule's response relaxed (`refuse` > `safe_complete` > `comply`); a `refuse` or `safe_complete` rule removed;
  a category removed (or no longer a category), its removed rules counted in that one flag.
- `notable`, a real change in force that tightens or adds: authority raised, or set where there was none
  (on a category, none reads as `root`, so setting a lower one is `authority_lowered`); a response tightened; a
  `comply` rule (or one without a response) removed; a `comply` rule added (`allowance_added`: something is
  now explicitly allowed, which can loosen the policy; a new refuse or safe_complete rule only tightens it, so
  it is not flagged).

Unknown authority or response values (lint errors) are not ranked, so not flagged.
"""

from __future__ import annotations

from collections.abc import Iterator

from spec_lang._diff_model import AttrChange, Flag, FlagCode, FlagSeverity, RuleChange, RuleRef, SpecDiff
from spec_lang.model import DECLINING, Rule, Spec

AUTHORITY_RANK = {"root": 0, "platform": 0, "system": 1, "developer": 2, "user": 3, "guideline": 4}
"""Levels of authority, highest (0) first; a larger rank is a lower authority."""
RESPONSE_RANK = {"refuse": 0, "safe_complete": 1, "comply": 2}
"""Responses, strictest (0) first; a larger rank is a more permissive response."""
IMPLICIT_AUTHORITY = "root"
"""What a category without an `authority` is read as (its rubric; `delib lint` warns, SPEC056)."""
RISKS: tuple[FlagCode, ...] = ("authority_lowered", "authority_removed", "response_relaxed", "restriction_removed",
                               "category_removed")
LABELS: dict[FlagCode, str] = {
    "authority_lowered": "authority lowered", "authority_removed": "authority removed",
    "response_relaxed": "response relaxed", "restriction_removed": "restriction removed",
    "category_removed": "category removed", "authority_raised": "authority raised",
    "authority_added": "authority added", "response_tightened": "response tightened", "rule_removed": "rule removed",
    "allowance_added": "allowance added",
}
"""Short names of the codes, for headings and badges."""


def _flag(code: FlagCode, section: str, old: str | None, new: str | None, message: str,
          rule: str | None = None) -> Flag:
    return Flag(code=code, severity="risk" if code in RISKS else "notable", section=section, rule=rule, old=old,
                new=new, message=message)


def _authority(change: AttrChange, was_category: bool) -> Flag | None:
    old, new = change.old, change.new
    if new is None:
        return _flag("authority_removed", change.id, old, None, f"authority {old} removed: the section no "
                     "longer says who may override it")
    if old is None and not was_category:
        return _flag("authority_added", change.id, None, new, f"authority {new} set where there was none")
    before = AUTHORITY_RANK.get(old if old is not None else IMPLICIT_AUTHORITY)
    after = AUTHORITY_RANK.get(new)
    if before is None or after is None or before == after:
        return None
    shown = old if old is not None else f"none (read as {IMPLICIT_AUTHORITY})"
    if after > before:
        return _flag("authority_lowered", change.id, old, new, f"authority lowered from {shown} to {new}: "
                     "lower-authority instructions may now override the section")
    return _flag("authority_raised", change.id, old, new, f"authority raised from {shown} to {new}")


def _response(change: RuleChange) -> Flag | None:
    old, new = change.old_response, change.new_response
    before, after = RESPONSE_RANK.get(old or ""), RESPONSE_RANK.get(new or "")
    if before is None or after is None or before == after:
        return None
    if after > before:
        return _flag("response_relaxed", change.section, old, new, f"rule response relaxed from {old} to {new}",
                     change.id)
    return _flag("response_tightened", change.section, old, new, f"rule response tightened from {old} to {new}",
                 change.id)


def _removed_rule(ref: RuleRef, rule: Rule | None) -> Flag:
    response = rule.response if rule is not None else None
    if response in DECLINING:
        return _flag("restriction_removed", ref.section, response, None, f"{response} rule removed: what it "
                     "ruled out is no longer stated", ref.id)
    message = f"{response} rule removed" if response else "rule removed (it named no response)"
    return _flag("rule_removed", ref.section, response, None, message, ref.id)


def _categories(diff: SpecDiff, old: Spec, new: Spec) -> Iterator[tuple[Flag, set[str]]]:
    """A flag per removed category, with the old ids of its removed sections (whose removed rules it covers)."""
    gone = {s.id for s in diff.sections.removed}
    for cid in diff.impact.removed_categories:
        inside = {s.id for s in old.subtree(cid)} & gone
        rules = [r for r in diff.rules.removed if r.section in inside]
        with_rules = f" with its {len(rules)} rule{'s' if len(rules) != 1 else ''}" if rules else ""
        kept = new.get(cid)
        what = "removed" if kept is None else f"no longer a category (kind {kept.kind})"
        yield _flag("category_removed", cid, "category", None if kept is None else kept.kind,
                    f"category {what}{with_rules}: nothing is compiled for it any more"), inside


def diff_flags(diff: SpecDiff, old: Spec, new: Spec) -> tuple[Flag, ...]:
    """The flags of `diff` (from `old` to `new`): risks first, then notable changes, each in report order."""
    back = {r.to: r.from_ for r in diff.sections.renamed}
    out: list[Flag] = []
    for change in diff.sections.attrs_changed:
        if change.key == "authority":
            before = old.get(back.get(change.id, change.id))
            flag = _authority(change, before is not None and before.kind == "category")
            out += [flag] if flag else []
    out += [f for f in map(_response, diff.rules.changed) if f]
    covered: set[str] = set()
    for flag, inside in _categories(diff, old, new):
        out.append(flag)
        covered |= inside
    rules = {(s.id, r.id): r for s in old.sections for r in s.rules}
    out += [_removed_rule(r, rules.get((r.section, r.id))) for r in diff.rules.removed if r.section not in covered]
    added = {(s.id, r.id): r for s in new.sections for r in s.rules}
    out += [_flag("allowance_added", r.section, None, "comply", "comply rule added: something is now explicitly "
                  "allowed", r.id) for r in diff.rules.added
            if (rule := added.get((r.section, r.id))) is not None and rule.response == "comply"]
    return tuple(sorted(out, key=lambda f: f.severity != "risk"))


def flag_index(diff: SpecDiff) -> dict[tuple[str, str], FlagSeverity]:
    """(`"section"` or `"rule"`, id) -> the severity of its flag (`risk` when it has several), for renderers
    that mark flagged entries in their place."""
    out: dict[tuple[str, str], FlagSeverity] = {}
    for f in reversed(diff.flags):  # risks come first: they win
        out[("rule", f.rule) if f.rule else ("section", f.section)] = f.severity
    return out


def where(flag: Flag) -> str:
    """`section privacy` or `rule weapons.r2 in weapons`."""
    return f"rule {flag.rule} in {flag.section}" if flag.rule else f"section {flag.section}"
