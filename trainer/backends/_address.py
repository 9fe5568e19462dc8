"""Model addresses: the one parser of the strings that name a model, and the run-folder layout they read.

    parse_address("embedded")                          # the bundled SmolLM2-135M-Instruct
    parse_address("hf:models/my-model")                # a transformers folder (a LoRA adapter folder too)
    parse_address("runs/sft")                          # a `delib train` run folder: its final model
    parse_address("openai:http://h1/v1,http://h2/v1#m")  # an OpenAI-compatible server (replicas round-robin)
    parse_address("fake")                              # the deterministic stand-in

`open_backend` (chat), `resolve_model` (training), `LazyBackend` (generation) and the content keys all read
addresses through here, so a form accepted by one is accepted by all, with the same error. A judge
address is a model address or `rm:RUN` (`trainer.judging.open_judge`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from trainer.backends._errors import ModelAddressError

AddressKind = Literal["embedded", "fake", "hf", "openai"]

RUN_MANIFEST = "run.json"
"""A `delib train` run folder's manifest (`trainer.training.manifest`)."""
RUN_FINAL = "final"
"""A run folder's final model (`trainer.training.runs`)."""

ADDRESS_FORMS: tuple[tuple[str, str], ...] = (
    ("embedded", "the bundled SmolLM2-135M-Instruct, run locally (the default)"),
    ("hf:PATH", "a local transformers model folder, LoRA adapter folders included"),
    ("RUN or hf:RUN", "a `delib train` run folder: its final model"),
    ("openai:BASE_URL[#MODEL]", "an OpenAI-compatible server, e.g. openai:http://localhost:8000/v1#my-model"),
    ("openai:URL1,URL2#MODEL", "several replicas of one server, used round-robin"),
    ("fake", "a deterministic backend for wiring, tests and dry runs: answers in the format, every verdict passes"),
)
"""Accepted address forms, with what each means (shown in errors and `--help`)."""


def describe_forms() -> str:
    """The accepted address forms as an indented list."""
    width = max(len(form) for form, _ in ADDRESS_FORMS)
    return "\n".join(f"  {form.ljust(width)}  {meaning}" for form, meaning in ADDRESS_FORMS)


@dataclass(frozen=True)
class ModelAddress:
    """A parsed model address."""

    kind: AddressKind
    text: str
    """The address as given, stripped."""
    folder: Path | None = None
    """`hf`: the folder as given (user-expanded); `model_folder` resolves a run folder to its final model."""
    urls: tuple[str, ...] = ()
    """`openai`: the base URLs, in order."""
    model: str | None = None
    """`openai`: the model name after `#` (None: the server's only model)."""

    @property
    def model_folder(self) -> Path | None:
        """`hf`: the folder the weights are read from (a run folder's `final/`); else None."""
        if self.folder is None:
            return None
        return run_final_model(self.folder) or self.folder


def run_final_model(folder: Path) -> Path | None:
    """`folder/final` when `folder` is a `delib train` run folder (`run.json` and `final/`), else None."""
    final = folder / RUN_FINAL
    return final if (folder / RUN_MANIFEST).is_file() and final.is_dir() else None


def parse_address(text: str) -> ModelAddress:
    """The address `text` names; `ModelAddressError` (listing the forms) when it names none."""
    stripped = text.strip()
    kind, _, rest = stripped.partition(":")
    if stripped in ("embedded", "fake"):
        return ModelAddress(kind=stripped, text=stripped)  # type: ignore[arg-type]
    if kind == "hf":
        if not rest.strip():
            raise _bad(text, "hf: needs a folder, as hf:PATH")
        return ModelAddress(kind="hf", text=stripped, folder=Path(rest.strip()).expanduser())
    if kind == "openai":
        urls, model = _parse_openai(text, rest)
        return ModelAddress(kind="openai", text=stripped, urls=urls, model=model)
    if stripped and Path(stripped).expanduser().is_dir():
        return ModelAddress(kind="hf", text=stripped, folder=Path(stripped).expanduser())
    raise _bad(text, "no such model folder" if stripped and ":" not in stripped else "unknown address")


def _parse_openai(text: str, rest: str) -> tuple[tuple[str, ...], str | None]:
    address, _, model = rest.partition("#")
    urls = tuple(u.strip() for u in address.split(","))
    if not address.strip() or not all(urls):
        raise _bad(text, "openai: needs one or more base URLs separated by commas")
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise _bad(text, f"base URL {url!r} must start with http:// or https://")
    return urls, model.strip() or None


def model_identity(model_id: str) -> str:
    """The part of a backend's model id that names the model: for OpenAI-compatible servers, the model
    name without the base URLs (adding or moving a replica serves the same model)."""
    kind, _, rest = model_id.partition(":")
    if kind == "openai" and "#" in rest:
        return f"openai:{rest.rpartition('#')[2]}"
    return model_id


def _bad(text: str, why: str) -> ModelAddressError:
    return ModelAddressError(f"invalid model address {text!r}: {why}; accepted forms:\n{describe_forms()}")
