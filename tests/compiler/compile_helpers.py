"""Helpers for the compiler tests: the fixture specs, spec edits, and bundle file snapshots.

Import as `from tests.compiler.compile_helpers import ...`."""

from __future__ import annotations

from pathlib import Path

from compiler import ApproxCounter, Bundle, TemplateSet, build_bundle
from compiler.bundle import WriteReport
from spec_lang import Spec, has_errors, load

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"
MODEL_SPEC_MINI = FIXTURES / "model_spec_mini.md"
DIALECT_MINI = FIXTURES / "dialect_mini.md"


def load_clean(path: Path) -> Spec:
    loaded = load(str(path))
    assert not has_errors(loaded.diagnostics), [d.format() for d in loaded.diagnostics]
    return loaded.spec


def edited(path: Path, tmp_path: Path, old: str, new: str, name: str | None = None) -> Path:
    """A copy of the spec at `path` under `tmp_path` with `old` replaced by `new` (which must occur once)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    out = tmp_path / (name or path.name)
    out.write_text(text.replace(old, new), encoding="utf-8")
    return out


def file_ids(root: Path) -> dict[str, tuple[int, int]]:
    """Relative path -> (inode, mtime_ns) of every file of a bundle: a rewritten file gets a new inode."""
    return {p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def rewritten_categories(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> set[str]:
    """Categories with a file that was replaced between two `file_ids` snapshots."""
    return {path.split("/")[1] for path, ident in after.items()
            if path.startswith("categories/") and before.get(path) != ident}


def compile_to(paths: list[Path], out: Path, templates: TemplateSet | None = None,
               force: bool = False) -> tuple[Bundle, WriteReport]:
    """Build a bundle from spec files with the approximate token counter (fast and deterministic)."""
    specs = [load_clean(p) for p in paths]
    return build_bundle(specs, out, templates=templates, counter=ApproxCounter(), force=force)


def add_paragraph(text: str, section_id: str, sentence: str = "An added paragraph, for a test.") -> str:
    """Spec text with a new paragraph after the first paragraph of section `section_id` (so the
    section's summary stays as it was)."""
    lines = text.split("\n")
    start = next(n for n, line in enumerate(lines) if line.startswith("#") and ("{#" + section_id) in line
                 and line[line.index("{#" + section_id) + 2 + len(section_id)] in " }")
    first = next(n for n in range(start + 1, len(lines)) if lines[n].strip())
    end = next(n for n in range(first, len(lines)) if not lines[n].strip())
    return "\n".join([*lines[:end], "", sentence, *lines[end:]])


def edit_rule(text: str, rule_id: str, suffix: str = " (edited for a test)") -> str:
    """Spec text with `suffix` appended to the rule `- {#rule_id} ...` (first line of the rule)."""
    lines = text.split("\n")
    n = next(n for n, line in enumerate(lines) if line.lstrip().startswith(f"- {{#{rule_id}}}"))
    lines[n] += suffix
    return "\n".join(lines)


def write_spec(tmp_path: Path, text: str, name: str = "spec.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
