"""The stored unit index: a faiss index, the unit vectors (`.npy`) and JSON metadata, in one folder.

Nothing is unpickled: faiss's own format, `np.load(allow_pickle=False)` and JSON. An index records the
spec revision, the embedding model id and how units were cut; one that differs from what is asked for is
stale and is rebuilt, re-embedding only the units whose content hash is not among the old vectors of the
same model. Folders are written whole to a temporary sibling and then renamed into place.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from compiler.retrieval._embedder import Embedder, Vectors
from compiler.retrieval._units import Unit, spec_units, units_fingerprint
from spec_lang.errors import DelibError, OutputError
from spec_lang.model import Spec
from spec_lang.versions import revision_id

INDEX_FORMAT = 1
META_FILE, FAISS_FILE, VECTORS_FILE = "meta.json", "index.faiss", "vectors.npy"


class RetrievalIndexError(DelibError):
    """A stored index cannot be used: unreadable, corrupt, or built for something else."""


class IndexMeta(BaseModel):
    """What a stored index was built from, and its units in row order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int = Field(description="Version of the on-disk layout.")
    spec_id: str = Field(description="The spec's id (front matter).")
    spec_revision: str = Field(description="`spec_lang.versions.revision_id` of the indexed spec.")
    model_id: str = Field(description="The embedder's model id.")
    units_fingerprint: str = Field(description="How units were cut (see `units_fingerprint`).")
    dim: int = Field(description="Vector dimension.")
    units: tuple[Unit, ...] = Field(description="The units, one per vector row.")
    hashes: tuple[str, ...] = Field(description="Content hash of each unit, aligned with `units`.")


@dataclass(frozen=True)
class UnitIndex:
    """An index in memory: metadata, the faiss index and the raw vectors (kept for incremental rebuilds)."""

    meta: IndexMeta
    faiss_index: Any
    vectors: Vectors


@dataclass(frozen=True)
class BuildReport:
    """How an index was obtained: loaded as is, or built (and why), with the number of units embedded."""

    folder: Path | None
    built: bool
    reason: str
    embedded: int
    total: int


def _flat(vectors: Vectors) -> Any:
    index = faiss.IndexFlatIP(int(vectors.shape[1]))
    if len(vectors):
        index.add(vectors)
    return index


def build_index(spec: Spec, embedder: Embedder, *, max_words: int = 80,
                previous: UnitIndex | None = None) -> tuple[UnitIndex, int]:
    """Embed the spec's units, reusing `previous`'s vectors (same model) by content hash.
    Returns the index and the number of units that were embedded."""
    units = spec_units(spec, max_words)
    if not units:
        raise RetrievalIndexError(f"{spec.path}: the spec has no retrievable category (no `kind=category` "
                                  "section, or in Model Spec format no section with an `authority`); "
                                  "mark the sections that prompts should be routed to")
    hashes = tuple(u.content_hash for u in units)
    cached: dict[str, Vectors] = {}
    if previous is not None and previous.meta.model_id == embedder.model_id:
        cached = {h: previous.vectors[i] for i, h in enumerate(previous.meta.hashes)}
    missing = sorted({h for h in hashes if h not in cached})
    if missing:
        text_of = {h: u.text for h, u in zip(hashes, units, strict=True)}
        fresh = embedder.encode([text_of[h] for h in missing])
        cached.update(zip(missing, fresh, strict=True))
    vectors = np.ascontiguousarray(np.stack([cached[h] for h in hashes]), dtype=np.float32)
    meta = IndexMeta(format=INDEX_FORMAT, spec_id=spec.meta.id, spec_revision=revision_id(spec),
                     model_id=embedder.model_id, units_fingerprint=units_fingerprint(max_words),
                     dim=int(vectors.shape[1]), units=units, hashes=hashes)
    return UnitIndex(meta=meta, faiss_index=_flat(vectors), vectors=vectors), len(missing)


def save_index(index: UnitIndex, folder: Path) -> None:
    """Write the index to `folder` atomically (temporary sibling folder, then rename); `OutputError` when the
    folder cannot be written."""
    try:
        _save_index(index, folder)
    except OSError as exc:
        raise OutputError.of(folder, exc) from exc


def _save_index(index: UnitIndex, folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; an index is no secret
        faiss.write_index(index.faiss_index, str(tmp / FAISS_FILE))
        np.save(tmp / VECTORS_FILE, index.vectors, allow_pickle=False)
        (tmp / META_FILE).write_text(index.meta.model_dump_json(indent=1), encoding="utf-8")
        old = None
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
            os.replace(folder, old)
        os.replace(tmp, folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load_index(folder: Path) -> UnitIndex:
    """Read an index folder; raises `RetrievalIndexError` saying what is wrong when it is not usable."""
    where = f"index at {folder}"
    fix = f"delete the folder or rebuild it with `delib index SPEC -o {folder}`"
    if not (folder / META_FILE).is_file():
        raise RetrievalIndexError(f"{where}: no {META_FILE} (not an index folder); {fix}")
    try:
        meta = IndexMeta.model_validate(json.loads((folder / META_FILE).read_text(encoding="utf-8")))
        vectors = np.load(folder / VECTORS_FILE, allow_pickle=False)
        faiss_index = faiss.read_index(str(folder / FAISS_FILE))
    except (OSError, ValueError, ValidationError, RuntimeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RetrievalIndexError(f"{where} is corrupt or unreadable ({reason[:200]}); {fix}") from exc
    if meta.format != INDEX_FORMAT:
        raise RetrievalIndexError(f"{where} has format {meta.format}, expected {INDEX_FORMAT}; {fix}")
    n = len(meta.units)
    if vectors.dtype != np.float32 or vectors.shape != (n, meta.dim) or faiss_index.ntotal != n \
            or faiss_index.d != meta.dim or len(meta.hashes) != n:
        raise RetrievalIndexError(f"{where} is corrupt: {n} units but vectors {vectors.shape} and "
                                  f"{faiss_index.ntotal} faiss rows; {fix}")
    return UnitIndex(meta=meta, faiss_index=faiss_index, vectors=vectors)


def stale_reason(meta: IndexMeta, spec: Spec, model_id: str, max_words: int) -> str | None:
    """Why an index does not fit this spec and embedder, or None when it does."""
    if meta.model_id != model_id:
        return f"built with embedding model {meta.model_id}, not {model_id}"
    if meta.spec_revision != revision_id(spec):
        return f"built from spec revision {meta.spec_revision}, not {revision_id(spec)}"
    if meta.units_fingerprint != units_fingerprint(max_words):
        return f"units cut as {meta.units_fingerprint}, not {units_fingerprint(max_words)}"
    return None


def open_index(spec: Spec, embedder: Embedder, folder: Path | None, *, max_words: int = 80,
               rebuild: bool = False, notify: Callable[[str], None] | None = None) -> tuple[UnitIndex, BuildReport]:
    """Load the index in `folder` when it fits, else build it (reusing what vectors it has) and save it.
    `folder=None` builds in memory only. A corrupt or stale index is rebuilt; `notify` hears why."""
    previous: UnitIndex | None = None
    reason = "no index yet"
    if folder is not None and (folder / META_FILE).exists():
        try:
            previous = load_index(folder)
            stale = "rebuild requested" if rebuild else stale_reason(previous.meta, spec, embedder.model_id,
                                                                     max_words)
            if stale is None:
                n = len(previous.meta.units)
                return previous, BuildReport(folder, built=False, reason="up to date", embedded=0, total=n)
            reason = stale
        except RetrievalIndexError as exc:
            reason = str(exc)
        if notify is not None:
            notify(f"rebuilding the retrieval index: {reason}")
    index, embedded = build_index(spec, embedder, max_words=max_words, previous=previous)
    if folder is not None:
        save_index(index, folder)
    return index, BuildReport(folder, built=True, reason=reason, embedded=embedded, total=len(index.meta.units))
