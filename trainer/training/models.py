"""Which model a run starts from: `embedded`, `hf:PATH` or a finished run folder, resolved to a local folder.

`resolve_model` is cheap (no torch): it finds the folder and says how it was found, for the manifest.
`load_model` reads it with transformers, in float32 (mixed precision is the trainer's business), on
the CPU (the trainer places it). A LoRA adapter folder (`hf:ADAPTER`) is merged into its base first,
exactly as the backends load it for chat.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from trainer.training.errors import ModelSourceError

LoadedAs = Literal["embedded", "hf", "run"]

_FORMS = "`embedded`, `hf:PATH` (a transformers model folder) or a run folder from `delib train` (RUN)"


class ModelSource(BaseModel):
    """A resolved `--model`: where its files are and how they were found."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    spec: str = Field(description="The `--model` value as given.")
    path: str = Field(description="The local transformers folder the weights and tokenizer are read from.")
    loaded_as: LoadedAs = Field(description="`embedded` (GGUF dequantised into the cache), `hf` or `run`.")
    model_id: str = Field(description="A readable id: `embedded:<name>`, `hf:<path>` or `run:<path>`.")
    parent_run: str | None = Field(None, description="The run folder this model is the final model of, if any.")


def resolve_model(spec: str) -> ModelSource:
    """The folder `spec` names. Raises `ModelSourceError` saying which forms are accepted."""
    text = spec.strip()
    if text == "embedded":
        from trainer.backends import ModelUnavailableError, embedded_model_dir

        try:
            folder = embedded_model_dir()  # the cache folder is named after the GGUF file
        except ModelUnavailableError as exc:
            raise ModelSourceError(f"cannot load the embedded model: {exc}") from exc
        return ModelSource(spec=spec, path=str(folder), loaded_as="embedded", model_id=f"embedded:{folder.name}")
    if text.startswith("hf:"):
        folder = Path(text[3:].strip()).expanduser()
        if not text[3:].strip():
            raise ModelSourceError(f"--model {spec!r}: hf: needs a folder", f"accepted forms: {_FORMS}")
        return _from_folder(spec, folder)
    folder = Path(text).expanduser()
    if folder.is_dir():
        return _from_folder(spec, folder)
    raise ModelSourceError(f"--model {spec!r}: unknown model (no such folder)", f"accepted forms: {_FORMS}")


def _from_folder(spec: str, folder: Path) -> ModelSource:
    from trainer.training.runs import final_model_of

    if not folder.is_dir():
        raise ModelSourceError(f"--model {spec!r}: folder {folder} does not exist", f"accepted forms: {_FORMS}")
    resolved = folder.resolve()
    final = final_model_of(resolved)
    if final is not None:
        return ModelSource(spec=spec, path=str(final), loaded_as="run", model_id=f"run:{resolved}",
                           parent_run=str(resolved))
    if not ((resolved / "config.json").is_file() or (resolved / "adapter_config.json").is_file()):
        raise ModelSourceError(f"--model {spec!r}: {resolved} holds neither a transformers model (config.json) "
                               "nor a finished training run (run.json + final/)", f"accepted forms: {_FORMS}")
    return ModelSource(spec=spec, path=str(resolved), loaded_as="hf", model_id=f"hf:{resolved}")


def load_model(source: ModelSource) -> tuple[Any, Any]:
    """`(model, tokenizer)` for training: float32 weights on the CPU, in train mode."""
    import torch

    from trainer.backends import BackendError, load_causal_lm

    try:
        model, tokenizer = load_causal_lm(Path(source.path), torch.device("cpu"), torch.float32)
    except BackendError as exc:
        raise ModelSourceError(f"--model {source.spec!r}: {exc}") from exc
    model.train()
    return model, tokenizer
