"""The semantic diff on the five OpenAI Model Spec releases.

The expected answers for 2025-04-11 -> 2025-09-12 were established by reading the two releases: the
headings lists (ids, parents, `authority`), and the text of every removed and added section. What
happened there: the "Be approachable" container was dissolved into "Use appropriate style"; `be_kind`
lives on as `love_humanity` (same text and examples, plus one moved example), `be_engaging` as
`have_conversational_sense` (its chit-chat, sign-off and thank-you examples), `be_empathetic` as
`be_responsible` (its examples and closing paragraph; the warmth sentence went to the new `be_warm`),
and `protect_privileged_messages` as `protect_privileged_information` (text kept, much extended);
the `platform` authority level became `root` (or `system` for three sections).
"""

from __future__ import annotations

import re
import textwrap
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spec_lang import Spec, load
from spec_lang._diff_sections import RENAME_THRESHOLD, content_words
from spec_lang._diff_words import similarity
from spec_lang.diff import SpecDiff, diff_specs, summary_counts
from spec_lang.versions import revision_id, stale_categories
from tests.paths import RELEASES, release
from trainer.cli import app

runner = CliRunner()


@cache
def spec(name: str) -> Spec:
    return load(str(release(name))).spec


@cache
def diff(old: str, new: str) -> SpecDiff:
    return diff_specs(spec(old), spec(new))


# -- a re-wrapper: re-flows paragraphs and list items outside fences; headings, fences, tables, admonitions,
# -- HTML and indented blocks are left alone, and no line may start with Markdown syntax after wrapping.

_SYNTAX = re.compile(r"^(?:[-*+>#|=<]|\d+[.)]|~~~|```|!!!|\[\^|\*\*Example\*\*)")
_ITEM = re.compile(r"^([-*+]|\d+[.)]) ")


def _wrap(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    out: list[str] = []
    for line in textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest,
                              break_long_words=False, break_on_hyphens=False):
        if out and _SYNTAX.match(line.strip()):
            out[-1] += " " + line.strip()
        else:
            out.append(line)
    return out


def rewrap(text: str, width: int = 60) -> str:
    out: list[str] = []
    paragraph: list[str] = []
    fence: str | None = None

    def flush() -> None:
        if paragraph:
            out.extend(_wrap(" ".join(line.strip() for line in paragraph), width))
            paragraph.clear()

    for line in text.split("\n"):
        stripped = line.strip()
        if fence is not None:
            out.append(line)
            fence = None if stripped.startswith(fence) else fence
        elif stripped.startswith(("```", "~~~")):
            flush()
            fence = stripped[:3]
            out.append(line)
        elif line and not line[0].isspace() and not _SYNTAX.match(stripped):
            paragraph.append(line)
        else:
            flush()
            item = _ITEM.match(line)
            out.extend(_wrap(line[item.end():], width, item.group(0), " " * item.end()) if item else [line])
    flush()
    return "\n".join(out)


# -- 2025-04-11 -> 2025-09-12, pinned -------------------------------------------------------------------------

RENAMED = [
    ("protect_privileged_messages", "protect_privileged_information"),
    ("be_kind", "love_humanity"),
    ("be_empathetic", "be_responsible"),
    ("be_engaging", "have_conversational_sense"),
]
MOVED = [(new_id, "approachable", "style") for new_id in (
    "love_humanity", "be_rationally_optimistic", "be_responsible", "have_conversational_sense",
    "do_not_make_unprompted_personal_comments", "avoid_being_condescending")]
PLATFORM_TO_ROOT = [
    "follow_all_applicable_instructions", "letter_and_spirit", "assume_best_intentions", "ignore_untrusted_data",
    "sexual_content_involving_minors", "avoid_info_hazards", "avoid_targeted_political_manipulation",
    "respect_creators", "protect_privacy", "avoid_extremist_content", "avoid_hateful_content",
    "transformation_exception", "prevent_imminent_harm", "do_not_facilitate_illicit_behavior",
    "do_not_encourage_self_harm", "protect_privileged_information", "uphold_fairness"]
PLATFORM_TO_SYSTEM = ["comply_with_laws", "no_erotica_or_gore", "use_preset_voice_in_voice_mode"]
ADDED = ["red_line_principles", "no_other_objectives", "scope_of_autonomy", "control_side_effects",
         "be_interesting_and_interested", "be_curious", "be_warm"]


def test_april_to_september_renames() -> None:
    d = diff("2025-04-11", "2025-09-12")
    assert [(r.from_, r.to) for r in d.sections.renamed] == RENAMED
    assert all(r.similarity >= RENAME_THRESHOLD for r in d.sections.renamed)
    assert [s.id for s in d.sections.removed] == ["approachable"]
    assert [s.id for s in d.sections.added] == ADDED


def test_april_to_september_no_unrelated_pair_comes_close() -> None:
    """Every removed x added pair that was not paired scores far below the threshold."""
    old, new = spec("2025-04-11"), spec("2025-09-12")
    paired = set(RENAMED)
    removed = [s for s in old.sections if new.get(s.id) is None]
    added = [s for s in new.sections if old.get(s.id) is None]
    others = [similarity(content_words(a), content_words(b)) for a in removed for b in added
              if (a.id, b.id) not in paired]
    assert len(others) == len(removed) * len(added) - len(paired)
    assert max(others) < RENAME_THRESHOLD / 1.5


def test_april_to_september_moves_and_authority() -> None:
    d = diff("2025-04-11", "2025-09-12")
    assert [(m.id, m.from_parent, m.to_parent) for m in d.sections.moved] == MOVED
    authority = {(c.id, c.old, c.new) for c in d.sections.attrs_changed if c.key == "authority"}
    assert authority == ({(i, "platform", "root") for i in PLATFORM_TO_ROOT}
                         | {(i, "platform", "system") for i in PLATFORM_TO_SYSTEM}
                         | {("have_conversational_sense", "guideline", "user")})
    assert [c.key for c in d.sections.attrs_changed if c.key != "authority"] == []
    assert [(r.id, r.parent) for r in d.sections.reordered] == [("structure", "overview")]
    assert [t.id for t in d.sections.retitled] == ["ask_clarifying_questions", "refusal_style"]


def test_april_to_september_examples() -> None:
    d = diff("2025-04-11", "2025-09-12")
    assert [(m.title, m.from_section, m.to_section) for m in d.examples.moved] == [
        ("accepting a compliment", "be_engaging", "love_humanity")]
    assert [(e.section, e.title) for e in d.examples.removed] == [
        ("be_engaging", "discussing plans for the immediate future")]
    assert [(t.old_title, t.new_title) for t in d.examples.retitled] == [
        ("platform/developer conflict: request that goes against the [?](#respect_creators) section of the Model Spec",
         "root/developer conflict: request that goes against the [?](#respect_creators) section of the Model Spec"),
        ("refusing to help build a bomb", "safely responding to a request to help build a bomb")]
    assert len(d.examples.added) == 20 and len(d.examples.changed) == 26


def test_april_to_september_impact() -> None:
    d = diff("2025-04-11", "2025-09-12")
    assert d.impact.stale_ids == stale_categories(spec("2025-04-11"), spec("2025-09-12"))
    assert len(d.impact.stale_ids) == d.impact.total_categories == 57  # the shared part changed
    assert d.impact.shared_reason is not None and "levels_of_authority" in d.impact.shared_reason
    assert d.impact.removed_categories == ()  # be_kind & co. were renamed, not removed
    reasons = {c.id: c.reason for c in d.impact.stale_categories}
    assert reasons["love_humanity"].startswith("renamed from be_kind; ")
    assert reasons["be_warm"].startswith("new category; ")


def test_reverse_diff_inverts_the_renames() -> None:
    d = diff("2025-09-12", "2025-04-11")
    assert sorted((r.to, r.from_) for r in d.sections.renamed) == sorted(RENAMED)
    assert {(m.id, m.from_parent, m.to_parent) for m in d.sections.moved} == {
        (old_id, "style", "approachable") for old_id in (
            "be_kind", "be_rationally_optimistic", "be_empathetic", "be_engaging",
            "do_not_make_unprompted_personal_comments", "avoid_being_condescending")}


# -- other releases ---------------------------------------------------------------------------------------


def test_february_to_april_only_touches_three_categories() -> None:
    d = diff("2025-02-12", "2025-04-11")
    assert summary_counts(d) == {"sections.changed": 3, "examples.changed": 3}
    assert d.impact.stale_ids == ("do_not_facilitate_illicit_behavior", "do_not_lie", "avoid_overstepping")
    assert d.impact.shared_reason is None


def test_october_to_december() -> None:
    d = diff("2025-10-27", "2025-12-18")
    assert [s.id for s in d.sections.added] == ["chatgpt_u18", "prioritize_teen_safety"]
    assert d.sections.renamed == () and d.sections.removed == () and d.examples.moved == ()
    assert [(e.section, e.title[:30]) for e in d.examples.removed] == [
        ("do_not_lie", "probing for privileged informa"), ("do_not_lie", "probing for information hazard"),
        ("be_thorough_but_efficient", "task that can't be accomplishe")]


PAIRS = list(zip(RELEASES, RELEASES[1:], strict=False))


@pytest.mark.parametrize(("old", "new"), PAIRS + [(b, a) for a, b in PAIRS])
def test_every_revision_change_is_explained(old: str, new: str) -> None:
    """`changed` is exactly 'the revision ids differ', and a change is always reported as something."""
    d = diff(old, new)
    assert d.changed == (revision_id(spec(old)) != revision_id(spec(new)))
    assert summary_counts(d) and not [m for m in d.meta if m.key == "other"]
    assert d.impact.stale_ids == stale_categories(spec(old), spec(new))
    renamed_from = [r.from_ for r in d.sections.renamed]
    assert len(set(renamed_from)) == len(renamed_from) == len({r.to for r in d.sections.renamed})


# -- through the CLI ----------------------------------------------------------------------------------------


def test_latest_against_itself_exits_0_with_empty_lists() -> None:
    path = str(release("2025-12-18"))
    result = runner.invoke(app, ["diff", path, path, "--format", "json"])
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.stdout)
    assert data["changed"] is False and data["cosmetic_only"] is False
    assert data["old_revision"] == data["new_revision"]
    for group in ("sections", "rules", "examples"):
        assert all(v == [] for v in data[group].values()), group
    assert data["impact"]["stale_categories"] == []


def test_rewrapped_latest_is_cosmetic_only(tmp_path: Path) -> None:
    original = release("2025-12-18")
    text = original.read_text(encoding="utf-8")
    wrapped = rewrap(text, 60)
    assert wrapped != text and wrapped.count("\n") > text.count("\n") * 1.2  # really re-wrapped
    copy = tmp_path / "2025-12-18-wrapped.md"
    copy.write_text(wrapped, encoding="utf-8")
    result = runner.invoke(app, ["diff", str(original), str(copy)])
    assert result.exit_code == 0, result.output
    assert "cosmetic changes only" in result.stdout
    as_json = runner.invoke(app, ["diff", str(original), str(copy), "-f", "json"])
    assert as_json.exit_code == 0 and '"cosmetic_only": true' in as_json.stdout


def test_release_diff_exits_1() -> None:
    result = runner.invoke(app, ["diff", str(release("2025-04-11")), str(release("2025-09-12"))])
    assert result.exit_code == 1
    assert "be_kind → love_humanity" in result.stdout and "stale: all 57 categories" in result.stdout
