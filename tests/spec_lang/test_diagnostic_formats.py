"""`delib lint --format github|sarif`: GitHub Actions annotations and a SARIF 2.1.0 log, escaped, located, and
with the same exit codes as the text format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spec_lang.diagnostic_formats import file_path, github_annotation, sarif
from spec_lang.diagnostics import CODES, Diagnostic, diag
from spec_lang.model import Span
from trainer.cli import app

runner = CliRunner()
LINT = Path(__file__).parent / "fixtures" / "lint"


@pytest.mark.parametrize(("diagnostic", "line"), [
    (diag("SPEC031", Span(path="p/s.md", line=4, col=9), "unknown 'weapon'", "link to an id"),
     "::error file=p/s.md,line=4,col=9,title=SPEC031::SPEC031 unknown 'weapon'%0Ahint: link to an id"),
    (diag("SPEC023", Span(path="a,b:c.md", line=2, end_line=5), "100% odd\nsecond line"),
     "::warning file=a%2Cb%3Ac.md,line=2,col=1,endLine=5,title=SPEC023::SPEC023 100%25 odd%0Asecond line"),
    (diag("SPEC001", Span(path="policies/s.md@HEAD~1", line=0), "no such file"),
     "::error file=policies/s.md,title=SPEC001::SPEC001 no such file"),
])
def test_github_annotations_are_escaped_workflow_commands(diagnostic: Diagnostic, line: str) -> None:
    assert github_annotation(diagnostic) == line


@pytest.mark.parametrize(("path", "file"), [("policies/s.md@main", "policies/s.md"), ("a@b/c.md", "a@b/c.md"),
                                            ("win\\s.md", "win/s.md"), ("plain.md", "plain.md")])
def test_a_revision_suffix_is_not_part_of_the_file(path: str, file: str) -> None:
    assert file_path(diag("SPEC031", Span(path=path, line=1), "m")) == file


def test_sarif_lists_every_code_as_a_rule_and_every_problem_as_a_located_result() -> None:
    found = [diag("SPEC031", Span(path="p/s.md", line=4, col=9), "unknown", "fix it"),
             diag("SPEC023", Span(path="p/s.md", line=2, end_line=3), "odd key"),
             diag("SPEC001", Span(path="gone.md", line=0), "missing")]
    log = sarif(found, version="1.2.3")
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "delib" and run["tool"]["driver"]["version"] == "1.2.3"
    assert [r["id"] for r in rules] == sorted(CODES)
    assert all(r["defaultConfiguration"]["level"] == CODES[r["id"]][0] for r in rules)
    first, second, third = run["results"]
    assert rules[first["ruleIndex"]]["id"] == "SPEC031" and first["level"] == "error"
    assert first["message"]["text"] == "unknown (hint: fix it)"
    assert first["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "p/s.md"},
                                                         "region": {"startLine": 4, "startColumn": 9}}
    assert second["level"] == "warning" and second["locations"][0]["physicalLocation"]["region"]["endLine"] == 3
    assert "region" not in third["locations"][0]["physicalLocation"]  # SARIF lines start at 1


def test_lint_format_github_prints_annotations_and_keeps_exit_codes() -> None:
    bad = runner.invoke(app, ["lint", str(LINT / "SPEC031_dangling_ref.md"), "--format", "github"])
    assert bad.exit_code == 1
    assert bad.stdout.startswith(f"::error file={LINT / 'SPEC031_dangling_ref.md'},line=4,col=9,title=SPEC031::")
    warn = runner.invoke(app, ["lint", str(LINT / "SPEC023_unknown_attr.md"), "-f", "github"])
    assert warn.exit_code == 0 and warn.stdout.startswith("::warning ")
    ok = runner.invoke(app, ["lint", str(LINT / "ok_minimal.md"), "--format", "github"])
    assert ok.exit_code == 0 and ok.stdout == ""


def test_lint_format_sarif_prints_one_sarif_log() -> None:
    result = runner.invoke(app, ["lint", str(LINT), "--format", "sarif"])
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    codes = {r["ruleId"] for r in log["runs"][0]["results"]}
    assert {"SPEC030", "SPEC031", "SPEC040"} <= codes
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(".md")
               for r in log["runs"][0]["results"])
