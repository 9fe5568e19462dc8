"""A corpus of hostile or broken specs through `delib lint`, `delib show` and `delib compile`: each exits 1
or 2 (never 70, "internal error"), says `path:line:col: CODE`, and writes nothing outside `-o` (a sentinel
folder next to the output stays as it was, and nothing new appears beside it)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "lint" / "ok_minimal.md"
DelibCli = Callable[..., tuple[int, str, str]]

# name -> (text to replace in ok_minimal.md, its replacement, expected code, text on the expected line).
# `{sentinel}` in a replacement is the sentinel folder's absolute path.
CORPUS: dict[str, tuple[str, str, str, str]] = {
    "kind_typo": ("kind=category", "kind=categroy", "SPEC022", "kind=categroy"),
    "kind_path": ("kind=category", "kind=../../sentinel", "SPEC022", "kind=../../sentinel"),
    "front_matter_id_up": ("id: mini", "id: ../../sentinel/escaped", "SPEC012", "id: ../"),
    "front_matter_id_absolute": ("id: mini", "id: {sentinel}/escaped", "SPEC012", "id: /"),
    "front_matter_id_dot": ("id: mini", "id: '..'", "SPEC012", "id: '..'"),
    "section_id_up": ("{#weapons kind=category authority=root}", "{#../../sentinel kind=category}", "SPEC021",
                      "{#../../"),
    "section_id_absolute": ("{#weapons kind=category authority=root}", "{#{sentinel} kind=category}", "SPEC021",
                            "# Weapons"),
    "rule_id_up": ("{#weapons.r1} Do", "{#../sentinel/r1} Do", "SPEC021", "{#../sentinel/r1}"),
    "yaml_alias": ("version: 0.1.0", "base: &b [1, 2]\nversion: *b", "SPEC013", "version: *b"),
    "yaml_merge_key": ("version: 0.1.0", "base: &b {a: 1}\nmore:\n  <<: *b", "SPEC013", "<<: *b"),
    "yaml_deep": ("version: 0.1.0", "version: " + "[" * 3000 + "]" * 3000, "SPEC013", "version: [[["),
    "yaml_long_number": ("version: 0.1.0", "version: " + "9" * 5000, "SPEC013", "version: 999"),
    "front_matter_unclosed": ("owners: [policy@example.org]\n---\n", "owners: [policy@example.org]\n", "SPEC014",
                              "---"),
}


def _case(tmp_path: Path, name: str) -> tuple[Path, int, Path]:
    """Write the case's spec under `tmp_path/specs/`: (its path, the expected line, the sentinel folder)."""
    old, new, _, needle = CORPUS[name]
    sentinel = tmp_path / "sentinel"
    sentinel.mkdir()
    (sentinel / "keep.json").write_text("{}\n")
    text = FIXTURE.read_text(encoding="utf-8")
    assert text.count(old) == 1
    text = text.replace(old, new.replace("{sentinel}", str(sentinel)))
    spec = tmp_path / "specs" / f"{name}.md"
    spec.parent.mkdir()
    spec.write_text(text, encoding="utf-8")
    line = next(i for i, ln in enumerate(text.split("\n"), 1) if needle in ln)
    return spec, line, sentinel


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", sorted(CORPUS))
@pytest.mark.parametrize("command", ["lint", "show", "compile"])
def test_bad_spec_is_reported_not_crashed_and_nothing_escapes(tmp_path: Path, delib_cli: DelibCli, name: str,
                                                              command: str) -> None:
    spec, line, sentinel = _case(tmp_path, name)
    before = _snapshot(tmp_path)
    out = tmp_path / "out" / "bundle"
    args = [command, str(spec)]
    if command == "compile":
        args += ["-o", str(out), "--tokenizer", "approx"]
    code, stdout, stderr = delib_cli(*args)
    text = stdout + stderr
    assert "internal error" not in text and "Traceback" not in text, text
    if command == "show":  # shows what it could read; the diagnostics are lint's job
        assert code in (0, 1, 2), text
    else:
        assert code in (1, 2), text
        assert re.search(rf"{re.escape(str(spec))}:{line}:\d+: {CORPUS[name][2]} ", text), text
    after = _snapshot(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith("out/")} == before  # sentinel and specs as they were
    assert not out.exists()  # lint errors: nothing compiled
