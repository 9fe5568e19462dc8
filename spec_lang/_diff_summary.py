"""Counting a diff's entries and saying it in one line: `+2 sections, 1 renamed, 3 rules changed; stale: ...`
(`; ⚠ risky: authority lowered` at the end when a change is flagged as a risk)."""

from __future__ import annotations

from spec_lang._diff_impact import names
from spec_lang._diff_model import SpecDiff
from spec_lang._diff_risk import LABELS

_LABELS: tuple[tuple[str, str, str], ...] = (
    # key, singular, plural (`{n}` is the count)
    ("meta", "metadata change", "metadata changes"),
    ("sections.added", "+{n} section", "+{n} sections"),
    ("sections.removed", "-{n} section", "-{n} sections"),
    ("sections.renamed", "{n} renamed", "{n} renamed"),
    ("sections.retitled", "{n} retitled", "{n} retitled"),
    ("sections.moved", "{n} moved", "{n} moved"),
    ("sections.attrs_changed", "{n} attribute change", "{n} attribute changes"),
    ("sections.changed", "{n} reworded", "{n} reworded"),
    ("sections.reordered", "{n} reordered", "{n} reordered"),
    ("rules.added", "+{n} rule", "+{n} rules"),
    ("rules.removed", "-{n} rule", "-{n} rules"),
    ("rules.renamed", "{n} rule renamed", "{n} rules renamed"),
    ("rules.moved", "{n} rule moved", "{n} rules moved"),
    ("rules.changed", "{n} rule changed", "{n} rules changed"),
    ("examples.added", "+{n} example", "+{n} examples"),
    ("examples.removed", "-{n} example", "-{n} examples"),
    ("examples.moved", "{n} example moved", "{n} examples moved"),
    ("examples.retitled", "{n} example retitled", "{n} examples retitled"),
    ("examples.changed", "{n} example changed", "{n} examples changed"),
)


def summary_counts(diff: SpecDiff) -> dict[str, int]:
    """Non-zero entry counts keyed `group.list` (e.g. `sections.renamed`), in report order."""
    groups = {"sections": diff.sections, "rules": diff.rules, "examples": diff.examples}
    out: dict[str, int] = {}
    for key, _one, _many in _LABELS:
        if key == "meta":
            n = len(diff.meta)
        else:
            group, name = key.split(".")
            n = len(getattr(groups[group], name))
        if n:
            out[key] = n
    return out


def count_phrases(diff: SpecDiff) -> list[str]:
    """`["+2 sections", "1 renamed", ...]`."""
    counts = summary_counts(diff)
    return [(one if counts[key] == 1 else many).format(n=counts[key]) for key, one, many in _LABELS if key in counts]


def stale_phrase(diff: SpecDiff) -> str:
    """`stale: a, b +3 more`, `stale: all 57 categories` or `no category stale`."""
    stale = diff.impact.stale_ids
    if not stale:
        return "no category stale"
    if len(stale) == diff.impact.total_categories and len(stale) > 4:
        return f"stale: all {len(stale)} categories"
    return "stale: " + names(stale, 4)


def summary_line(diff: SpecDiff) -> str:
    """One line for `delib log`: what changed and which categories went stale."""
    if not diff.changed:
        return "cosmetic only" if diff.cosmetic_only else "no change"
    return ", ".join(count_phrases(diff)) + "; " + stale_phrase(diff) + risk_phrase(diff)


def risk_phrase(diff: SpecDiff) -> str:
    """`; ⚠ risky: authority lowered, restriction removed` (the risk codes present), or `` when none."""
    labels = dict.fromkeys(LABELS[f.code] for f in diff.risks)
    return "; ⚠ risky: " + ", ".join(labels) if labels else ""


def score(similarity: float) -> str:
    """A similarity for people: two decimals, never rounded up to 1.00 unless identical."""
    return "1.00" if similarity >= 1 else min(f"{similarity:.2f}", "0.99")
