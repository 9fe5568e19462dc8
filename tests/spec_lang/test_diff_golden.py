"""Golden files: every rendering of one diff with many kinds of change (`fixtures/diff/base.md` ->
`edited.md`). Review a golden change like code; regenerate on purpose with

    DELIB_REGENERATE_GOLDEN=1 .venv/bin/pytest -q tests/spec_lang/test_diff_golden.py
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from spec_lang import Spec, parse
from spec_lang.diff import SpecDiff, diff_specs, render_json, render_markdown, render_text
from spec_lang.report_html import render_html

FIXTURES = Path(__file__).parent / "fixtures" / "diff"


def spec(name: str) -> Spec:
    return parse((FIXTURES / name).read_text(encoding="utf-8"), f"fixtures/diff/{name}").spec


OLD, NEW = spec("base.md"), spec("edited.md")
RENDERERS: dict[str, Callable[[SpecDiff], str]] = {
    "golden.txt": lambda d: render_text(d).plain,
    "golden.md": render_markdown,
    "golden.json": render_json,
    "golden.html": lambda d: render_html(d, OLD, NEW),
}


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_golden(name: str) -> None:
    rendered = RENDERERS[name](diff_specs(OLD, NEW))
    path = FIXTURES / name
    if os.environ.get("DELIB_REGENERATE_GOLDEN"):
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with DELIB_REGENERATE_GOLDEN=1 to write it"
    assert rendered == path.read_text(encoding="utf-8"), f"{name} differs from the golden file; review the " \
        "change and regenerate with DELIB_REGENERATE_GOLDEN=1 if it is intended"


def test_public_api_is_complete() -> None:
    import spec_lang.diff as public

    assert sorted(public.__all__) == sorted(set(public.__all__))
    assert all(hasattr(public, name) for name in public.__all__)
