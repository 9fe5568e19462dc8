"""Revisions: `SpecHashes` agrees with the per-node functions, `normalise_text`'s fast path with its full
path, and every command that takes a spec reads `PATH@REV`, with clear errors when it cannot."""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from spec_lang import Spec, load
from spec_lang import versions as v
from tests.paths import POLICIES, RELEASES, release
from trainer.cli import app, main

runner = CliRunner()
BASE = (Path(__file__).parent / "fixtures" / "diff" / "base.md").read_text(encoding="utf-8")


@cache
def spec(name: str) -> Spec:
    return load(str(POLICIES / "safety.md") if name == "safety" else str(release(name))).spec


@pytest.mark.parametrize("name", [*RELEASES, "safety"])
def test_spec_hashes_equal_the_per_node_functions(name: str) -> None:
    s = spec(name)
    h = v.SpecHashes(s)
    assert h.revision == v.digest(v.normalised(s))
    assert h.own == tuple(v.section_own(x) for x in s.sections)
    assert h.section_hashes == {x.id: v.section_hash(x) for x in s.sections}
    assert [e for per in h.example_hashes for e in per] == [v.example_hash(e) for e in s.examples]
    expected_shared = v.digest({"meta": v.normalised(s.meta),
                                "shared": [(x.id, v.section_own(x)) for x in v.shared_sections(s)],
                                "summaries": [v.category_summary(c) for c in s.categories]})
    assert h.shared == v.shared_hash(s) == expected_shared
    assert v.category_hashes(s) == {
        c.id: v.digest({"shared": expected_shared, "own": [(x.id, v.section_own(x)) for x in s.subtree(c.id)]})
        for c in s.categories}


def _slow_normalise(text: str) -> str:
    lines = (v._LIST_MARKER.sub("- ", line.strip()) for line in text.split("\n"))
    joined = " ".join(line for line in lines if line)
    joined = v._DASHES.sub(" — ", joined.translate(v._QUOTES))
    return v._SPACE.sub(" ", joined).strip()


@given(st.text(alphabet=st.sampled_from(list("ab1.)-—–‘’“”*+ \n\t\"'\x0b\x0c\r\x1c\x85\xa0\u2028\u3000")), max_size=30))
def test_normalise_text_fast_path_is_exact(text: str) -> None:
    assert v.normalise_text(text) == _slow_normalise(text)


# -- PATH@REV ------------------------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false",
                    *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "f.md").write_text(BASE, encoding="utf-8")
    _git(tmp_path, "add", "f.md")
    _git(tmp_path, "commit", "-q", "-m", "one")
    (tmp_path / "g.md").write_text(BASE, encoding="utf-8")
    _git(tmp_path, "add", "g.md")
    _git(tmp_path, "commit", "-q", "-m", "two")
    return tmp_path


@pytest.mark.parametrize("command", [["show"], ["lint"], ["diff", "{ref}"], ["log"]])
def test_every_spec_command_reads_path_at_rev(repo: Path, command: list[str]) -> None:
    ref = f"{repo / 'f.md'}@HEAD~1"
    args = [command[0], ref, *(a.format(ref=ref) for a in command[1:])]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("ref", "message", "hint"), [
    ("{repo}/missing.md", "no such file", "check the path"),
    ("{repo}/f.md@nosuchrev", "unknown git revision 'nosuchrev'", "HEAD~1"),
    ("{repo}/g.md@HEAD~1", "'g.md' does not exist at revision 'HEAD~1'", "git log -- g.md"),
    ("{outside}/f.md@HEAD", "is not inside a git repository", "drop @REV"),
    ("{repo}/nofolder/f.md@HEAD", "does not exist", "check the path"),
])
@pytest.mark.parametrize("command", ["show", "diff"])
def test_unreadable_refs_say_what_where_and_what_to_do(
        repo: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], ref: str, message: str, hint: str, command: str) -> None:
    outside = tmp_path_factory.mktemp("plain")
    (outside / "f.md").write_text(BASE, encoding="utf-8")
    target = ref.format(repo=repo, outside=outside)
    args = [command, target] + ([str(repo / "f.md")] if command == "diff" else [])
    # as a user runs it: through the console script's `main`, which maps every error to a message and a code
    monkeypatch.setattr(sys, "argv", ["delib", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    stdout, stderr = capsys.readouterr()
    assert exited.value.code == 2, stderr
    assert stdout == "" and "Traceback" not in stderr
    assert stderr.startswith(f"{target}:1:1: SPEC001 "), stderr
    assert message in " ".join(stderr.split()) and "hint: " in stderr and hint in stderr
