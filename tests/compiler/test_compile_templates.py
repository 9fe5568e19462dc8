"""Templates: built-in ones render deterministically; user folders override them in a sandbox; a bad
template fails with its own file and line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2.sandbox import SandboxedEnvironment

from compiler import TemplateError, TemplateSet, render_system_prompt
from compiler._render import BUILTIN_DIR
from tests.compiler.compile_helpers import DIALECT_MINI, compile_to, file_ids, load_clean, rewritten_categories


def _user_dir(tmp_path: Path, **templates: str) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    for name, text in templates.items():
        (folder / name.replace("__", ".")).write_text(text, encoding="utf-8")
    return folder


def test_builtin_set() -> None:
    templates = TemplateSet()
    assert sorted(templates.hashes) == ["_policy.md.j2", "_profile.md.j2", "rubric.md.j2", "system_prompt.md.j2"]
    assert not isinstance(templates.env, SandboxedEnvironment)
    spec = load_clean(DIALECT_MINI)
    assert render_system_prompt(spec, "weapons", templates) == render_system_prompt(spec, "weapons", TemplateSet())


def test_user_template_overrides_and_is_sandboxed(tmp_path: Path) -> None:
    folder = _user_dir(tmp_path, system_prompt__md__j2="Policy {{ spec.id }}: focus on {{ category.id }}.\n")
    templates = TemplateSet(folder)
    assert isinstance(templates.env, SandboxedEnvironment)
    assert templates.hashes["system_prompt.md.j2"] != TemplateSet().hashes["system_prompt.md.j2"]
    assert templates.hashes["rubric.md.j2"] == TemplateSet().hashes["rubric.md.j2"]
    assert render_system_prompt(load_clean(DIALECT_MINI), "insults", templates) == "Policy mini: focus on insults.\n"


def test_changed_templates_rewrite_every_category(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    compile_to([DIALECT_MINI], out)
    before = file_ids(out)
    folder = _user_dir(tmp_path, system_prompt__md__j2="Only {{ category.title }}.\n")
    _, report = compile_to([DIALECT_MINI], out, templates=TemplateSet(folder))
    assert report.written == ("weapons", "insults")
    assert rewritten_categories(before, file_ids(out)) == {"weapons", "insults"}
    assert (out / "categories" / "weapons" / "system_prompt.md").read_text() == "Only Weapons.\n"


@pytest.mark.parametrize(
    ("name", "source", "line", "message"),
    [
        ("system_prompt.md.j2", "line one\n{% if category.id %}\nunclosed\n", 3, "template syntax error"),
        ("system_prompt.md.j2", "line one\n{{ category.id }\n", 2, "template syntax error"),
        ("system_prompt.md.j2", "ok\n{{ category.nope }}\n", 2, "has no attribute 'nope'"),
        ("system_prompt.md.j2", "{{ nothing_like_this }}\n", 1, "'nothing_like_this' is undefined"),
        ("system_prompt.md.j2", "a\nb\n{{ spec.__class__ }}\n", 3, "access to attribute '__class__'"),
        ("_policy.md.j2", "{% macro section(s, examples=True) %}\n\n{{ s.missing }}\n{% endmacro %}\n"
         "{% macro blocks(items, examples=True) %}{% endmacro %}\n", 3, "has no attribute 'missing'"),
        ("rubric.md.j2", "{{ 1 + 'a' }}\n", 1, "TypeError"),
    ],
)
def test_bad_template_names_file_and_line(tmp_path: Path, name: str, source: str, line: int, message: str) -> None:
    folder = _user_dir(tmp_path, **{name.replace(".", "__"): source})
    spec = load_clean(DIALECT_MINI)
    with pytest.raises(TemplateError) as info:
        compile_to([DIALECT_MINI], tmp_path / "bundle", templates=TemplateSet(folder))
    assert f"{folder / name}:{line}: " in str(info.value)
    assert message in str(info.value)
    assert not (tmp_path / "bundle").exists()  # nothing written
    assert spec.categories  # the spec itself was fine


def test_missing_template_folder(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="template folder does not exist"):
        TemplateSet(tmp_path / "nope")


def test_import_of_missing_template(tmp_path: Path) -> None:
    folder = _user_dir(tmp_path, rubric__md__j2='\n{% import "_nope.j2" as x %}\n')
    with pytest.raises(TemplateError, match=r"rubric.md.j2:2: includes or imports a missing template '_nope.j2'"):
        compile_to([DIALECT_MINI], tmp_path / "bundle", templates=TemplateSet(folder))


def test_builtin_templates_document_the_format() -> None:
    text = (BUILTIN_DIR / "system_prompt.md.j2").read_text(encoding="utf-8")
    assert "compiler/format.py" in text and "<reasoning>" in text and "Decision:" in text


def test_compact_profile_drops_shared_examples_only() -> None:
    from compiler import TemplateSet, render_system_prompt
    from spec_lang import load
    from tests.paths import POLICIES

    spec = load(str(POLICIES / "safety.md")).spec
    full = render_system_prompt(spec, "violence", TemplateSet())
    compact_set = TemplateSet("compact")
    compact = render_system_prompt(spec, "violence", compact_set)
    assert len(compact) < len(full)
    assert compact_set.hashes["_profile.md.j2"] != TemplateSet().hashes["_profile.md.j2"]
    own_titles = [ex.title for ex in spec.section("violence").examples]
    assert all(title in compact for title in own_titles)  # the category in focus keeps its examples
    shared_titles = [ex.title for ex in spec.section("style_refuse").examples]
    assert not any(title in compact for title in shared_titles)
    assert all(title in full for title in shared_titles)
