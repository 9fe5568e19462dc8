"""Diagnostics in the formats CI systems read: GitHub Actions workflow commands and SARIF 2.1.0. Pure.

    github_annotations(diagnostics)   # "::error file=policies/safety.md,line=41,col=3,title=SPEC031::..."
    sarif(diagnostics, version="0.1")  # a SARIF log (dict) for code scanning (GitHub, GitLab, Azure DevOps)

A GitHub annotation puts the message (and its hint, on a second line) on the file and line in the pull
request. SARIF lists every code of `CODES` as a rule (summary, default level, where it is documented)
and every diagnostic as a result at its file, line and column. A spec read at a git revision
(`policies/safety.md@main`) is located at its path without the revision.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from spec_lang.diagnostics import CODES, Diagnostic

DOCS = "policies/README.md#diagnostics"
"""Where every code is documented, relative to the repository root (named in each SARIF rule's help)."""
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def file_path(diagnostic: Diagnostic) -> str:
    """The file a diagnostic is in, without a `@REV` suffix, with forward slashes."""
    path = diagnostic.span.path.replace("\\", "/")
    head, sep, rev = path.rpartition("@")
    return head if sep and head and "/" not in rev else path


def github_annotation(diagnostic: Diagnostic) -> str:
    """One workflow command: `::error file=PATH,line=L,col=C,title=CODE::message%0Ahint: ...`."""
    props = [f"file={_escape_property(file_path(diagnostic))}"]
    if diagnostic.span.line >= 1:
        props += [f"line={diagnostic.span.line}", f"col={max(diagnostic.span.col, 1)}"]
        if diagnostic.span.end_line is not None and diagnostic.span.end_line > diagnostic.span.line:
            props.append(f"endLine={diagnostic.span.end_line}")
    props.append(f"title={_escape_property(diagnostic.code)}")
    text = f"{diagnostic.code} {diagnostic.message}" + (f"\nhint: {diagnostic.hint}" if diagnostic.hint else "")
    return f"::{diagnostic.severity} {','.join(props)}::{_escape_data(text)}"


def github_annotations(diagnostics: Iterable[Diagnostic]) -> str:
    """One annotation a line (GitHub shows the first ten of each kind on the pull request, all in the log)."""
    return "".join(github_annotation(d) + "\n" for d in diagnostics)


def _rule(code: str) -> dict[str, Any]:
    severity, summary = CODES[code]
    return {"id": code, "shortDescription": {"text": summary}, "defaultConfiguration": {"level": severity},
            "help": {"text": f"{code}: {summary}. Documented in {DOCS}."}}


def _result(diagnostic: Diagnostic, index: dict[str, int]) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": file_path(diagnostic)}}
    span = diagnostic.span
    if span.line >= 1:
        region: dict[str, Any] = {"startLine": span.line, "startColumn": max(span.col, 1)}
        if span.end_line is not None and span.end_line >= span.line:
            region["endLine"] = span.end_line
        location["region"] = region
    text = diagnostic.message + (f" (hint: {diagnostic.hint})" if diagnostic.hint else "")
    result: dict[str, Any] = {"ruleId": diagnostic.code, "level": diagnostic.severity, "message": {"text": text},
                              "locations": [{"physicalLocation": location}]}
    if diagnostic.code in index:
        result["ruleIndex"] = index[diagnostic.code]
    return result


def sarif(diagnostics: Iterable[Diagnostic], *, version: str) -> dict[str, Any]:
    """A SARIF 2.1.0 log of one run of `delib lint` (`version`: delib's)."""
    codes = sorted(CODES)
    index = {code: i for i, code in enumerate(codes)}
    driver = {"name": "delib", "version": version, "rules": [_rule(c) for c in codes]}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": driver}, "columnKind": "unicodeCodePoints",
                      "results": [_result(d, index) for d in diagnostics]}]}
