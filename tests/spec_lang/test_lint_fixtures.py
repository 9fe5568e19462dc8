"""One failing fixture per diagnostic code: the code is reported at the expected line, and every
registered code has a fixture (file-level codes are produced from bytes in test_malformed.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spec_lang import CODES, load

FIXTURES = Path(__file__).parent / "fixtures"

LINT = FIXTURES / "lint"
FILE_LEVEL = {"SPEC001", "SPEC002", "SPEC003", "SPEC004", "SPEC005", "SPEC033", "SPEC034", "SPEC035"}
CASES = sorted(LINT.glob("SPEC*.md"))


def expectation(path: Path) -> tuple[str, int]:
    m = re.search(r"<!-- expect: (SPEC\d+) at (\d+) -->", path.read_text(encoding="utf-8"))
    assert m, f"{path} has no expectation line"
    return m.group(1), int(m.group(2))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fixture_reports_its_code_at_its_line(path: Path) -> None:
    code, line = expectation(path)
    found = [(d.code, d.span.line) for d in load(str(path)).diagnostics]
    assert (code, line) in found, found
    diag = next(d for d in load(str(path)).diagnostics if d.code == code)
    assert diag.severity == CODES[code][0]
    assert diag.hint, "every diagnostic carries a hint"
    assert diag.format().startswith(f"{path}:{line}:")


def test_every_code_has_a_fixture() -> None:
    covered = {expectation(p)[0] for p in CASES} | FILE_LEVEL
    assert covered == set(CODES)


def test_clean_fixture_is_clean() -> None:
    assert load(str(LINT / "ok_minimal.md")).diagnostics == ()


def test_did_you_mean_in_dangling_ref() -> None:
    diags = load(str(LINT / "SPEC031_dangling_ref.md")).diagnostics
    assert any("did you mean 'weapons'" in d.message for d in diags)
