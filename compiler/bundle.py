"""Bundles: the compiled prompts and rubrics of every category, in memory and on disk.

Layout of a bundle folder:

    manifest.json                       what it was compiled from (see `compiler/_manifest.py`)
    sources/<spec id>.json              the parsed spec it was compiled from (`Bundle.specs()`)
    categories/<category id>/
        system_prompt.md                spec(category): the system prompt for generation
        rubric.md                       the judge rubric that sees reasoning and answer (SFT filtering)
        rubric_answer_only.md           the judge rubric that sees only the answer (RL reward)
        rubric.schema.json              JSON Schema of the judge's verdict for this category

Writing is incremental and atomic: files whose bytes are unchanged are not touched (their mtimes
stay), changed files are first written to temporary files next to their targets and only then moved
into place with `os.replace`, the manifest last, so a failure while writing leaves the previous
bundle as it was. Categories that disappeared are removed after the manifest is written.

Every id a manifest names is checked (`spec_lang.ids`) when it is read, since ids become paths: a
manifest naming `../x` or `/x` is refused (`load_bundle` raises `BundleError`), and `write_bundle`
replaces such a manifest without removing anything it names.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from compiler._manifest import (
    CATEGORIES_DIR,
    FILES,
    FORMAT_VERSION,
    MANIFEST,
    RUBRIC,
    RUBRIC_ANSWER_ONLY,
    SCHEMA,
    SOURCES_DIR,
    SYSTEM_PROMPT,
    CategoryEntry,
    Id,
    Manifest,
    file_hash,
)
from compiler.errors import BundleError
from compiler.reasoning import ReasoningFormat, from_completion_format
from spec_lang.model import Spec


def spec_snapshot(spec: Spec) -> str:
    """The semantic form of `spec` as canonical JSON (the same for the same content, wherever it was read)."""
    return json.dumps(spec.semantic(), sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


class Bundle(BaseModel):
    """A compiled bundle: the manifest plus the text of every file, by category and file name."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    manifest: Manifest
    texts: dict[Id, dict[str, str]] = Field(description="Category id -> file name -> text.")
    sources: dict[Id, str] = Field(default_factory=dict, description="Spec id -> `spec_snapshot` JSON.")

    @property
    def categories(self) -> tuple[str, ...]:
        """Category ids, in spec and document order."""
        return tuple(c.id for c in self.manifest.categories)

    @property
    def revision(self) -> str:
        """The spec revision the bundle was compiled from (`spec_lang.versions.revision_id`)."""
        return self.manifest.revision

    @property
    def reasoning(self) -> ReasoningFormat:
        """The reasoning format the system prompts ask for (`compiler.reasoning`, from the manifest)."""
        return from_completion_format(self.manifest.completion_format)

    def specs(self) -> tuple[Spec, ...]:
        """The parsed specs the bundle was compiled from (semantic content: no paths or line numbers).

        Raises `BundleError` when the bundle holds no snapshot of one (written by an older delib)."""
        missing = [s.id for s in self.manifest.specs if s.id not in self.sources]
        if missing:
            raise BundleError(f"the bundle holds no snapshot of spec {missing[0]!r} ({SOURCES_DIR}/{missing[0]}.json)",
                              "recompile the bundle with this delib (`delib compile SPEC -o BUNDLE`)")
        specs = []
        for entry in self.manifest.specs:
            try:
                specs.append(Spec.model_validate_json(self.sources[entry.id]))
            except ValidationError as exc:
                raise BundleError(f"{SOURCES_DIR}/{entry.id}.json: not a valid spec snapshot "
                                  f"({exc.errors()[0]['msg']})",
                                  "recompile the bundle (`delib compile SPEC -o BUNDLE --force`)") from exc
        return tuple(specs)

    def entry(self, category: str) -> CategoryEntry:
        found = self.manifest.category(category)
        if found is None:
            raise BundleError(f"no category {category!r} in this bundle",
                              f"categories: {', '.join(self.categories) or '(none)'}")
        return found

    def category_hash(self, category: str) -> str:
        """The category's content hash (`spec_lang.versions.category_hashes`): changes when its files do."""
        return self.entry(category).hash

    def file(self, category: str, name: str) -> str:
        self.entry(category)
        return self.texts[category][name]

    def system_prompt(self, category: str) -> str:
        """spec(category): the system prompt for generating training data in this category."""
        return self.file(category, SYSTEM_PROMPT)

    def rubric(self, category: str, show_reasoning: bool = True) -> str:
        """The judge rubric: with `show_reasoning` the variant that sees the reasoning (SFT filtering),
        without it the variant that sees only the answer (RL reward)."""
        return self.file(category, RUBRIC if show_reasoning else RUBRIC_ANSWER_ONLY)

    def rubric_schema(self, category: str) -> dict[str, Any]:
        """The verdict JSON Schema for this category."""
        return json.loads(self.file(category, SCHEMA))  # type: ignore[no-any-return]

    def valid_ids(self, category: str) -> tuple[str, ...]:
        """The ids a verdict's `violated_rules` (and a completion's citations) may name for this category."""
        items = self.rubric_schema(category)["properties"]["violated_rules"]["items"]
        return tuple(items.get("enum", ()))

    def tokens(self, category: str) -> dict[str, int]:
        """Token counts of the prompt files, by the tokenizer named in `manifest.tokenizer`."""
        return dict(self.entry(category).tokens)

    def over_budget(self, max_tokens: int) -> list[tuple[str, str, int]]:
        """(category, file, tokens) for every prompt file longer than `max_tokens`."""
        return [(c.id, name, n) for c in self.manifest.categories for name, n in sorted(c.tokens.items())
                if n > max_tokens]


@dataclass(frozen=True)
class WriteReport:
    """What `write_bundle` did, by category id."""

    path: str
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]
    replaced: str | None = None
    """Why the manifest already there could not be read (it was replaced, and nothing it named was
    removed), else None."""


def _first_error(exc: ValidationError) -> str:
    """`categories.0.id: invalid id '../x' (...)`: where in the manifest, and what is wrong."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _read_manifest(root: Path) -> Manifest:
    path = root / MANIFEST
    if not path.is_file():
        raise BundleError(f"{root}: no bundle here ({MANIFEST} is missing)",
                          f"compile one with `delib compile SPEC -o {root}`")
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except (OSError, ValueError) as exc:
        reason = _first_error(exc) if isinstance(exc, ValidationError) else str(exc)
        raise BundleError(f"{path}: not a valid bundle manifest ({reason})",
                          f"recompile with `delib compile SPEC -o {root}`") from exc


def read_bundle(path: str | Path) -> tuple[Bundle, tuple[str, ...]]:
    """The bundle at `path`, leniently: also the files (relative paths) that are missing or differ
    from the manifest; those read as "". Raises `BundleError` when the manifest is missing or corrupt."""
    root = Path(path)
    manifest = _read_manifest(root)
    texts: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    for entry in manifest.categories:
        texts[entry.id] = {}
        for name in FILES:
            rel = f"{CATEGORIES_DIR}/{entry.id}/{name}"
            try:
                data = (root / rel).read_bytes()
            except OSError:
                problems.append(f"{rel} (missing)")
                data = b""
            else:
                if file_hash(data) != entry.files.get(name):
                    problems.append(f"{rel} (modified)")
            texts[entry.id][name] = data.decode("utf-8", errors="replace")
    sources = {}
    for spec in manifest.specs:
        with contextlib.suppress(OSError, UnicodeDecodeError):  # absent in older bundles: `specs()` says so
            sources[spec.id] = (root / SOURCES_DIR / f"{spec.id}.json").read_text(encoding="utf-8")
    return Bundle(manifest=manifest, texts=texts, sources=sources), tuple(problems)


def load_bundle(path: str | Path) -> Bundle:
    """The bundle at `path`, validated: the manifest parses, is of this compiler's format version, and
    every file exists with the hash the manifest records. Raises `BundleError` saying what to do."""
    bundle, problems = read_bundle(path)
    if bundle.manifest.format_version != FORMAT_VERSION:
        raise BundleError(f"{path}: bundle format {bundle.manifest.format_version}, this delib reads "
                          f"format {FORMAT_VERSION}", f"recompile with `delib compile SPEC -o {path}`")
    if problems:
        more = f" and {len(problems) - 3} more" if len(problems) > 3 else ""
        raise BundleError(f"{path}: bundle files do not match the manifest: {', '.join(problems[:3])}{more}",
                          f"compiled files must not be edited by hand; recompile with `delib compile SPEC -o {path}`")
    return bundle


def _stage(target: Path, data: bytes, staged: list[tuple[Path, Path]]) -> bool:
    """Write `data` to a temporary file next to `target` and record it in `staged`, unless `target`
    already holds exactly `data`. True when staged."""
    try:
        if target.read_bytes() == data:
            return False
    except OSError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    staged.append((tmp, target))  # before writing: a partly written file is cleaned up too
    tmp.write_bytes(data)
    return True


def _remove_category(root: Path, category: str) -> None:
    folder = root / CATEGORIES_DIR / category
    for name in FILES:
        (folder / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # the folder holds files that are not ours: leave them
        folder.rmdir()


def write_bundle(bundle: Bundle, path: str | Path) -> WriteReport:
    """Write `bundle` to the folder `path` (created if needed), touching only files whose bytes change."""
    root = Path(path)
    replaced = None
    try:
        old: Manifest | None = _read_manifest(root)
    except BundleError as exc:  # an unreadable manifest names nothing we may remove
        old = None
        replaced = exc.message if (root / MANIFEST).is_file() else None
    staged: list[tuple[Path, Path]] = []
    written: list[str] = []
    try:
        for entry in bundle.manifest.categories:
            folder = root / CATEGORIES_DIR / entry.id
            changed = [_stage(folder / name, bundle.texts[entry.id][name].encode(), staged) for name in FILES]
            if any(changed):
                written.append(entry.id)
        for spec_id, snapshot in sorted(bundle.sources.items()):
            _stage(root / SOURCES_DIR / f"{spec_id}.json", snapshot.encode(), staged)
        _stage(root / MANIFEST, bundle.manifest.to_json().encode(), staged)  # last: the bundle changes when it does
        for tmp, target in staged:
            os.replace(tmp, target)
        removed = [c.id for c in old.categories if bundle.manifest.category(c.id) is None] if old else []
        for category in removed:
            _remove_category(root, category)
        for spec in old.specs if old else ():
            if spec.id not in bundle.sources:
                (root / SOURCES_DIR / f"{spec.id}.json").unlink(missing_ok=True)
    except OSError as exc:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        raise BundleError(f"{exc.filename or root}: cannot write the bundle: {exc.strerror or exc}",
                          "check the folder is writable and the disk has space; the previous manifest is kept") from exc
    unchanged = tuple(c for c in bundle.categories if c not in written)
    return WriteReport(path=str(root), written=tuple(written), unchanged=unchanged, removed=tuple(removed),
                       replaced=replaced)

