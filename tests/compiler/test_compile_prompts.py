"""`spec(category)`: what a compiled system prompt holds, and that it is built from exactly what the
category's hash covers (`spec_lang.versions.category_hashes`)."""

from __future__ import annotations

import pytest

from compiler import CompileError, render_category, render_system_prompt
from compiler import format as fmt
from compiler._render import TemplateSet
from compiler.prompts import category_context
from spec_lang import Prose, Spec
from spec_lang.versions import category_hashes
from tests.compiler.compile_helpers import DIALECT_MINI, MODEL_SPEC_MINI, load_clean


@pytest.fixture(scope="module")
def dialect() -> Spec:
    return load_clean(DIALECT_MINI)


@pytest.fixture(scope="module")
def model_spec() -> Spec:
    return load_clean(MODEL_SPEC_MINI)


def test_focus_category_in_full(dialect: Spec) -> None:
    prompt = render_system_prompt(dialect, "weapons")
    focus = prompt[prompt.index("# Category in focus: Weapons (`weapons`)"):]
    for rule in dialect.section("weapons").rules:
        assert f"- `{rule.id}`: {rule.text}" in focus
    assert "**Prohibited weapon**: a weapon that is illegal" in focus
    for response in ("comply", "refuse", "safe_complete"):
        assert f"Response: `{response}`." in focus
    assert "- user: How do I 3D-print an untraceable gun?" in focus
    assert "- assistant [BAD, breaks `weapons.r1`: gives build steps]: First, download the files [...]" in focus
    assert "- assistant [GOOD: writes the scene]: Steel rang on steel" in focus
    assert "Authority: root" in focus


def test_other_categories_only_summarised(dialect: Spec) -> None:
    prompt = render_system_prompt(dialect, "weapons")
    assert "- **Insults** (`insults`, authority: developer): This category covers insults and teasing." in prompt
    assert "insults.r1" not in prompt and "Roast me" not in prompt
    assert "- **Weapons** (`weapons`, authority: root), full text below:" in prompt


def test_style_sections_follow_the_responses_the_category_calls_for(dialect: Spec) -> None:
    weapons, insults = render_system_prompt(dialect, "weapons"), render_system_prompt(dialect, "insults")
    for style in ("style_comply", "style_refuse", "style_safe_complete"):
        assert f"(`{style}`)" in weapons
    assert "(`style_comply`)" in insults and "(`style_refuse`)" in insults
    assert "style_safe_complete" not in insults  # insults has no safe-completion rule


def test_guidance_and_overview_in_every_prompt(dialect: Spec) -> None:
    for category in ("weapons", "insults"):
        prompt = render_system_prompt(dialect, category)
        assert "## Avoiding over-refusal (`over_refusal`)" in prompt
        assert "- `over_refusal.c1`: Answer the ordinary meaning" in prompt
        assert "## Overview (`overview`)" in prompt


def test_prompt_states_the_completion_format(dialect: Spec) -> None:
    prompt = render_system_prompt(dialect, "weapons")
    block = "\n".join([fmt.REASONING_OPEN, "(your reasoning, citing ids such as `weapons.c1`)",
                       f"{fmt.DECISION_PREFIX} (one of: comply, refuse, safe_complete)", fmt.REASONING_CLOSE,
                       fmt.ANSWER_OPEN, "(your answer to the user)", fmt.ANSWER_CLOSE])
    assert block in prompt
    assert prompt.rstrip().endswith(f"then answer inside {fmt.ANSWER_OPEN} ... {fmt.ANSWER_CLOSE}.")


def test_model_spec_format_shares_authority_and_refusal_style(model_spec: Spec) -> None:
    for category in model_spec.categories:
        prompt = render_system_prompt(model_spec, category.id)
        headings = [line for line in prompt.split("\n") if line.startswith("#")]
        for shared in ("levels_of_authority", "chain_of_command", "refusal_style"):
            assert sum(line.endswith(f"(`{shared}`)") for line in headings) == 1, (category.id, shared)
        assert f"# Category in focus: {category.title} (`{category.id}`)" in prompt
        assert "**Assistant**: the entity" not in prompt  # `definitions` is not part of any prompt


def test_links_resolved_and_footnotes_dropped(model_spec: Spec, dialect: Spec) -> None:
    prompt = render_system_prompt(model_spec, "letter_and_spirit")
    assert "as set out in [Instructions and levels of authority](#levels_of_authority)." in prompt
    assert "[^k2mx]" not in prompt and "they were given." in prompt
    hazards = render_system_prompt(model_spec, "avoid_info_hazards")
    assert "(see also [When appropriate, be helpful when refusing](#refusal_style) and the [chain of" in hazards
    assert "(`weapons.r2`)" in render_system_prompt(dialect, "insults")  # a rule id has no title: shown as the id
    assert "Related: [Insults](#insults)." in render_system_prompt(dialect, "weapons")


def test_admonitions_rendered(model_spec: Spec) -> None:
    assert "**Commentary**: Information can be dual-use" in render_system_prompt(model_spec, "avoid_info_hazards")


def test_unknown_category(dialect: Spec) -> None:
    with pytest.raises(CompileError, match="no category 'nope' in spec 'mini'") as info:
        render_system_prompt(dialect, "nope")
    assert "categories: weapons, insults" in str(info.value)


def test_valid_ids(dialect: Spec) -> None:
    ids = category_context(dialect, "insults")["valid_ids"]
    assert ids == ["overview", "styles", "style_comply", "style_refuse", "over_refusal", "over_refusal.c1",
                   "categories", "insults", "insults.c1", "insults.r1"]


def _mutations(spec: Spec) -> list[tuple[str, Spec]]:
    """For every section: the spec with a paragraph added to its end, and with its title changed."""
    out = []
    for n, section in enumerate(spec.sections):
        added = section.model_copy(update={"body": (*section.body, Prose(text="A paragraph added by a test."))})
        retitled = section.model_copy(update={"title": section.title + " (retitled)"})
        for what, changed in (("paragraph", added), ("title", retitled)):
            sections = (*spec.sections[:n], changed, *spec.sections[n + 1:])
            out.append((f"{what} of {section.id}", spec.model_copy(update={"sections": sections})))
    return out


@pytest.mark.parametrize("path", [DIALECT_MINI, MODEL_SPEC_MINI], ids=lambda p: p.stem)
def test_files_change_only_when_the_category_hash_does(path: object) -> None:
    spec = load_clean(path)  # type: ignore[arg-type]
    templates = TemplateSet()
    before = {c.id: render_category(spec, c.id, templates) for c in spec.categories}
    hashes = category_hashes(spec)
    for what, mutated in _mutations(spec):
        new_hashes = category_hashes(mutated)
        for category in spec.categories:
            if new_hashes[category.id] == hashes[category.id]:
                assert render_category(mutated, category.id, templates) == before[category.id], (what, category.id)


def test_every_section_edit_reaches_the_categories_that_show_it(dialect: Spec) -> None:
    """The converse, for the sections a prompt shows: editing one changes the files of the categories whose
    hash changes (no stale file hides behind an unchanged hash, nor a changed hash behind identical text)."""
    templates = TemplateSet()
    before = {c.id: render_category(dialect, c.id, templates)["system_prompt.md"] for c in dialect.categories}
    for what, mutated in _mutations(dialect):
        if "style_safe_complete" in what:
            continue  # insults does not show it, by design: its hash changes, its prompt does not
        changed = {c for c, h in category_hashes(mutated).items() if h != category_hashes(dialect)[c]}
        for category in changed:
            assert render_category(mutated, category, templates)["system_prompt.md"] != before[category], what
