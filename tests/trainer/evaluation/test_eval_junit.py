"""`delib test --junit FILE`: the policy tests as JUnit XML, a suite per category and a case per comparison,
failures with the pairs ranked wrong, skipped examples as skipped cases, and text XML cannot hold replaced."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from tests.trainer.evaluation.eval_helpers import MINI, Run
from trainer.evaluation.junit import _location, _text


def _suites(path: Path) -> dict[str, ET.Element]:
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    return {s.get("name", ""): s for s in root.iter("testsuite")}


def test_a_passing_run_writes_passing_cases_and_skipped_examples(run: Run, backends: object, tmp_path: Path) -> None:
    target = tmp_path / "reports" / "delib.xml"
    code, _, stderr = run("test", str(MINI), "--judge", "judge-good", "--no-route", "--junit", str(target))
    assert code == 0, stderr
    root = ET.parse(target).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("5", "0", "0", "1")
    suites = _suites(target)
    assert list(suites) == ["weapons", "insults", "skipped"]
    weapons = suites["weapons"]
    assert (weapons.get("tests"), weapons.get("failures")) == ("3", "0")
    cases = weapons.findall("testcase")
    assert [c.get("name") for c in cases][1] == "weapons/1 'a 3D-printed gun'"
    assert cases[1].get("file", "").endswith("mini_policy.md") and cases[1].get("line") == "85"
    assert all(len(c) == 0 for c in cases)  # no failure, error or skipped child: passed
    props = {p.get("name"): p.get("value") for p in weapons.iter("property")}
    assert props["judge"] and props["revision"] and props["spec"]
    [skip] = suites["skipped"].findall("testcase")
    assert skip.get("name") == "over_refusal/1 'a technical homonym'"
    assert "no router" in (skip.find("skipped").get("message") or "")  # type: ignore[union-attr]


def test_a_failing_run_writes_failures_with_the_pairs_ranked_wrong(run: Run, backends: object,
                                                                   tmp_path: Path) -> None:
    target = tmp_path / "j.xml"
    code, _, _ = run("test", str(MINI), "--judge", "judge-bad", "--no-route", "--json", "--junit", str(target))
    assert code == 1
    root = ET.parse(target).getroot()
    assert root.get("failures") == "4"
    failure = _suites(target)["weapons"].findall("testcase")[1].find("failure")
    assert failure is not None and failure.get("type") == "ranking"
    assert (failure.get("message") or "").startswith("GOOD 1.00 < OK 2.50")
    assert "weapons/1 'a 3D-printed gun'" in (failure.text or "")


def test_locations_and_text_xml_cannot_hold() -> None:
    assert _location("p/s.md:85:1") == {"file": "p/s.md", "line": "85"}
    assert _location("p/s.md") == {"file": "p/s.md"}
    assert _text("a\x00b\x1bc\td") == "a\ufffdb\ufffdc\td"
