"""Malformed specs give exit 1 or 2 with `path:line` in the message and never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spec_lang import SpecLoadError, load, parse
from tests.paths import release

DELIB = [sys.executable, "-c", "from trainer.cli import main; main()"]

CORPUS: dict[str, bytes] = {
    "bad_utf8.md": b"# A {#a}\n\ntext \xff\xfe more\n",
    "binary.md": b"\x00\x01\x02ELF\x00" * 50,
    "empty.md": b"",
    "blank.md": b"\n\n   \n",
    "unclosed_fence.md": b"# A {#a}\n\n~~~xml\n<user>\nhi\n</user>\n",
    "unclosed_tag.md": b"# A {#a}\n\n**Example**: x\n\n~~~xml\n<user>\nhi\n~~~\n",
    "duplicate_ids.md": b"# A {#a}\n\nx\n\n## B {#a}\n\ny\n",
    "dangling_ref.md": b"# A {#a}\n\nsee [?](#nowhere)\n",
    "no_sections.md": b"just some text without headings\n",
    "bad_front_matter.md": b"---\nid: [\n---\n# A {#a}\n",
}


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run([*DELIB, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("malformed")
    for name, data in CORPUS.items():
        (root / name).write_bytes(data)
    with open(root / "huge.md", "wb") as fh:  # 20 MB
        fh.write(b"# A {#a}\n\n")
        fh.write((b"lorem ipsum dolor sit amet " * 40 + b"\n\n") * 19000)
    return root


@pytest.mark.parametrize("name", [*CORPUS, "huge.md"])
def test_cli_reports_malformed_file(corpus: Path, name: str) -> None:
    path = corpus / name
    result = run_cli("lint", str(path))
    assert result.returncode in (1, 2), result
    text = result.stdout + result.stderr
    assert "Traceback" not in text
    assert re.search(re.escape(str(path)) + r":\d+:\d+: SPEC\d{3} ", text), text


def test_missing_path_exits_2(tmp_path: Path) -> None:
    result = run_cli("lint", str(tmp_path / "nope.md"))
    assert result.returncode == 2
    assert "SPEC001" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_show_on_unreadable_exits_2(corpus: Path) -> None:
    result = run_cli("show", str(corpus / "binary.md"))
    assert result.returncode == 2 and "SPEC003" in result.stderr and "Traceback" not in result.stderr


def test_bad_utf8_position(corpus: Path) -> None:
    with pytest.raises(SpecLoadError) as info:
        load(str(corpus / "bad_utf8.md"))
    assert (info.value.diagnostic.span.line, info.value.diagnostic.span.col) == (3, 6)


def test_usage_error_exits_2() -> None:
    result = run_cli("lint", "--format", "yaml", "x.md")
    assert result.returncode == 2 and "Traceback" not in result.stderr


SPEC_ALPHABET = st.sampled_from([
    "# ", "## ", "### ", "{#", "}", "id", " authority=root", " kind=category", "**Example**: ", "~~~xml\n",
    "~~~\n", "```\n", "<user>\n", "</user>\n", "<assistant> <!-- GOOD -->\n", "<assistant> <!-- BAD[#x]: r -->\n",
    "</assistant>\n", "<comparison>\n", "</comparison>\n", "[?](#x)", "[^ab]", "!!! meta \"C\"\n", "    ", "\n",
    "---\n", "id: x\n", "- {#x.r1} ", "### Disallowed\n", "**Term**: ", "text ", "<", ">", "[...]\n", "\t", "\x00",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(SPEC_ALPHABET, max_size=60).map("".join))
def test_fuzz_parse_never_raises(text: str) -> None:
    result = parse(text, "fuzz.md")
    for d in result.diagnostics:
        assert d.span.path == "fuzz.md" and d.span.line >= 1 and d.message


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_bytes_load_or_clear_error(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "f.md"
    path.write_bytes(data)
    try:
        loaded = load(str(path))
    except SpecLoadError as exc:
        assert exc.diagnostic.code in {"SPEC002", "SPEC003", "SPEC005"}
        return
    assert all(d.span.line >= 1 for d in loaded.diagnostics)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_fuzz_mutated_model_spec(data: st.DataObject) -> None:
    """Deleting or duplicating random line ranges of a real spec never crashes the parser."""
    lines = release("2025-12-18").read_text(encoding="utf-8").split("\n")[:800]
    start = data.draw(st.integers(0, len(lines) - 1))
    length = data.draw(st.integers(1, 40))
    op = data.draw(st.sampled_from(["delete", "duplicate", "truncate"]))
    chunk = lines[start : start + length]
    if op == "delete":
        mutated = lines[:start] + lines[start + length :]
    elif op == "duplicate":
        mutated = lines[: start + length] + chunk + lines[start + length :]
    else:
        mutated = lines[:start]
    parse("\n".join(mutated), "m.md")
