"""The I/O edge of the language: read spec files (from disk or any git revision) and lint them.

A spec reference is `PATH` or `PATH@REV` (any revision git understands: `main`, `HEAD~1`, a hash).
Unreadable input raises `SpecLoadError` carrying a diagnostic; nothing here lets a traceback through.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from spec_lang.diagnostics import Diagnostic, diag
from spec_lang.errors import DelibError
from spec_lang.lint import lint_spec
from spec_lang.model import Span, Spec
from spec_lang.parser import parse

MAX_BYTES = 8 * 1024 * 1024
"""Specs larger than this are refused (the Model Spec is about 0.27 MB)."""

SKIPPED_NAMES = frozenset({"readme.md", "changelog.md", "license.md"})


class SpecLoadError(DelibError):
    """A spec could not be read at all; `diagnostic` says what, where and what to do."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.format())
        self.diagnostic = diagnostic


@dataclass(frozen=True)
class SpecRef:
    """Where a spec comes from: a path, optionally at a git revision."""

    path: str
    rev: str | None = None

    def __str__(self) -> str:
        return f"{self.path}@{self.rev}" if self.rev else self.path


@dataclass(frozen=True)
class Loaded:
    """A parsed spec with every diagnostic about it (syntax, semantics, footnote files)."""

    spec: Spec
    diagnostics: tuple[Diagnostic, ...]
    ref: SpecRef


def parse_ref(text: str) -> SpecRef:
    """`path@rev` -> SpecRef; a path that exists as written wins over splitting at `@`."""
    if "@" in text and not Path(text).exists():
        path, _, rev = text.rpartition("@")
        if path and rev:
            return SpecRef(path, rev)
    return SpecRef(text)


def _fail(code: str, path: str, message: str, hint: str, line: int = 1, col: int = 1) -> SpecLoadError:
    return SpecLoadError(diag(code, Span(path=path, line=line, col=col), message, hint))


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:  # git missing
        raise _fail("SPEC001", str(cwd), f"cannot run git: {exc}", "install git to read specs at revisions") from exc


def read_bytes_at(ref: SpecRef) -> bytes:
    """The file's bytes at `ref.rev` in the git repository that holds it."""
    assert ref.rev is not None
    path = Path(ref.path)
    where = path.parent if str(path.parent) else Path(".")
    if not where.is_dir():
        raise _fail("SPEC001", str(ref), f"folder {str(where)!r} does not exist", "check the path")
    top = _git(["rev-parse", "--show-toplevel"], where)
    if top.returncode != 0:
        raise _fail("SPEC001", str(ref), f"{str(where)!r} is not inside a git repository",
                    "PATH@REV reads a file at a git revision; drop @REV to read the working copy")
    root = Path(top.stdout.decode().strip())
    rel = (where.resolve() / path.name).relative_to(root.resolve()).as_posix()
    rev_ok = _git(["rev-parse", "--verify", "--quiet", f"{ref.rev}^{{commit}}"], root)
    if rev_ok.returncode != 0:
        raise _fail("SPEC001", str(ref), f"unknown git revision {ref.rev!r}",
                    "use a branch, tag, commit hash or an expression such as HEAD~1")
    shown = _git(["show", f"{ref.rev}:{rel}"], root)
    if shown.returncode != 0:
        raise _fail("SPEC001", str(ref), f"{rel!r} does not exist at revision {ref.rev!r}",
                    f"`git log -- {rel}` lists the revisions that have it")
    return shown.stdout


def read_bytes(ref: SpecRef, max_bytes: int = MAX_BYTES) -> bytes:
    if ref.rev is not None:
        data = read_bytes_at(ref)
    else:
        path = Path(ref.path)
        if not path.exists():
            raise _fail("SPEC001", ref.path, "no such file", "check the path")
        if path.is_dir():
            raise _fail("SPEC001", ref.path, "is a folder, not a spec file", "name a .md file")
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise _too_large(ref, size, max_bytes)
            data = path.read_bytes()
        except OSError as exc:
            raise _fail("SPEC001", ref.path, f"cannot read: {exc.strerror}", "check permissions") from exc
    if len(data) > max_bytes:
        raise _too_large(ref, len(data), max_bytes)
    return data


def _too_large(ref: SpecRef, size: int, max_bytes: int) -> SpecLoadError:
    return _fail("SPEC004", str(ref), f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit",
                 "split the spec into several files")


def decode(data: bytes, path: str) -> str:
    """Bytes -> text, refusing binary and non-UTF-8 input with the exact position."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data[:nul].count(b"\n") + 1
        raise _fail("SPEC003", path, "file looks binary (NUL byte)", "specs are UTF-8 Markdown text", line,
                    nul - data.rfind(b"\n", 0, nul))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - data.rfind(b"\n", 0, exc.start)
        raise _fail("SPEC002", path, f"invalid UTF-8 byte 0x{data[exc.start]:02x}",
                    "re-save the file as UTF-8", line, col) from exc
    if not text.strip():
        raise _fail("SPEC005", path, "file is empty", "write at least one section heading with an id")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(ref: SpecRef, max_bytes: int = MAX_BYTES) -> str:
    return decode(read_bytes(ref, max_bytes), str(ref))


def footnote_diagnostics(spec: Spec, ref: SpecRef) -> list[Diagnostic]:
    """Footnotes `[^key]` point to `examples/key.md` next to the spec; check both directions."""
    if ref.rev is not None:
        return []
    notes = spec.all_footnotes
    folder = Path(ref.path).parent / "examples"
    if not folder.is_dir():
        if not notes:
            return []
        first = notes[0].span or Span(path=str(ref), line=1)
        return [diag("SPEC035", first, f"{len(notes)} footnote references point to {folder}/, which does not exist",
                     "add the examples/ folder next to the spec, or remove the references")]
    out = []
    keys = {n.key for n in notes}
    for note in notes:
        if not (folder / f"{note.key}.md").is_file():
            out.append(diag("SPEC033", note.span or Span(path=str(ref), line=1),
                            f"footnote [^{note.key}] has no example file {folder / (note.key + '.md')}",
                            "add the file or fix the key"))
    for file in sorted(folder.glob("*.md")):
        if file.stem not in keys:
            out.append(diag("SPEC034", Span(path=str(file), line=1), f"example file {file.name} is not referenced",
                            f"reference it with [^{file.stem}] or delete it"))
    return out


def load(ref: SpecRef | str, max_bytes: int = MAX_BYTES) -> Loaded:
    """Read, parse and lint one spec. Raises `SpecLoadError` when it cannot be read at all."""
    ref = parse_ref(ref) if isinstance(ref, str) else ref
    text = read_text(ref, max_bytes)
    result = parse(text, str(ref))
    diagnostics = list(result.diagnostics) + lint_spec(result.spec) + footnote_diagnostics(result.spec, ref)
    if not result.spec.sections:
        diagnostics.append(diag("SPEC005", Span(path=str(ref), line=1), "spec has no section",
                                "add a heading with an id, e.g. `# Overview {#overview}`"))
    return Loaded(spec=result.spec, diagnostics=tuple(diagnostics), ref=ref)


def load_spec(ref: SpecRef | str) -> Spec:
    """The spec alone (callers that must not proceed on errors check `load(...).diagnostics`)."""
    return load(ref).spec


def expand(paths: list[str]) -> list[SpecRef]:
    """Files as given; folders -> their `*.md` files, recursively, skipping README/CHANGELOG/LICENSE,
    `examples/` folders (footnote bodies) and folders whose name starts with `_` or `.` (specs meant to be
    named on their own). Missing paths are returned as-is so reading reports them."""
    out: list[SpecRef] = []
    for text in paths:
        ref = parse_ref(text)
        path = Path(ref.path)
        if ref.rev is None and path.is_dir():
            for file in sorted(path.rglob("*.md")):
                rel_parts = file.relative_to(path).parts
                folders = rel_parts[:-1]
                if file.name.lower() in SKIPPED_NAMES or "examples" in folders or \
                        any(f.startswith(("_", ".")) for f in folders):
                    continue
                out.append(SpecRef(str(file)))
        else:
            out.append(ref)
    return out


class SpecLintError(DelibError):
    """Specs with lint errors, refused before any stage uses them; `diagnostics` holds every diagnostic of
    the specs (errors and warnings, in file order), for callers that print them all."""

    def __init__(self, diagnostics: tuple[Diagnostic, ...], paths: Sequence[str]) -> None:
        errors = [d for d in diagnostics if d.severity == "error"]
        shown = "\n  ".join(d.format() for d in errors[:MAX_SHOWN_ERRORS])
        more = f"\n  ... and {len(errors) - MAX_SHOWN_ERRORS} more" if len(errors) > MAX_SHOWN_ERRORS else ""
        super().__init__(f"{len(errors)} lint error(s):\n  {shown}{more}",
                         f"fix them first (`delib lint {' '.join(paths)}` lists them all)")
        self.diagnostics = diagnostics


MAX_SHOWN_ERRORS = 5


def load_clean(paths: Sequence[str]) -> tuple[tuple[Spec, ...], tuple[Diagnostic, ...]]:
    """The specs at `paths` (files, folders, PATH@REV) and their diagnostics (warnings only): the one way a
    stage loads the specs it works from. Raises `SpecLoadError` (unreadable, or no spec found) and
    `SpecLintError` (lint errors)."""
    from spec_lang.diagnostics import has_errors, sort_key

    refs = expand(list(paths))
    if not refs:
        raise DelibError(f"no spec files found in {', '.join(paths)}", "pass a spec file or a folder of specs")
    loaded = [load(ref) for ref in refs]
    diagnostics = tuple(sorted((d for x in loaded for d in x.diagnostics), key=sort_key))
    if has_errors(diagnostics):
        raise SpecLintError(diagnostics, paths)
    return tuple(x.spec for x in loaded), diagnostics
