"""Flags: a change in force (authority, response, a lost rule or category) is flagged, as data and first in every
report; a risk (the policy may have got weaker) stands out from a notable change, and a harmless edit is not
flagged at all. One edit at a time on `fixtures/diff/base.md`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spec_lang import Spec, parse
from spec_lang.diff import diff_specs, render_json, render_markdown, render_text, summary_line
from spec_lang.report_html import render_html
from tests.spec_lang.diff_helpers import edit
from trainer.cli import app

BASE = (Path(__file__).parent / "fixtures" / "diff" / "base.md").read_text(encoding="utf-8")
PRIVACY = BASE[BASE.index("## Privacy {#privacy"):BASE.index("## Legacy notes")]


def spec(text: str, name: str) -> Spec:
    return parse(text, name).spec


Flagged = tuple[str, str, str, str | None]
"""(code, severity, section, rule)."""

# id, replacements, the flags expected (in order)
CASES: list[tuple[str, tuple[tuple[str, str], ...], list[Flagged]]] = [
    ("authority lowered", (("authority=developer", "authority=guideline"),),
     [("authority_lowered", "risk", "privacy", None)]),
    ("root lowered to system", (("authority=root}", "authority=system}"),),
     [("authority_lowered", "risk", "weapons", None)]),
    ("authority removed", ((" authority=developer", ""),), [("authority_removed", "risk", "privacy", None)]),
    ("authority raised", (("authority=developer", "authority=root"),),
     [("authority_raised", "notable", "privacy", None)]),
    ("root renamed platform (the same level)", (("authority=root}", "authority=platform}"),), []),
    ("authority set on a section without one", (("{#legacy_notes}", "{#legacy_notes authority=user}"),),
     [("authority_added", "notable", "legacy_notes", None)]),
    ("response relaxed", (("### Disallowed\n\n- {#privacy.r1}", "### Allowed\n\n- {#privacy.r1}"),),
     [("response_relaxed", "risk", "privacy", "privacy.r1")]),
    ("response tightened", (("### Allowed\n\n- {#weapons.a1}", "### Safe completion\n\n- {#weapons.a1}"),),
     [("response_tightened", "notable", "weapons", "weapons.a1")]),
    ("refuse rule removed", (("- {#weapons.r2} Do not help anyone acquire weapons illegally, for example through "
                              "straw purchases.\n", ""),),
     [("restriction_removed", "risk", "weapons", "weapons.r2")]),
    ("comply rule removed", (("### Allowed\n\n- {#weapons.a1} Explain the history and the law of firearms.\n\n", ""),),
     [("rule_removed", "notable", "weapons", "weapons.a1")]),
    ("category removed, its rule in the same flag", ((PRIVACY, ""),),
     [("category_removed", "risk", "privacy", None)]),
    ("no longer a category", (("{#privacy kind=category", "{#privacy kind=general"),),
     [("category_removed", "risk", "privacy", None)]),
    ("lowered and relaxed: risks first, then notable",
     (("authority=root}", "authority=user}"), ("authority=developer", "authority=root"),
      ("### Disallowed\n\n- {#privacy.r1}", "### Allowed\n\n- {#privacy.r1}")),
     [("authority_lowered", "risk", "weapons", None), ("response_relaxed", "risk", "privacy", "privacy.r1"),
      ("authority_raised", "notable", "privacy", None)]),
    # harmless edits: never flagged
    ("section reworded", (("trigger locks, gun safes", "trigger locks, cable locks, gun safes"),), []),
    ("shared text reworded", (("Read the category that matches", "Read the one category that matches"),), []),
    ("rule reworded, same response", (("through straw purchases", "through straw purchases or theft"),), []),
    ("comply rule added",
     (("- {#weapons.a1}", "- {#weapons.a2} Explain how to buy a rifle legally.\n- {#weapons.a1}"),),
     [("allowance_added", "notable", "weapons", "weapons.a2")]),
    ("rule renamed", (("{#weapons.r2}", "{#weapons.r9}"),), []),
    ("rule added", (("- {#weapons.r2}", "- {#weapons.r3} Do not explain how to convert a rifle to automatic "
                     "fire.\n- {#weapons.r2}"),), []),
    ("section retitled", (("## Privacy {#privacy", "## Personal data {#privacy"),), []),
    ("section renamed", (("{#legacy_notes}", "{#archive_notes}"),), []),
    ("example changed", (("in the fifteenth century", "in the late fifteenth century"),), []),
    ("metadata changed", (("version: 1.0.0", "version: 1.1.0"),), []),
    ("bold added", (("is always fine", "is **always** fine"),), []),
]


@pytest.mark.parametrize(("name", "pairs", "expected"), CASES, ids=[c[0] for c in CASES])
def test_flags(name: str, pairs: tuple[tuple[str, str], ...], expected: list[Flagged]) -> None:
    result = diff_specs(spec(BASE, "old.md"), spec(edit(BASE, *pairs), "new.md"))
    assert result.changed
    assert [(f.code, f.severity, f.section, f.rule) for f in result.flags] == expected
    assert result.risky == any(severity == "risk" for _, severity, _, _ in expected)
    data = json.loads(render_json(result))
    assert [(f["code"], f["severity"], f["section"], f["rule"]) for f in data["flags"]] == expected
    assert data["risky"] is result.risky
    assert all(f["message"] for f in data["flags"])


def test_cosmetic_edit_has_no_flags() -> None:
    rewrapped = edit(BASE, ("quarterly reviews by\nthe policy team", "quarterly\nreviews by the policy team"))
    result = diff_specs(spec(BASE, "old.md"), spec(rewrapped, "new.md"))
    assert not result.changed and result.flags == () and not result.risky


def test_a_category_without_authority_reads_as_root() -> None:
    """SPEC056: a category's rubric reads a missing authority as root; setting a lower one lowers it."""
    old = spec(edit(BASE, (" authority=developer", "")), "old.md")
    lowered = diff_specs(old, spec(BASE, "new.md"))
    assert [(f.code, f.old, f.new) for f in lowered.flags] == [("authority_lowered", None, "developer")]
    assert "none (read as root)" in lowered.flags[0].message
    assert diff_specs(old, spec(edit(BASE, ("authority=developer", "authority=root")), "new.md")).flags == ()


def test_category_removed_counts_its_rules() -> None:
    result = diff_specs(spec(BASE, "old.md"), spec(edit(BASE, (PRIVACY, "")), "new.md"))
    assert [r.id for r in result.rules.removed] == ["privacy.r1"]
    assert result.flags[0].message.startswith("category removed with its 1 rule")


LOWERED = edit(BASE, ("authority=developer", "authority=guideline"), ("trigger locks, gun", "trigger locks, cable "
                                                                     "locks, gun"))


def test_risks_come_first_in_text_and_markdown() -> None:
    result = diff_specs(spec(BASE, "old.md"), spec(LOWERED, "new.md"))
    text = render_text(result).plain
    assert text.index("⚠ Risky changes") < text.index("Sections") < text.index("reworded  weapons_storage")
    assert "  ⚠ section privacy: authority lowered from developer to guideline" in text
    assert "authority ⚠ privacy: developer → guideline" in text  # marked again in its place
    assert "⚠" not in text[text.index("reworded  weapons_storage"):]  # the harmless reword is not marked
    md = render_markdown(result)
    assert md.index("> [!CAUTION]") < md.index("### Sections")
    assert "| ⚠ authority | <code>privacy</code> |" in md
    assert summary_line(result).endswith("; ⚠ risky: authority lowered")


def test_risks_come_first_and_stand_out_in_html() -> None:
    old, new = spec(BASE, "old.md"), spec(LOWERED, "new.md")
    html = render_html(diff_specs(old, new), old, new)
    banner = html.index('<section class="flags risk">')
    assert banner < html.index('<section class="tiles">') < html.index('<section class="impact">')
    assert '<span class="status risk">⚠ 1 risky</span>' in html
    assert '<span class="badge risk">authority lowered</span> <code>privacy</code>' in html
    assert '<li class="change risk"><span class="badge risk">⚠ authority</span> <code>privacy</code>' in html
    assert '<span class="badge changed">reworded</span> <code>weapons_storage</code>' in html  # not flagged


def test_raised_authority_is_notable_not_risky_in_html() -> None:
    old, new = spec(BASE, "old.md"), spec(edit(BASE, ("authority=developer", "authority=root")), "new.md")
    html = render_html(diff_specs(old, new), old, new)
    assert '<section class="flags notable">' in html and "flags risk" not in html and "status risk" not in html
    assert '<li class="change notable"><span class="badge notable">authority</span>' in html


def test_cli_json_has_the_flags(tmp_path: Path) -> None:
    (tmp_path / "old.md").write_text(BASE, encoding="utf-8")
    (tmp_path / "new.md").write_text(LOWERED, encoding="utf-8")
    result = CliRunner().invoke(app, ["diff", str(tmp_path / "old.md"), str(tmp_path / "new.md"), "--json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["risky"] is True
    assert data["flags"] == [{"code": "authority_lowered", "severity": "risk", "section": "privacy", "rule": None,
                              "old": "developer", "new": "guideline", "message": "authority lowered from developer "
                              "to guideline: lower-authority instructions may now override the section"}]


@pytest.mark.parametrize(("new_text", "fail_on", "code"), [
    (LOWERED, "risk", 1), (LOWERED, "change", 1),
    (edit(BASE, ("authority=developer", "authority=root")), "risk", 0),  # notable only: passes the risk gate
    (edit(BASE, ("authority=developer", "authority=root")), "change", 1),
])
def test_fail_on_risk_gates_only_risky_changes(tmp_path: Path, new_text: str, fail_on: str, code: int) -> None:
    (tmp_path / "old.md").write_text(BASE, encoding="utf-8")
    (tmp_path / "new.md").write_text(new_text, encoding="utf-8")
    result = CliRunner().invoke(app, ["diff", str(tmp_path / "old.md"), str(tmp_path / "new.md"), "--fail-on",
                                      fail_on])
    assert result.exit_code == code, result.output
