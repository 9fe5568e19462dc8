"""`delib test --junit FILE`: the policy tests as JUnit XML, the report format CI systems (GitHub Actions
test reporters, GitLab, Jenkins, Azure DevOps) show as test results. Pure: `junit_xml(report)` is text.

One `<testsuite>` per category, one `<testcase>` per example comparison (`classname` the category, `name`
the case id and title, `file` and `line` where the example is): a failed case holds a `<failure>` with the
pairs ranked wrong, an unscored case an `<error>` (the judge's reply could not be read: neither pass nor
fail), a case without comparable pairs is `<skipped>`. Examples that yield no case are `<skipped>` test
cases of a suite `skipped`. The spec, its revision and the judge are `<properties>` of every suite.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from trainer.evaluation.console import _failure_line, _unscored_line  # the lines `delib test` prints
from trainer.evaluation.policy_tests import CaseResult, PolicyTestReport

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters XML 1.0 cannot hold, even escaped (a spec's text may contain them)."""


def _text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


def _location(where: str) -> dict[str, str]:
    """`file` and `line` attributes from `path:line:col` (or a bare path)."""
    match = re.fullmatch(r"(.+?):(\d+)(?::\d+)?", where)
    return {"file": _text(match.group(1)), "line": match.group(2)} if match else {"file": _text(where)}


def _properties(suite: ET.Element, report: PolicyTestReport) -> None:
    props = ET.SubElement(suite, "properties")
    for name, value in (("spec", report.spec), ("revision", report.revision), ("judge", report.judge),
                        ("model", report.model)):
        if value is not None:
            ET.SubElement(props, "property", name=name, value=_text(value))


def _case(suite: ET.Element, case: CaseResult) -> None:
    element = ET.SubElement(suite, "testcase", {"classname": _text(case.category),
                                                "name": _text(f"{case.id} {case.title!r}"), **_location(case.where)})
    if case.status == "failed":
        line = _failure_line(case)
        ET.SubElement(element, "failure", message=_text(line.split(": ", 2)[-1]), type="ranking").text = _text(line)
    elif case.status == "unscored":
        line = _unscored_line(case)
        ET.SubElement(element, "error", message=_text(line.split(": ", 2)[-1]), type="unscored").text = _text(line)
    elif case.status == "no_pairs":
        ET.SubElement(element, "skipped", message="no pair of candidates to compare")


def _counts(cases: list[CaseResult]) -> dict[str, str]:
    return {"tests": str(len(cases)), "failures": str(sum(c.status == "failed" for c in cases)),
            "errors": str(sum(c.status == "unscored" for c in cases)),
            "skipped": str(sum(c.status == "no_pairs" for c in cases))}


def junit_xml(report: PolicyTestReport) -> str:
    """The report as a JUnit XML document."""
    categories = list(dict.fromkeys(c.category for c in report.cases))
    total = _counts(list(report.cases))
    total["tests"] = str(int(total["tests"]) + len(report.skipped))
    total["skipped"] = str(int(total["skipped"]) + len(report.skipped))
    root = ET.Element("testsuites", {"name": _text(f"delib test {report.spec}"), **total})
    for category in categories:
        cases = [c for c in report.cases if c.category == category]
        suite = ET.SubElement(root, "testsuite", {"name": _text(category), **_counts(cases)})
        _properties(suite, report)
        for case in cases:
            _case(suite, case)
    if report.skipped:
        n = str(len(report.skipped))
        suite = ET.SubElement(root, "testsuite", name="skipped", tests=n, failures="0", errors="0", skipped=n)
        _properties(suite, report)
        for skip in report.skipped:
            element = ET.SubElement(suite, "testcase", {"classname": "skipped",
                                                        "name": _text(f"{skip.id} {skip.title!r}"),
                                                        **_location(skip.where)})
            ET.SubElement(element, "skipped", message=_text(skip.reason))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
