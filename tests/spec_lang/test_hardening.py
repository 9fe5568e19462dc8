"""Input from the file being read stays within bounds: one id pattern everywhere, unknown `kind=` values,
YAML front matter that expands or never closes, and footnote references the parser must not drop."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from spec_lang import lint_spec, parse
from spec_lang.ids import MAX_ID_LENGTH, id_problem

REPO = Path(__file__).resolve().parents[2]
BODY = "\n# A {#a kind=category}\n\ntext\n"


def codes(text: str) -> list[tuple[str, int, int]]:
    result = parse(text, "p.md")
    return [(d.code, d.span.line, d.span.col) for d in (*result.diagnostics, *lint_spec(result.spec))]


@pytest.mark.parametrize("value", ["a", "A1", "_x", "weapons.d1", "a-b_c.d", "x" * MAX_ID_LENGTH])
def test_valid_ids(value: str) -> None:
    assert id_problem(value) is None


@pytest.mark.parametrize("value", ["", ".", "..", "../x", "../../victim", "/abs/path", "a/b", "a\\b", ".hidden",
                                   "-a", "a:b", "a b", "a\n", "caf\u00e9", "x" * (MAX_ID_LENGTH + 1), 5, None])
def test_invalid_ids(value: object) -> None:
    problem = id_problem(value)
    assert problem is not None and repr(value)[:10] in problem


@pytest.mark.parametrize(("text", "expected"), [
    ("# A {#a:b}\n\ntext\n", ("SPEC021", 1, 5)),
    ("# A {#../x kind=category}\n\ntext\n", ("SPEC021", 1, 5)),
    ("# A {#a}\n\n### Disallowed\n\n- {#../r1} a rule\n", ("SPEC021", 5, 3)),
    ("# A {#a}\n\n### Disallowed\n\n- {#a/r1} a rule\n", ("SPEC021", 5, 3)),
])
def test_section_and_rule_ids_follow_the_pattern(text: str, expected: tuple[str, int, int]) -> None:
    assert expected in codes(text)


@pytest.mark.parametrize(("ident", "col"), [("../../x", 5), ("/tmp/x", 5), ('"a/b"', 5), ("'..'", 5),
                                            ("x" * 101, 5)])
def test_front_matter_id_follows_the_pattern(ident: str, col: int) -> None:
    text = f"---\nid: {ident}\ntitle: T\n---\n{BODY}"
    assert ("SPEC012", 2, col) in codes(text)
    assert parse(text, "p.md").spec.meta.id == "spec"  # never the bad id


def test_front_matter_id_line_is_where_the_key_is() -> None:
    assert ("SPEC012", 4, 6) in codes(f"---\ntitle: T\nowners: [a]\nid:  ../up\n---\n{BODY}")
    assert not [c for c in codes(f"---\nid: fine.id-1\ntitle: T\n---\n{BODY}") if c[0].startswith("SPEC01")]


@pytest.mark.parametrize(("value", "suggestion"), [("categroy", "category"), ("stlye", "style"),
                                                   ("../x", None)])
def test_unknown_kind_is_a_diagnostic(value: str, suggestion: str | None) -> None:
    result = parse(f"# A {{#a kind={value}}}\n\ntext\n", "p.md")
    assert result.spec.sections[0].kind == "general"
    found = [d for d in lint_spec(result.spec) if d.code == "SPEC022"]
    assert len(found) == 1 and found[0].span.line == 1 and found[0].severity == "error"
    assert (f"(did you mean {suggestion!r}?)" in found[0].message) if suggestion else "did you mean" not in \
        found[0].message


def _bomb(levels: int = 9, width: int = 9) -> str:
    lines = ["a: &a [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * width) + "]")
    return "\n".join(lines)


def test_alias_bomb_is_refused_within_bounded_memory(tmp_path: Path) -> None:
    """The billion laughs: ~800 bytes that expand to 9**9 strings. Parsed in a child process limited to
    1 GiB, so that a regression fails the test instead of the machine."""
    text = f"---\nid: x\ntitle: T\n{_bomb()}\n---\n{BODY}"
    assert len(text) < 1000
    spec = tmp_path / "bomb.md"
    spec.write_text(text)
    code = ("import sys; from spec_lang import parse; r = parse(open(sys.argv[1]).read(), 'bomb.md'); "
            "print([(d.code, d.span.line) for d in r.diagnostics])")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    result = subprocess.run([sys.executable, "-c", code, str(spec)], capture_output=True, text=True, timeout=60,
                            preexec_fn=limit, env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "('SPEC013', 5)" in result.stdout  # line 5: `b: &b [*a, ...`, the first alias


@pytest.mark.parametrize(("front", "code", "line"), [
    ("base: &b {x: 1}\nother:\n  <<: *b\n", "SPEC013", 6),      # a merge key is an alias too
    ("deep: " + "[" * 5000 + "]" * 5000 + "\n", "SPEC013", 4),  # nesting that would exhaust the recursion
    ("deep: " + "[" * 21 + "]" * 21 + "\n", "SPEC013", 4),
    ("big: " + "1" * 5000 + "\n", "SPEC013", 4),                 # a number too long to convert
    ("version: 0x" + "f" * 5000 + "\n", "SPEC013", 4),          # ... or to write back as JSON
    ("list: [1, -" + "1_0" * 50 + "]\n", "SPEC013", 4),
])
def test_front_matter_is_read_within_bounds(front: str, code: str, line: int) -> None:
    found = codes(f"---\nid: x\ntitle: T\n{front}---\n{BODY}")
    assert code in [c for c, _, _ in found] and any(c == code and ln == line for c, ln, _ in found), found


def test_front_matter_within_bounds_is_kept() -> None:
    text = f"---\nid: x\ntitle: T\ndeep: {'[' * 20}1{']' * 20}\nbig: {'9' * 100}\nquoted: '{'9' * 5000}'\n---\n{BODY}"
    spec = parse(text, "p.md").spec
    assert spec.meta.id == "x" and spec.meta.extra["big"] == int("9" * 100) and len(spec.meta.extra["quoted"]) == 5000


@pytest.mark.parametrize("text", [
    "---\nid: x\ntitle: T\n\n# A {#a}\n\ntext\n",
    "---\n# A {#a}\n\ntext\n",
    "-----\nid: x\n# A {#a}\n\ntext\n",
])
def test_unclosed_front_matter_is_an_error(text: str) -> None:
    assert ("SPEC014", 1, 1) in codes(text)


@pytest.mark.parametrize("text", ["---\nid: x\ntitle: T\n---\n" + BODY, "# A {#a}\n\n---\n\ntext\n",
                                  "---\nid: x\ntitle: T\n...\n" + BODY])
def test_closed_front_matter_or_a_later_rule_is_not(text: str) -> None:
    assert "SPEC014" not in [c for c, _, _ in codes(text)]


def test_footnote_before_a_colon_is_a_reference() -> None:
    text = ("# A {#a}\n\nany of the following[^k1]:\n\n- one[^k2]\n- two\n\nand[^k3]: more.\n\n"
            "[^def]: a footnote definition\n   [^def2]: indented definition\n")
    spec = parse(text, "p.md").spec
    assert [(f.key, f.span.line if f.span else 0) for f in spec.all_footnotes] == [("k1", 3), ("k2", 5), ("k3", 8)]
