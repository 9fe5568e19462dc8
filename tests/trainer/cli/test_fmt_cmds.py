"""`delib fmt` as a user runs it: in-place rewrite, `--check`, `--diff`, `--json`, git revisions and errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.paths import POLICIES
from trainer.cli import app

runner = CliRunner()
MESSY = "#  A   {#a authority=root kind=category}   \nSummary :smile:.\n\n\n## Disallowed\n* {#a.r1} No.\n"
CANONICAL = "# A {#a kind=category authority=root}\n\nSummary :smile:.\n\n## Disallowed\n\n- {#a.r1} No.\n"


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    path = tmp_path / "messy.md"
    path.write_text(MESSY, encoding="utf-8")
    return path


def test_our_policies_pass_check() -> None:
    result = runner.invoke(app, ["fmt", "--check", str(POLICIES), str(POLICIES / "_demo" / "demo.md")])
    assert result.exit_code == 0, result.output
    assert "2 file(s) checked: 0 would be reformatted" in result.stderr


def test_check_exits_1_lists_the_file_and_writes_nothing(messy: Path, tmp_path: Path) -> None:
    canonical = tmp_path / "ok.md"
    canonical.write_text(CANONICAL, encoding="utf-8")
    result = runner.invoke(app, ["fmt", "--check", str(tmp_path)])
    assert result.exit_code == 1
    assert f"would reformat {messy}" in result.stderr and str(canonical) not in result.stderr
    assert messy.read_text(encoding="utf-8") == MESSY
    assert runner.invoke(app, ["fmt", "--check", str(canonical)]).exit_code == 0


def test_rewrites_in_place_then_is_canonical(messy: Path) -> None:
    result = runner.invoke(app, ["fmt", str(messy)])
    assert result.exit_code == 0 and f"reformatted {messy}" in result.stderr
    assert messy.read_text(encoding="utf-8") == CANONICAL
    again = runner.invoke(app, ["fmt", str(messy)])
    assert again.exit_code == 0 and "0 reformatted, 1 already canonical" in again.stderr
    assert runner.invoke(app, ["fmt", "--check", str(messy)]).exit_code == 0


def test_crlf_is_a_change(tmp_path: Path) -> None:
    path = tmp_path / "crlf.md"
    path.write_bytes(CANONICAL.replace("\n", "\r\n").encode())
    shown = runner.invoke(app, ["fmt", "--diff", str(path)])
    assert shown.exit_code == 0 and "line endings or byte order mark only" in shown.stdout
    assert runner.invoke(app, ["fmt", str(path)]).exit_code == 0
    assert path.read_bytes() == CANONICAL.encode()


def test_diff_prints_a_unified_diff_and_writes_nothing(messy: Path) -> None:
    result = runner.invoke(app, ["fmt", "--diff", str(messy)])
    assert result.exit_code == 0
    assert result.stdout.startswith(f"--- {messy}\t(original)\n+++ {messy}\t(formatted)\n@@ ")
    assert "-* {#a.r1} No.\n" in result.stdout and "+- {#a.r1} No.\n" in result.stdout
    assert " Summary :smile:.\n" in result.stdout  # verbatim: no emoji, no markup, tabs kept
    assert messy.read_text(encoding="utf-8") == MESSY
    assert runner.invoke(app, ["fmt", "--diff", "--check", str(messy)]).exit_code == 1


def test_json(messy: Path, tmp_path: Path) -> None:
    (tmp_path / "ok.md").write_text(CANONICAL, encoding="utf-8")
    result = runner.invoke(app, ["fmt", "--check", "--json", "--diff", str(tmp_path)])
    assert result.exit_code == 1
    files = json.loads(result.stdout)["files"]
    assert [(Path(f["path"]).name, f["changed"], f["written"]) for f in files] == [
        ("messy.md", True, False), ("ok.md", False, False)]
    assert files[0]["diff"].startswith("---") and files[1]["diff"] == ""
    written = json.loads(runner.invoke(app, ["fmt", "--json", str(messy)]).stdout)
    assert written == {"files": [{"path": str(messy), "changed": True, "written": True}]}


def test_errors_exit_2_and_nothing_is_written(messy: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text("# A {#a kind=style   x}\n", encoding="utf-8")
    result = runner.invoke(app, ["fmt", str(messy), str(bad), str(tmp_path / "missing.md")])
    assert result.exit_code == 2
    assert "SPEC021" in result.stderr and "missing.md:1:1: SPEC001 no such file" in result.stderr
    assert "2 of 3 file(s) cannot be formatted; nothing was written" in result.stderr
    assert messy.read_text(encoding="utf-8") == MESSY
    (tmp_path / "empty").mkdir()
    empty = runner.invoke(app, ["fmt", str(tmp_path / "empty")])
    assert empty.exit_code == 2 and "no spec files found" in empty.stderr


def test_symbolic_link_keeps_the_link(messy: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.md"
    link.symlink_to(messy)
    assert runner.invoke(app, ["fmt", str(link)]).exit_code == 0
    assert link.is_symlink() and messy.read_text(encoding="utf-8") == CANONICAL


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Policy Team", "-c", "user.email=policy@example.org",
                    "-c", "commit.gpgsign=false", *args], cwd=repo, capture_output=True, check=True)


def test_revision_is_checked_but_never_rewritten(messy: Path, tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", "messy.md")
    _git(tmp_path, "commit", "-q", "-m", "messy")
    messy.write_text(CANONICAL, encoding="utf-8")
    refused = runner.invoke(app, ["fmt", f"{messy}@HEAD"])
    assert refused.exit_code == 2 and "cannot rewrite" in refused.stderr and "--check" in refused.stderr
    checked = runner.invoke(app, ["fmt", "--check", f"{messy}@HEAD", str(messy)])
    assert checked.exit_code == 1 and f"would reformat {messy}@HEAD" in checked.stderr
    assert messy.read_text(encoding="utf-8") == CANONICAL
