"""`check_bundle` (`delib compile --check`): what makes a bundle out of date, decided from hashes alone."""

from __future__ import annotations

from pathlib import Path

from compiler import TemplateSet, check_bundle
from tests.compiler.compile_helpers import (
    DIALECT_MINI,
    MODEL_SPEC_MINI,
    add_paragraph,
    compile_to,
    edit_rule,
    load_clean,
    write_spec,
)


def _check(tmp_path: Path, text: str, templates: TemplateSet | None = None, name: str = "spec.md") -> list[str]:
    result = check_bundle([load_clean(write_spec(tmp_path, text, name))], tmp_path / "bundle", templates)
    assert result.fresh is (result.describe() == [])
    return result.describe()


def test_fresh_bundle(tmp_path: Path) -> None:
    compile_to([DIALECT_MINI], tmp_path / "bundle")
    assert _check(tmp_path, DIALECT_MINI.read_text()) == []


def test_stale_category(tmp_path: Path) -> None:
    compile_to([DIALECT_MINI], tmp_path / "bundle")
    assert _check(tmp_path, edit_rule(DIALECT_MINI.read_text(), "weapons.r2")) == [
        "spec revision changed: mini", "stale categories: weapons"]


def test_style_edit_makes_every_category_stale(tmp_path: Path) -> None:
    compile_to([DIALECT_MINI], tmp_path / "bundle")
    assert _check(tmp_path, add_paragraph(DIALECT_MINI.read_text(), "style_comply")) == [
        "spec revision changed: mini", "stale categories: weapons, insults"]


def test_removed_and_new_categories(tmp_path: Path) -> None:
    compile_to([DIALECT_MINI], tmp_path / "bundle")
    text = DIALECT_MINI.read_text().replace("{#insults kind=category", "{#teasing kind=category").replace(
        "[?](#insults)", "[?](#teasing)").replace("{#insults.", "{#teasing.")
    lines = _check(tmp_path, text)
    assert "new categories: teasing" in lines and "removed categories: insults" in lines
    assert "stale categories: weapons" in lines  # the summaries every prompt shows changed


def test_template_change(tmp_path: Path) -> None:
    compile_to([DIALECT_MINI], tmp_path / "bundle")
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "rubric.md.j2").write_text("{{ category.id }}\n")
    assert _check(tmp_path, DIALECT_MINI.read_text(), TemplateSet(folder)) == [
        "templates changed (every category): rubric.md.j2"]


def test_hand_edits_and_missing_files(tmp_path: Path) -> None:
    compile_to([DIALECT_MINI], tmp_path / "bundle")
    (tmp_path / "bundle" / "categories" / "weapons" / "rubric.md").write_text("edited\n")
    (tmp_path / "bundle" / "categories" / "insults" / "rubric.schema.json").unlink()
    assert _check(tmp_path, DIALECT_MINI.read_text()) == [
        "files missing or edited by hand: categories/weapons/rubric.md (modified), "
        "categories/insults/rubric.schema.json (missing)"]


def test_spec_revision_without_category_change(tmp_path: Path) -> None:
    """Model Spec format: `definitions` is in no prompt, so no category is stale, but the manifest is."""
    compile_to([MODEL_SPEC_MINI], tmp_path / "bundle")
    text = add_paragraph(MODEL_SPEC_MINI.read_text(), "definitions")
    assert _check(tmp_path, text, name="model_spec_mini.md") == ["spec revision changed: spec"]
    _, report = compile_to([write_spec(tmp_path, text, "model_spec_mini.md")], tmp_path / "bundle")
    assert report.written == ()  # only the manifest changes
    assert _check(tmp_path, text, name="model_spec_mini.md") == []


def test_no_bundle(tmp_path: Path) -> None:
    result = check_bundle([load_clean(DIALECT_MINI)], tmp_path / "nowhere")
    assert not result.fresh
    assert result.describe() == [f"{tmp_path / 'nowhere'}: no bundle here (manifest.json is missing)"]
