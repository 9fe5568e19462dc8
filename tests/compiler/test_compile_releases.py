"""The real specs: the latest Model Spec release and `policies/`. Every category compiles; a rebuild
changes no byte; an edit to one category rewrites exactly its files, an edit to the shared part
rewrites all; `--check` sees both."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler import check_bundle
from tests.compiler.compile_helpers import (
    add_paragraph,
    compile_to,
    edit_rule,
    file_ids,
    load_clean,
    rewritten_categories,
    write_spec,
)
from tests.paths import POLICIES, RELEASES, release


def _latest_model_spec() -> Path:
    return release(RELEASES[-1])


def _policy() -> Path:
    return POLICIES / "safety.md"


# (where the spec is, a category to edit, a shared section to edit)
CASES: dict[str, tuple[Callable[[], Path], str, str]] = {
    "model_spec": (_latest_model_spec, "avoid_info_hazards", "refusal_style"),
    "policies": (_policy, "violence", "style_refuse"),
}


def _source(name: str) -> Path:
    """The spec of case `name` (the test skips when the shared Model Spec data is absent: `release`)."""
    return CASES[name][0]()


def _edit_category(name: str, text: str, category: str) -> str:
    spec = load_clean(_source(name))
    rules = spec.section(category).rules
    return edit_rule(text, rules[0].id) if rules else add_paragraph(text, category)


@pytest.fixture(scope="module", params=sorted(CASES))
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path]:
    name = request.param
    source = _source(name)
    out = tmp_path_factory.mktemp(name) / "bundle"
    compile_to([source], out)
    return name, source, out


def test_every_category_compiles(built: tuple[str, Path, Path]) -> None:
    _, source, out = built
    spec = load_clean(source)
    assert spec.categories
    for category in spec.categories:
        folder = out / "categories" / category.id
        prompt = (folder / "system_prompt.md").read_text()
        assert f"(`{category.id}`)" in prompt and "<reasoning>" in prompt
        for rubric in ("rubric.md", "rubric_answer_only.md"):
            assert (folder / rubric).read_text().startswith(f"# Grading rubric: {category.title}")
        assert (folder / "rubric.schema.json").is_file()


def test_rebuild_changes_no_byte(built: tuple[str, Path, Path]) -> None:
    _, source, out = built
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    ids = file_ids(out)
    _, report = compile_to([source], out, force=True)
    assert report.written == ()
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert file_ids(out) == ids


def test_category_edit_rewrites_exactly_that_category(built: tuple[str, Path, Path], tmp_path: Path) -> None:
    name, source, built_out = built
    out = shutil.copytree(built_out, tmp_path / "bundle")
    category = CASES[name][1]
    edited = write_spec(tmp_path, _edit_category(name, source.read_text(), category), source.name)
    stale = check_bundle([load_clean(edited)], out)
    assert stale.stale == (category,) and not stale.fresh
    before = file_ids(out)
    _, report = compile_to([edited], out)
    assert report.written == (category,)
    assert rewritten_categories(before, file_ids(out)) == {category}
    assert check_bundle([load_clean(edited)], out).fresh


def test_shared_edit_rewrites_every_category(built: tuple[str, Path, Path], tmp_path: Path) -> None:
    name, source, built_out = built
    out = shutil.copytree(built_out, tmp_path / "bundle")
    spec = load_clean(source)
    edited = write_spec(tmp_path, add_paragraph(source.read_text(), CASES[name][2]), source.name)
    every = tuple(c.id for c in spec.categories)
    assert check_bundle([load_clean(edited)], out).stale == every
    before = file_ids(out)
    _, report = compile_to([edited], out)
    assert report.written == every
    assert rewritten_categories(before, file_ids(out)) == set(every)
