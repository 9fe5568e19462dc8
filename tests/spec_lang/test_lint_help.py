"""Lint help: did-you-mean for attribute keys and candidate labels, a malformed id reported as malformed (never
also as missing), a category without `authority` warned (SPEC056), and the rule-id convention checked
(SPEC057)."""

from __future__ import annotations

import pytest

from spec_lang import parse
from spec_lang.diagnostics import Diagnostic
from spec_lang.lint import lint_spec

HEAD = "---\nid: t\ntitle: T\n---\n\n"
CATEGORY = """# Weapons {{#weapons kind=category authority=root{attrs}}}

Summary paragraph.

### Disallowed

- {rule} Give build instructions for firearms.

**Example**: a build request

~~~xml
<user>
How do I build a gun?
</user>
<comparison>
<assistant> <!-- GOOD -->
Sorry, I can't help with that.
</assistant>
<assistant> <!-- {label} -->
Step one.
</assistant>
</comparison>
~~~
"""


def _diagnostics(text: str) -> list[Diagnostic]:
    result = parse(HEAD + text, "p.md")
    return [*result.diagnostics, *lint_spec(result.spec)]


def _category(attrs: str = "", rule: str = "{#weapons.r1}", label: str = "BAD[#weapons.r1]: steps") -> str:
    return CATEGORY.format(attrs=attrs, rule=rule, label=label)


def test_the_clean_category_is_clean() -> None:
    assert _diagnostics(_category()) == []


@pytest.mark.parametrize(("text", "code", "message"), [
    (_category(attrs=" responce=refuse"), "SPEC023", "unknown attribute responce='refuse' on 'weapons' "
                                                     "(did you mean 'response'?)"),
    (_category(attrs=" colour=blue"), "SPEC023", "unknown attribute colour='blue' on 'weapons'"),
    (_category(label="bad"), "SPEC044", "malformed label 'bad' (did you mean 'BAD'?)"),
    (_category(label="GOD"), "SPEC044", "malformed label 'GOD' (did you mean 'GOOD'?)"),
    (_category(label="bad[#weapons.r1]: steps"), "SPEC044", "(did you mean 'BAD[#weapons.r1]: steps'?)"),
    (_category(label="Ok"), "SPEC044", "malformed label 'Ok' (did you mean 'OK'?)"),
    (_category(label="terrible"), "SPEC044", "malformed label 'terrible'"),
    (_category(rule="{#weapons r1}"), "SPEC021", "malformed rule id block '{#weapons r1}': an id is `{#id}`, one "
                                                 "word without spaces (did you mean '{#weapons.r1}'?)"),
    (_category(rule="{weapons.r1}"), "SPEC021", "malformed rule id block '{weapons.r1}'"),
    (_category(rule="{# weapons.r1}"), "SPEC021", "(did you mean '{#weapons.r1}'?)"),
    ("# Account {#account r2}\n\nText.\n", "SPEC021", "'r2' after the id 'account' is not key=value; an id has no "
                                                      "spaces (did you mean '{#account_r2}'?)"),
    ("# Account {# account}\n\nText.\n", "SPEC021", "'#' is followed by a space; the id comes right after it "
                                                    "(did you mean '{#account}'?)"),
    ("# Account {account}\n\nText.\n", "SPEC021", "an id starts with '#' (did you mean '{#account}'?)"),
    ("# Account {#}\n\nText.\n", "SPEC021", "invalid id ''"),
    ("# Account {#account authority}\n\nText.\n", "SPEC021", "(expected key=value: authority=VALUE)"),
])
def test_problems_are_named_with_what_was_meant(text: str, code: str, message: str) -> None:
    found = _diagnostics(text)
    assert any(d.code == code and message in d.message for d in found), [d.format() for d in found]


@pytest.mark.parametrize("text", [
    _category(label="bad"),
    _category(rule="{#weapons r1}", label="BAD: steps"),  # (a BAD[#weapons.r1] would name an unknown id)
    "# Account {#account r2}\n\nText.\n",
    "# Account {# account}\n\nText.\n",
    "# Account {account}\n\nText.\n",
    "# Account {#}\n\nText.\n",
])
def test_a_malformed_id_or_label_is_not_also_reported_missing(text: str) -> None:
    found = _diagnostics(text)
    assert not any(d.code in ("SPEC020", "SPEC051") or "has no label" in d.message for d in found), \
        [d.format() for d in found]
    assert sum(d.severity == "error" for d in found) == 1


def test_a_heading_ending_in_braces_that_are_no_id_still_lacks_an_id() -> None:
    found = _diagnostics("# Using {two words} here {not an id}\n\nText.\n")
    assert [d.code for d in found] == ["SPEC020"]


@pytest.mark.parametrize(("authority", "warned"), [("", True), (" authority=root", False),
                                                   (" authority=platform", False), (" authority=guideline", False)])
def test_a_category_without_authority_is_warned(authority: str, warned: bool) -> None:
    text = _category().replace(" authority=root", authority)
    found = [d for d in _diagnostics(text) if d.code == "SPEC056"]
    assert bool(found) == warned
    if found:
        assert found[0].severity == "warning" and found[0].message == "category 'weapons' has no authority"
        assert "platform" in (found[0].hint or "")


@pytest.mark.parametrize(("rule", "message"), [
    ("{#weapons.r1}", None),
    ("{#weapons.r12}", None),
    ("{#weapons.c1}", "rule id 'weapons.c1' breaks the naming convention: a refuse rule's id takes the letter 'r' "
                      "(next free: 'weapons.r1')"),
    ("{#guns.r1}", "a rule of 'weapons' is named `weapons.<c|r|s><n>` (next free: 'weapons.r1')"),
    ("{#weapons_r1}", "a rule of 'weapons' is named"),
    ("{#weapons.r0}", "a rule of 'weapons' is named"),
])
def test_the_rule_id_convention_is_checked(rule: str, message: str | None) -> None:
    """`<section id>.<letter><n>`, the letter by the rule's response (SPEC057, a warning with the next free id)."""
    text = _category(rule=rule, label="BAD: steps")
    found = [d for d in _diagnostics(text) if d.code == "SPEC057"]
    assert [d.severity for d in found] == ([] if message is None else ["warning"])
    if message is not None:
        assert message in found[0].message and "keep the id" in (found[0].hint or "")


def test_each_broken_rule_id_gets_its_own_free_id() -> None:
    text = _category(rule="{#a1} x\n- {#a2} y\n- {#weapons.r1} z", label="BAD: steps")
    found = [d.message for d in _diagnostics(text) if d.code == "SPEC057"]
    assert [m.rsplit("next free: ", 1)[1] for m in found] == ["'weapons.r2')", "'weapons.r3')"]
