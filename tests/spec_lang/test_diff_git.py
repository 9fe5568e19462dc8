"""`delib diff` and `delib log` on a spec edited in a temporary git repository, as a policy team uses them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spec_lang.log import spec_log
from trainer.cli import app

runner = CliRunner()
BASE = (Path(__file__).parent / "fixtures" / "diff" / "base.md").read_text(encoding="utf-8")
EDITED = (BASE.replace("{#legacy_notes}", "{#archive_notes}")
          .replace("through straw purchases", "through straw purchases or theft")
          .replace("authority=developer", "authority=root"))
REWRAPPED = EDITED.replace("quarterly reviews by\nthe policy team", "quarterly\nreviews by the policy team")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=Policy Team", "-c", "user.email=policy@example.org",
                           "-c", "commit.gpgsign=false", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def commit(repo: Path, name: str, text: str, message: str) -> None:
    (repo / name).write_text(text, encoding="utf-8")
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """f.md committed three times: the base, a semantic edit, then a re-wrap; finally renamed to g.md."""
    git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path, "f.md", BASE, "Add the synthetic policy")
    commit(tmp_path, "f.md", EDITED, "Rename legacy notes, tighten weapons.r2, privacy is root")
    commit(tmp_path, "f.md", REWRAPPED, "Re-wrap")
    return tmp_path


def test_diff_previous_commit_against_working_copy(repo: Path) -> None:
    spec = repo / "f.md"
    result = runner.invoke(app, ["diff", f"{spec}@HEAD~2", str(spec), "--format", "json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["old"] == f"{spec}@HEAD~2" and data["new"] == str(spec)
    assert data["sections"]["renamed"] == [{"from": "legacy_notes", "to": "archive_notes", "similarity": 1.0,
                                            "old_title": "Legacy notes", "new_title": "Legacy notes"}]
    assert [c["id"] for c in data["rules"]["changed"]] == ["weapons.r2"]
    assert data["sections"]["attrs_changed"] == [{"id": "privacy", "key": "authority", "old": "developer",
                                                  "new": "root"}]
    assert [c["id"] for c in data["impact"]["stale_categories"]] == ["weapons", "privacy"]


def test_diff_relative_refs_from_inside_the_repo(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    cosmetic = runner.invoke(app, ["diff", "f.md@HEAD~1", "f.md"])
    assert cosmetic.exit_code == 0, cosmetic.output
    assert "cosmetic changes only" in cosmetic.stdout
    same = runner.invoke(app, ["diff", "f.md@HEAD", "f.md@main"])
    assert same.exit_code == 0 and "no change" in same.stdout


def test_diff_writes_every_format_to_a_file(repo: Path) -> None:
    spec = repo / "f.md"
    for fmt, marker in (("text", "renamed   legacy_notes → archive_notes"), ("markdown", "## Spec diff"),
                        ("json", '"renamed"'), ("html", "<!DOCTYPE html>")):
        target = repo / f"report.{fmt}"
        result = runner.invoke(app, ["diff", f"{spec}@HEAD~2", str(spec), "-f", fmt, "-o", str(target)])
        assert result.exit_code == 1, result.output
        assert marker in target.read_text(encoding="utf-8")
        assert result.stdout == ""


def test_diff_to_an_unwritable_place_exits_2(repo: Path) -> None:
    spec = repo / "f.md"
    result = runner.invoke(app, ["diff", f"{spec}@HEAD~2", str(spec), "-o", str(spec / "under" / "a_file.txt")])
    assert result.exit_code == 2
    assert "a_file.txt: cannot write (" in result.stderr and "Traceback" not in result.output


def test_log_lists_commits_with_revisions_and_summaries(repo: Path) -> None:
    git(repo, "mv", "f.md", "g.md")
    git(repo, "commit", "-q", "-m", "Move the policy")
    entries = spec_log(str(repo / "g.md"))
    assert [e.subject for e in entries] == ["Move the policy", "Re-wrap",
                                            "Rename legacy notes, tighten weapons.r2, privacy is root",
                                            "Add the synthetic policy"]
    assert [e.path for e in entries] == ["g.md", "f.md", "f.md", "f.md"]
    summaries = [e.summary for e in entries]
    assert summaries[0] == "no content change (file renamed or mode changed)"
    assert summaries[1] == "cosmetic only"
    assert summaries[2] == "1 renamed, 1 attribute change, 1 rule changed; stale: weapons, privacy"
    assert summaries[3] == "first revision: 8 sections, 2 categories, 4 rules, 3 examples"
    revisions = [e.revision for e in entries]
    assert revisions[0] == revisions[1] == revisions[2] != revisions[3]  # a re-wrap keeps the revision id
    assert all(len(e.commit) == 40 and e.commit.startswith(e.short) and e.date[:2] == "20" for e in entries)


def test_log_cli_text_json_and_max_count(repo: Path) -> None:
    spec = str(repo / "f.md")
    text = runner.invoke(app, ["log", spec])
    assert text.exit_code == 0, text.output
    assert "cosmetic only" in text.stdout and "Rename legacy notes" in text.stdout
    data = json.loads(runner.invoke(app, ["log", spec, "--json"]).stdout)
    assert [set(e) for e in data] == [{"commit", "short", "date", "subject", "path", "revision", "summary"}] * 3
    newest = json.loads(runner.invoke(app, ["log", spec, "--json", "-n", "2"]).stdout)
    assert [e["summary"] for e in newest] == [e["summary"] for e in data[:2]]  # not "first revision"
    upto = json.loads(runner.invoke(app, ["log", f"{spec}@HEAD~1", "--json"]).stdout)
    assert upto == data[1:]
    bad = runner.invoke(app, ["log", f"{spec}@nosuchrev"])
    assert bad.exit_code == 2 and "unknown git revision 'nosuchrev'" in bad.stderr


def test_log_errors_exit_2(tmp_path_factory: pytest.TempPathFactory, repo: Path) -> None:
    outside = tmp_path_factory.mktemp("not-a-repo")
    (outside / "x.md").write_text(BASE, encoding="utf-8")
    not_repo = runner.invoke(app, ["log", str(outside / "x.md")])
    assert not_repo.exit_code == 2 and "not inside a git repository" in not_repo.stderr
    (repo / "new.md").write_text(BASE, encoding="utf-8")
    untracked = runner.invoke(app, ["log", str(repo / "new.md")])
    assert untracked.exit_code == 2 and "no commit" in untracked.stderr and "git add" in untracked.stderr
