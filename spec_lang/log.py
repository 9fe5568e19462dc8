"""The history of a spec file: the git commits that changed it, each with its spec revision id and a
one-line summary of the semantic change against the commit before (`delib log`).

The git calls are the I/O edge (`spec_log`); `history` is the pure part, turning the file's text at each
commit into entries. Renames are followed (`git log --follow`), reading each commit's file under the
name it had then.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from spec_lang._diff_model import Frozen
from spec_lang.diagnostics import diag
from spec_lang.diff import diff_specs, summary_line
from spec_lang.loader import SpecLoadError, decode, parse_ref
from spec_lang.model import Span, Spec
from spec_lang.parser import parse
from spec_lang.versions import revision_id

_RECORD, _FIELD = "\x1e", "\x1f"


class LogEntry(Frozen):
    """One commit that changed the spec file."""

    commit: str = Field(description="Full commit hash.")
    short: str = Field(description="Abbreviated commit hash.")
    date: str = Field(description="Author date, ISO 8601.")
    subject: str = Field(description="First line of the commit message.")
    path: str = Field(description="The file's path in the repository at that commit.")
    revision: str | None = Field(description="Spec revision id at that commit (None: file unreadable or deleted).")
    summary: str = Field(description="Semantic change against the previous commit, in one line.")


@dataclass(frozen=True)
class Commit:
    """A commit and the file's text at it (None when the file is absent or unreadable there)."""

    commit: str
    short: str
    date: str
    subject: str
    path: str
    text: str | None
    problem: str | None = None
    """Why `text` is None."""


def _initial(spec: Spec) -> str:
    return (f"first revision: {len(spec.sections)} sections, {len(spec.categories)} categories, "
            f"{len(spec.rules)} rules, {len(spec.examples)} examples")


def history(commits: list[Commit]) -> tuple[LogEntry, ...]:
    """Entries for `commits` given oldest first; returned newest first, as `git log` prints them."""
    entries: list[LogEntry] = []
    prev_spec: Spec | None = None
    prev_text: str | None = None
    for c in commits:
        revision: str | None = None
        if c.text is None:
            summary = c.problem or "file absent"
            spec = None
        else:
            spec = parse(c.text, f"{c.path}@{c.short}").spec
            revision = revision_id(spec)
            if prev_spec is None:
                summary = _initial(spec)
            elif c.text == prev_text:
                summary = "no content change (file renamed or mode changed)"
            else:
                summary = summary_line(diff_specs(prev_spec, spec))
        entries.append(LogEntry(commit=c.commit, short=c.short, date=c.date, subject=c.subject, path=c.path,
                                revision=revision, summary=summary))
        prev_spec, prev_text = spec, c.text
    return tuple(reversed(entries))


def _fail(path: str, message: str, hint: str) -> SpecLoadError:
    return SpecLoadError(diag("SPEC001", Span(path=path, line=1), message, hint))


def _git(args: list[str], cwd: Path, where: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise _fail(where, f"cannot run git: {exc}", "install git; `delib log` reads the file's git history") from exc


def _repository(path: Path, where: str) -> tuple[Path, str]:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise _fail(where, f"folder {str(folder)!r} does not exist", "check the path")
    top = _git(["rev-parse", "--show-toplevel"], folder, where)
    if top.returncode != 0:
        raise _fail(where, f"{str(folder)!r} is not inside a git repository",
                    "`delib log` lists the commits of a file tracked by git")
    root = Path(top.stdout.decode().strip())
    return root, (folder.resolve() / path.name).relative_to(root.resolve()).as_posix()


def _commits(root: Path, rel: str, where: str, max_count: int | None, rev: str | None) -> list[Commit]:
    fmt = _RECORD + _FIELD.join(("%H", "%h", "%aI", "%s"))
    args = ["log", "--follow", f"--format={fmt}", "--name-only"]
    args += [f"--max-count={max_count}"] if max_count else []
    if rev is not None:
        if _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], root, where).returncode != 0:
            raise _fail(where, f"unknown git revision {rev!r}",
                        "use a branch, tag, commit hash or an expression such as HEAD~1")
        args.append(rev)
    listed = _git([*args, "--", rel], root, where)
    if listed.returncode != 0:
        raise _fail(where, f"git log failed: {listed.stderr.decode(errors='replace').strip()}",
                    "check that the repository has at least one commit")
    out: list[Commit] = []
    for record in listed.stdout.decode(errors="replace").split(_RECORD)[1:]:
        head, _, names = record.partition("\n")
        commit, short, date, subject = head.split(_FIELD, 3)
        name = next((n for n in names.splitlines() if n.strip()), rel)
        shown = _git(["show", f"{commit}:{name}"], root, where)
        text, problem = None, None
        if shown.returncode != 0:
            problem = "file deleted"
        else:
            try:
                text = decode(shown.stdout, f"{name}@{short}")
            except SpecLoadError as exc:
                problem = "unreadable: " + exc.diagnostic.message
        out.append(Commit(commit, short, date, subject, name, text, problem))
    return out[::-1]


def spec_log(ref: str, max_count: int | None = None) -> tuple[LogEntry, ...]:
    """The commits that changed the spec file `ref` (`PATH`, or `PATH@REV` for the history up to REV), newest
    first, with revision ids and summaries. Raises `SpecLoadError` when there is no repository or commit."""
    spec_ref = parse_ref(ref)
    path = spec_ref.path
    root, rel = _repository(Path(path), ref)
    commits = _commits(root, rel, ref, max_count + 1 if max_count else None, spec_ref.rev)  # +1: the baseline
    if not commits:
        raise _fail(ref, f"no commit in {str(root)!r} changes {rel!r}",
                    "commit the file first (git add, git commit); `delib log` lists the commits that changed it")
    entries = history(commits)
    return entries[:max_count] if max_count else entries
