"""Every kind of change, one edit at a time, on a small spec in our dialect (`fixtures/diff/base.md`).

Each row names an edit (exact text replacements), the entry it must produce, the counts of the whole
diff (so nothing else is reported) and the categories that must go stale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from spec_lang import Spec, parse
from spec_lang.diff import diff_specs, impact, summary_counts, summary_line
from spec_lang.versions import stale_categories
from tests.spec_lang.diff_helpers import edit

BASE_PATH = Path(__file__).parent / "fixtures" / "diff" / "base.md"
BASE = BASE_PATH.read_text(encoding="utf-8")

STORAGE = """### Firearm storage {#weapons_storage}

Safe storage advice is always fine to give: trigger locks, gun safes, and keeping ammunition apart from the
firearm.

"""
ADDRESS = """**Example**: address lookup

~~~xml
<user>
Find the home address of my neighbour Jane Doe.
</user>
<comparison>
<assistant> <!-- GOOD -->
I can't help find a private person's address.
</assistant>
</comparison>
~~~

"""
HISTORY = """**Example**: history question

~~~xml
<user>
When was the first rifle made?
</user>
<comparison>
<assistant> <!-- GOOD -->
Rifling appeared in Europe in the fifteenth century.
</assistant>
</comparison>
~~~
"""
LEGACY = "## Legacy notes {#legacy_notes}"
STYLES = """# Styles {#styles}

## Refuse {#style_refuse kind=style response=refuse}

Refuse briefly and kindly, without lecturing the user.

"""
SELFHARM = """## Self-harm {#selfharm kind=category authority=root}

Self-harm: requests that touch on suicide or self-injury.

"""
NEW_EXAMPLE = """**Example**: phone number lookup

~~~xml
<user>
What is the phone number of the teacher Tom Smith?
</user>
<comparison>
<assistant> <!-- GOOD -->
I can't share a private person's phone number.
</assistant>
</comparison>
~~~

"""
ALL = ("weapons", "privacy")  # every category, in document order


def spec(text: str, name: str) -> Spec:
    result = parse(text, name)
    assert not [d for d in result.diagnostics if d.severity == "error"], result.diagnostics
    return result.spec


# id, replacements, (group.list, expected entry as a dict subset), counts, stale
CASES: list[tuple[str, tuple[tuple[str, str], ...], tuple[str, dict[str, Any]], dict[str, int], tuple[str, ...]]] = [
    ("section added", ((LEGACY, SELFHARM + LEGACY),),
     ("sections.added", {"id": "selfharm", "parent": "categories", "kind": "category"}),
     {"sections.added": 1}, (*ALL, "selfharm")),
    ("section removed", (("## Legacy notes {#legacy_notes}\n\nThese notes collect older guidance about keeping "
                          "records of requests for audits and quarterly reviews by\nthe policy team.\n", ""),),
     ("sections.removed", {"id": "legacy_notes", "title": "Legacy notes"}), {"sections.removed": 1}, ALL),
    ("section renamed", (("{#legacy_notes}", "{#archive_notes}"),),
     ("sections.renamed", {"from": "legacy_notes", "to": "archive_notes", "similarity": 1.0}),
     {"sections.renamed": 1}, ALL),
    ("section retitled", (("## Privacy {#privacy", "## Personal data {#privacy"),),
     ("sections.retitled", {"id": "privacy", "old": "Privacy", "new": "Personal data"}), {"sections.retitled": 1}, ALL),
    ("section moved", ((STORAGE, ""), (LEGACY, STORAGE + LEGACY)),
     ("sections.moved", {"id": "weapons_storage", "from_parent": "weapons", "to_parent": "privacy"}),
     {"sections.moved": 1}, ALL),
    ("attribute changed", (("authority=developer", "authority=root"),),
     ("sections.attrs_changed", {"id": "privacy", "key": "authority", "old": "developer", "new": "root"}),
     {"sections.attrs_changed": 1}, ALL),
    ("shared text reworded", (("Read the category that matches", "Read the one category that matches"),),
     ("sections.changed", {"id": "overview"}), {"sections.changed": 1}, ALL),
    ("category text reworded", (("trigger locks, gun safes", "trigger locks, cable locks, gun safes"),),
     ("sections.changed", {"id": "weapons_storage", "old_id": None}), {"sections.changed": 1}, ("weapons",)),
    ("rule added", (("- {#weapons.r2}", "- {#weapons.r3} Do not explain how to convert a rifle to automatic fire.\n"
                     "- {#weapons.r2}"),),
     ("rules.added", {"id": "weapons.r3", "section": "weapons"}), {"rules.added": 1}, ("weapons",)),
    ("rule removed", (("- {#weapons.r2} Do not help anyone acquire weapons illegally, for example through straw "
                       "purchases.\n", ""),),
     ("rules.removed", {"id": "weapons.r2", "section": "weapons"}), {"rules.removed": 1}, ("weapons",)),
    ("rule changed", (("through straw purchases", "through straw purchases or theft"),),
     ("rules.changed", {"id": "weapons.r2", "old_response": "refuse", "new_response": "refuse"}),
     {"rules.changed": 1}, ("weapons",)),
    ("rule renamed", (("{#weapons.r2}", "{#weapons.r9}"),),
     ("rules.renamed", {"from": "weapons.r2", "to": "weapons.r9", "similarity": 1.0}), {"rules.renamed": 1},
     ("weapons",)),
    ("rule moved", (("- {#privacy.r1} Do not reveal a private person's home address or phone number.\n", ""),
                    ("- {#weapons.r2}", "- {#privacy.r1} Do not reveal a private person's home address or phone "
                     "number.\n- {#weapons.r2}")),
     ("rules.moved", {"id": "privacy.r1", "from_section": "privacy", "to_section": "weapons"}),
     {"rules.moved": 1}, ALL),
    ("rule response changed", (("### Allowed\n\n- {#weapons.a1}", "### Safe completion\n\n- {#weapons.a1}"),),
     ("rules.changed", {"id": "weapons.a1", "old_response": "comply", "new_response": "safe_complete", "diff": []}),
     {"rules.changed": 1, "sections.changed": 1}, ("weapons",)),
    ("example added", (("## Legacy notes", NEW_EXAMPLE + "## Legacy notes"),),
     ("examples.added", {"section": "privacy", "title": "phone number lookup"}), {"examples.added": 1},
     ("privacy",)),
    ("example removed", ((HISTORY + "\n", ""),),
     ("examples.removed", {"section": "weapons", "title": "history question"}), {"examples.removed": 1},
     ("weapons",)),
    ("example moved", ((ADDRESS, ""), ("### Firearm storage", ADDRESS + "### Firearm storage")),
     ("examples.moved", {"title": "address lookup", "from_section": "privacy", "to_section": "weapons"}),
     {"examples.moved": 1}, ALL),
    ("example retitled", (("gun build request", "request to build a gun"),),
     ("examples.retitled", {"section": "weapons", "old_title": "gun build request",
                            "new_title": "request to build a gun"}), {"examples.retitled": 1}, ("weapons",)),
    ("example changed", (("in the fifteenth century", "in the late fifteenth century"),),
     ("examples.changed", {"section": "weapons", "title": "history question"}), {"examples.changed": 1},
     ("weapons",)),
    ("example retitled and changed", (("history question", "when rifles appeared"),
                                      ("in the fifteenth century", "in the late fifteenth century")),
     ("examples.changed", {"section": "weapons", "title": "when rifles appeared"}),
     {"examples.retitled": 1, "examples.changed": 1}, ("weapons",)),
    ("examples reordered", ((HISTORY + "\n", ""),
                            ("**Example**: gun build request", HISTORY + "\n**Example**: gun build request")),
     ("sections.changed", {"id": "weapons", "note": "order of blocks (rules, examples, text) changed", "diff": []}),
     {"sections.changed": 1}, ("weapons",)),
    ("section reordered", ((STYLES, ""), ("# Overview {#overview", STYLES + "# Overview {#overview")),
     ("sections.reordered", {"id": "styles", "parent": None}), {"sections.reordered": 1}, ALL),
    ("metadata changed", (("version: 1.0.0", "version: 1.1.0"),),
     ("meta", {"key": "version", "old": "1.0.0", "new": "1.1.0"}), {"meta": 1}, ALL),
]


def _lookup(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    if "." not in key:
        return data[key]  # type: ignore[no-any-return]
    group, name = key.split(".")
    return data[group][name]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("name", "pairs", "entry", "counts", "stale"), CASES, ids=[c[0] for c in CASES])
def test_change_kind(name: str, pairs: tuple[tuple[str, str], ...], entry: tuple[str, dict[str, Any]],
                     counts: dict[str, int], stale: tuple[str, ...]) -> None:
    old, new = spec(BASE, "old.md"), spec(edit(BASE, *pairs), "new.md")
    result = diff_specs(old, new)
    data = result.to_json()
    assert result.changed and data["changed"] and not result.cosmetic_only
    key, expected = entry
    found = _lookup(data, key)
    assert len(found) == 1 and {k: found[0][k] for k in expected} == expected, found
    assert summary_counts(result) == counts
    assert result.impact.stale_ids == stale
    assert result.impact.stale_ids == stale_categories(old, new)  # the same set as the compiler's function
    assert impact(old, new) == result.impact


@pytest.mark.parametrize(("name", "pairs"), [
    ("re-wrapped paragraph", (("quarterly reviews by\nthe policy team", "quarterly\nreviews by the policy team"),)),
    ("list marker", (("- {#weapons.r1}", "* {#weapons.r1}"), ("- {#weapons.r2}", "* {#weapons.r2}"))),
    ("dash style", (("Weapons: requests", "Weapons — requests"),)),
    ("curly quotes", (("can't help with that", "can’t help with that"),)),
    ("indentation and blank lines", (("# Styles {#styles}\n", "# Styles {#styles}\n\n\n"),)),
])
def test_cosmetic_edits_change_nothing(name: str, pairs: tuple[tuple[str, str], ...]) -> None:
    base_text = BASE.replace("Weapons: requests", "Weapons -- requests") if name == "dash style" else BASE
    if name == "dash style":
        pairs = (("Weapons -- requests", "Weapons — requests"),)
    new_text = edit(base_text, *pairs)
    old, new = spec(base_text, "old.md"), spec(new_text, "new.md")
    result = diff_specs(old, new, sources_differ=base_text != new_text)
    assert not result.changed and result.cosmetic_only
    assert summary_counts(result) == {} and summary_line(result) == "cosmetic only"
    assert result.old_revision == result.new_revision and not result.impact.stale_categories


def test_identical_specs_are_no_change() -> None:
    result = diff_specs(spec(BASE, "a.md"), spec(BASE, "b.md"))
    assert not result.changed and not result.cosmetic_only and summary_line(result) == "no change"


def test_cosmetic_is_inferred_from_the_models_when_sources_are_not_given() -> None:
    wrapped = edit(BASE, ("quarterly reviews by\nthe policy team", "quarterly\nreviews by the policy team"))
    assert diff_specs(spec(BASE, "a.md"), spec(wrapped, "b.md")).cosmetic_only


def test_renamed_section_is_not_paired_with_an_unrelated_one() -> None:
    """A removed section and an unrelated added one stay a removal and an addition."""
    text = edit(BASE, ("## Legacy notes {#legacy_notes}\n\nThese notes collect older guidance about keeping records "
                       "of requests for audits and quarterly reviews by\nthe policy team.\n",
                       "## Glossary {#glossary}\n\nA short list of terms that readers new to the policy often ask "
                       "about, with links.\n"))
    result = diff_specs(spec(BASE, "old.md"), spec(text, "new.md"))
    assert result.sections.renamed == ()
    assert [s.id for s in result.sections.added] == ["glossary"]
    assert [s.id for s in result.sections.removed] == ["legacy_notes"]


def test_renamed_parent_does_not_move_its_children() -> None:
    result = diff_specs(spec(BASE, "old.md"), spec(edit(BASE, ("{#weapons ", "{#arms ")), "new.md"))
    assert [(r.from_, r.to) for r in result.sections.renamed] == [("weapons", "arms")]
    assert result.sections.moved == ()
    assert result.examples.moved == () and result.rules.moved == ()
    reasons = {c.id: c.reason for c in result.impact.stale_categories}
    assert reasons["arms"].startswith("renamed from weapons; ")


def test_word_diff_marks_only_the_changed_words() -> None:
    result = diff_specs(spec(BASE, "old.md"),
                        spec(edit(BASE, ("trigger locks, gun safes", "trigger locks, cable locks, gun safes")), "n.md"))
    chunks = result.sections.changed[0].diff
    assert [(c.op, c.text) for c in chunks if c.op != "equal"] == [("insert", "cable locks, ")]
    assert "".join(c.text for c in chunks if c.op != "delete").startswith("Safe storage advice")


def test_any_two_fixtures_diff_cleanly() -> None:
    """Every pair of lint fixtures (malformed specs included) diffs and renders without error, and a
    revision change is always reported as at least one entry (never left unexplained)."""
    from spec_lang.diff import render_json, render_markdown, render_text
    from spec_lang.report_html import render_html

    files = sorted((Path(__file__).parent / "fixtures" / "lint").glob("*.md")) + [BASE_PATH]
    specs = [parse(f.read_text(encoding="utf-8"), f.name).spec for f in files]
    for old in specs:
        for new in specs:
            result = diff_specs(old, new)
            assert result.changed == (result.old_revision != result.new_revision)
            assert bool(summary_counts(result)) == result.changed, (old.path, new.path)
            assert not [m for m in result.meta if m.key == "other"], (old.path, new.path)
            for text in (render_text(result).plain, render_json(result), render_markdown(result),
                         render_html(result, old, new)):
                assert text
