"""All five Model Spec releases lint clean, and `delib show --json` stats match counts derived without
the parser (line-oriented regexes over the raw text)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from spec_lang import load
from tests.paths import RELEASES, release
from trainer.cli import app

runner = CliRunner()


def outside_fences(text: str) -> tuple[list[str], list[str]]:
    """Split lines into those outside and inside fenced code blocks (``` or ~~~ at column 0)."""
    outside, inside = [], []
    fence: str | None = None
    for line in text.split("\n"):
        m = re.match(r"^(```+|~~~+)", line)
        if fence is None and m:
            fence = m.group(1)[0] * 3
            continue
        if fence is not None and line.startswith(fence) and not line.strip(fence[0]).strip():
            fence = None
            continue
        (inside if fence else outside).append(line)
    return outside, inside


def independent_stats(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    outside, inside = outside_fences(text)
    body = "\n".join(outside)
    xml = "\n".join(inside)
    headings = [m.group(1) for line in outside if (m := re.match(r"^(#{1,6}) .*\{#", line))]
    labels = Counter(re.findall(r"<!--\s*(GOOD|BAD|OK)\b", xml))
    return {
        "sections": len(headings),
        "sections_by_level": dict(sorted(Counter(str(len(h)) for h in headings).items())),
        "examples": sum(1 for line in outside if line.startswith("**Example**:")),
        "labels": {k: labels[k] for k in ("GOOD", "BAD", "OK")},
        "cross_refs": len(re.findall(r"\]\(#[^)\s]+\)", body)),
        "bad_refs": len(re.findall(r"<!--\s*BAD\[#", xml)),
        # every `[^key]`, less the definitions `[^key]: ...` at the start of a line
        "footnote_refs": len(re.findall(r"\[\^[^\]\s]+\]", body))
        - len(re.findall(r"(?m)^ {0,3}\[\^[^\]\s]+\]:", body)),
        "admonitions": sum(1 for line in outside if line.startswith("!!! ")),
        "rules": 0,
    }


@pytest.mark.parametrize("name", RELEASES)
def test_release_lints_with_exit_0(name: str) -> None:
    result = runner.invoke(app, ["lint", str(release(name))])
    assert result.exit_code == 0, result.output
    assert " error" not in result.stdout or "0 error(s)" in result.output


@pytest.mark.parametrize("name", RELEASES)
def test_release_has_no_parse_errors(name: str) -> None:
    loaded = load(str(release(name)))
    errors = [d.format() for d in loaded.diagnostics if d.severity == "error"]
    assert errors == []


@pytest.mark.parametrize("name", RELEASES)
def test_show_json_stats_match_independent_counts(name: str) -> None:
    path = release(name)
    result = runner.invoke(app, ["show", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data["stats"]) == {"sections", "sections_by_level", "examples", "labels", "cross_refs", "bad_refs",
                                  "footnote_refs", "admonitions", "rules"}
    assert data["stats"] == independent_stats(path)
    rows = data["sections"]
    assert len(rows) == data["stats"]["sections"]
    assert {"id", "title", "level", "parent", "attrs", "rules", "examples"} <= set(rows[0])
    assert sum(r["examples"] for r in rows) == data["stats"]["examples"]


@pytest.mark.parametrize("name", RELEASES)
def test_zero_loss_every_line_is_covered(name: str) -> None:
    """Every non-blank source line belongs to a heading or to a block of the model."""
    path = release(name)
    spec = load(str(path)).spec
    covered: set[int] = set()
    for section in spec.sections:
        assert section.span is not None
        covered.add(section.span.line)
        for block in section.body:
            assert block.span is not None
            end = block.span.end_line or block.span.line
            covered.update(range(block.span.line, end + 1))
    lines = path.read_text(encoding="utf-8").split("\n")
    missing = [i + 1 for i, line in enumerate(lines) if line.strip() and i + 1 not in covered]
    assert missing == []


def test_latest_release_structure() -> None:
    spec = load(str(release("2025-12-18"))).spec
    assert spec.format == "model_spec"
    sec = spec.section("follow_all_applicable_instructions")
    assert sec.parent == "chain_of_command" and sec.attrs == {"authority": "root"} and sec.kind == "category"
    assert spec.section("prioritize_teen_safety").attrs == {"authority": "root", "tags": "under_18"}
    assert spec.section("chain_of_command").kind == "general"
    terms = [d.term for d in spec.section("definitions").definitions]
    assert terms[:3] == ["Assistant", "Conversation", "Tool"]
    first = sec.examples[0]
    assert first.title.startswith("root/developer conflict")
    assert [t.type for t in first.turns] == ["message", "message", "comparison"]
    labels = [c.label.kind for c in first.candidates if c.label]
    assert labels == ["BAD", "GOOD"]
    assert first.candidates[0].content.startswith("CHAPTER ONE")
