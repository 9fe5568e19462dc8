"""The format reference stays true: its Markdown snippets are valid policies, every diagnostic code is
documented, and our own policies lint clean."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spec_lang import CODES, expand, load, parse
from spec_lang.lint import lint_spec
from tests.paths import POLICIES

README = POLICIES / "README.md"


def snippets() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(r"^````?markdown\n(.*?)^````?$", text, re.S | re.M)


def test_readme_has_snippets() -> None:
    assert len(snippets()) >= 5


@pytest.mark.parametrize("index", range(len(snippets())))
def test_readme_snippet_is_a_valid_policy(index: int) -> None:
    snippet = snippets()[index]
    result = parse(snippet, f"README.md#snippet{index}")
    problems = [d.format() for d in (*result.diagnostics, *lint_spec(result.spec))]
    assert problems == []


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_is_documented(code: str) -> None:
    severity, summary = CODES[code]
    assert f"| `{code}` | {severity} | {summary} |" in README.read_text(encoding="utf-8")


def test_policies_lint_clean() -> None:
    refs = expand([str(POLICIES)])
    assert [r.path.endswith("README.md") for r in refs] == [False] * len(refs)
    for ref in refs:
        assert [d.format() for d in load(ref).diagnostics] == []


def test_safety_policy_shape() -> None:
    spec = load(str(POLICIES / "safety.md")).spec
    assert spec.format == "deliberative"
    cats = spec.categories
    assert len(cats) >= 8
    for cat in cats:
        assert cat.summary and cat.definitions and cat.rules
        assert len(cat.examples) >= 3
        labels = {c.label.kind for e in cat.examples for c in e.candidates if c.label}
        assert {"GOOD", "BAD"} <= labels
    responses = {s.attrs.get("response") for s in spec.sections if s.kind == "style"}
    assert responses == {"comply", "refuse", "safe_complete"}
    assert any(s.kind == "guidance" for s in spec.sections)


def test_folder_walk_skips_readmes_footnote_bodies_and_underscore_folders(tmp_path: Path) -> None:
    for rel in ("a.md", "sub/b.md", "README.md", "examples/m1.md", "_demo/demo.md", ".hidden/c.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("# A {#a}\n")
    assert [Path(r.path).relative_to(tmp_path).as_posix() for r in expand([str(tmp_path)])] == ["a.md", "sub/b.md"]
    assert [r.path for r in expand([str(tmp_path / "_demo" / "demo.md")])] == [str(tmp_path / "_demo" / "demo.md")]
    assert [r.path for r in expand([str(POLICIES)])] == [str(POLICIES / "safety.md")]
