"""`delib lint`, `delib show` and `delib schema` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trainer.cli import app

runner = CliRunner()
LINT = Path(__file__).parent / "fixtures" / "lint"


def test_lint_text_exit_codes() -> None:
    ok = runner.invoke(app, ["lint", str(LINT / "ok_minimal.md")])
    assert ok.exit_code == 0
    bad = runner.invoke(app, ["lint", str(LINT / "SPEC031_dangling_ref.md")])
    assert bad.exit_code == 1
    assert "SPEC031_dangling_ref.md:4:9: SPEC031 cross-reference to unknown section 'weapon'" in bad.stdout
    assert "hint:" in bad.stdout


def test_lint_warning_only_exits_0() -> None:
    result = runner.invoke(app, ["lint", str(LINT / "SPEC023_unknown_attr.md")])
    assert result.exit_code == 0 and "SPEC023" in result.stdout


def test_lint_folder_and_json() -> None:
    result = runner.invoke(app, ["lint", str(LINT), "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert {d["code"] for d in data} >= {"SPEC030", "SPEC031", "SPEC040"}
    first = data[0]
    assert set(first) == {"code", "severity", "span", "message", "hint"}
    assert set(first["span"]) >= {"path", "line", "col"}


def test_lint_unreadable_path_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lint", str(LINT / "ok_minimal.md"), str(tmp_path / "missing.md")])
    assert result.exit_code == 2


def test_lint_empty_folder_exits_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["lint", str(tmp_path)]).exit_code == 2


def test_show_tree_and_json() -> None:
    tree = runner.invoke(app, ["show", str(LINT / "ok_minimal.md")])
    assert tree.exit_code == 0 and "#weapons" in tree.stdout and "(1 rule, 1 example)" in tree.stdout
    data = json.loads(runner.invoke(app, ["show", str(LINT / "ok_minimal.md"), "--json"]).stdout)
    assert data["stats"]["rules"] == 1 and data["stats"]["labels"] == {"GOOD": 1, "BAD": 1, "OK": 0}
    weapons = next(s for s in data["sections"] if s["id"] == "weapons")
    assert weapons == {**weapons, "parent": None, "level": 1, "rules": 1, "examples": 1, "kind": "category"}


def test_schema_is_json_schema() -> None:
    result = runner.invoke(app, ["schema"])
    schema = json.loads(result.stdout)
    assert schema["title"] == "Spec" and "Section" in schema["$defs"]


def test_show_lists_rules_and_examples_uncut_when_piped(tmp_path: Path) -> None:
    long_rule = "Refuse " + " ".join(f"word{i}" for i in range(60)) + " end-of-rule."
    spec = tmp_path / "spec.md"
    spec.write_text((LINT / "ok_minimal.md").read_text(encoding="utf-8").replace(
        "- {#weapons.r1} ", "- {#weapons.r1} " + long_rule + " "), encoding="utf-8")
    result = runner.invoke(app, ["show", str(spec)])  # CliRunner's stdout is not a terminal: plain text
    lines = result.stdout.splitlines()
    heading = next(line for line in lines if "#weapons " in line)
    assert heading.count("category") == 1 and "kind=" not in heading  # the kind once, not as an attribute too
    rule = next(line for line in lines if "rule #weapons.r1" in line)
    assert rule.startswith("    rule #weapons.r1 (refuse): Refuse word0") and rule.endswith(
        "end-of-rule. Do not give build instructions for firearms.")
    assert "    example gun build request (1 BAD, 1 GOOD)" in lines
    assert "rules: 1" in lines and "│" not in result.stdout  # plain indented text, no tree glyphs


def test_show_on_a_terminal_wraps_long_lines_instead_of_cutting_them(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import re

    from rich.console import Console

    from trainer.cli import _spec_cmds

    long_rule = "Refuse " + " ".join(f"word{i}" for i in range(30)) + " end-of-rule."
    spec = tmp_path / "spec.md"
    spec.write_text((LINT / "ok_minimal.md").read_text(encoding="utf-8").replace(
        "- {#weapons.r1} ", "- {#weapons.r1} " + long_rule + " "), encoding="utf-8")
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=60, highlight=False, soft_wrap=True, emoji=False)
    monkeypatch.setattr(_spec_cmds, "out", terminal)  # a 60-column terminal, as `delib show` prints to one
    assert runner.invoke(app, ["show", str(spec)]).exit_code == 0
    text = re.sub(r"\x1b\[[0-9;]*m", "", screen.getvalue())
    assert "│" in text and max(len(line) for line in text.splitlines()) <= 60  # a tree, within the width
    words = " ".join(part.strip(" │├└─") for part in text.splitlines())
    assert "word29 end-of-rule." in words and "(1 rule, 1 example)" in words  # nothing cut off
