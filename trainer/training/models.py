"""Which model a run starts from: `embedded`, `hf:PATH` or a finished run folder, resolved to a local folder.

`resolve_model` is cheap (no torch): it finds the folder and says how it was found, for the manifest.
`load_model` reads it with transformers, in float32 (mixed precision is the trainer's business), on
the CPU (the trainer places it). A LoRA adapter folder (`hf:ADAPTER`) is merged into its base first,
exactly as the backends load it for chat.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trainer.training.errors import ModelSourceError
from trainer.training.manifest import LoadedAs, ModelSource
from trainer.training.runs import final_model_of

__all__ = ["LoadedAs", "ModelSource", "load_model", "resolve_model"]

_FORMS = "`embedded`, `hf:PATH` (a transformers model folder) or a run folder from `delib train` (RUN)"


def resolve_model(spec: str) -> ModelSource:
    """The folder the model address `spec` names (`trainer.backends.parse_address`; served models cannot be
    trained). Raises `ModelSourceError` saying which forms are accepted."""
    from trainer.backends import ModelAddressError, parse_address

    try:
        address = parse_address(spec)
    except ModelAddressError as exc:
        raise ModelSourceError(f"--model {spec!r}: {exc.message.partition(';')[0]}", f"accepted forms: {_FORMS}") \
            from exc
    if address.kind == "embedded":
        from trainer.backends import ModelUnavailableError, embedded_model_dir

        try:
            folder = embedded_model_dir()  # the cache folder is named after the GGUF file
        except ModelUnavailableError as exc:
            raise ModelSourceError(f"cannot load the embedded model: {exc}") from exc
        return ModelSource(spec=spec, path=str(folder), loaded_as="embedded", model_id=f"embedded:{folder.name}")
    if address.kind != "hf" or address.folder is None:
        raise ModelSourceError(f"--model {spec!r}: a {address.kind} model cannot be trained here (it is served, "
                               "not a folder)", f"accepted forms: {_FORMS}")
    return _from_folder(spec, address.folder)


def _from_folder(spec: str, folder: Path) -> ModelSource:
    resolved = folder.resolve()
    if not resolved.is_dir():
        from trainer.backends import missing_model_folder

        raise ModelSourceError(f"--model {spec!r}: {missing_model_folder(resolved).message}")
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
