"""No compiled file has an empty section: every heading is followed by text before the next heading of
the same or a higher level (the categories' parent section, with nothing of its own, is left out of the
rubrics instead of standing there as a bare `## Content categories`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.compiler.compile_helpers import DIALECT_MINI, MODEL_SPEC_MINI, compile_to

HEADING = re.compile(r"^(#{1,6}) ")


def empty_headings(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("```")]
    found = []
    for line, after in zip(lines, [*lines[1:], "# end"], strict=True):
        here, nxt = HEADING.match(line), HEADING.match(after)
        if here and nxt and len(nxt[1]) <= len(here[1]):
            found.append(line)
    return found


def test_the_detector_finds_an_empty_heading() -> None:
    assert empty_headings("# A\n\n## Content categories (`categories`)\n\n# Category being graded\ntext\n") == [
        "## Content categories (`categories`)"]


@pytest.mark.parametrize("spec", [DIALECT_MINI, MODEL_SPEC_MINI], ids=lambda p: p.stem)
def test_no_compiled_file_has_an_empty_heading(spec: Path, tmp_path: Path) -> None:
    compile_to([spec], tmp_path / "bundle")
    for path in sorted((tmp_path / "bundle" / "categories").rglob("*.md")):
        assert empty_headings(path.read_text(encoding="utf-8")) == [], path
