"""Loading a local transformers causal LM (optionally a LoRA adapter over a base model) onto a device.

No hub access ever: every `from_pretrained` call passes `local_files_only=True`, so a missing file is a
clear local error rather than a download attempt.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trainer.backends._errors import ModelUnavailableError

ADAPTER_CONFIG = "adapter_config.json"
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")


def missing_model_folder(path: Path) -> ModelUnavailableError:
    """What every command says of a model folder (`hf:PATH`) that does not exist."""
    return ModelUnavailableError(f"model folder {path} does not exist; pass hf:PATH with a saved transformers model")


def pick_device(device: str | None = None) -> tuple[Any, Any]:
    """`(torch.device, dtype)`: CUDA with bfloat16 when available (or asked for), else CPU with float32."""
    import torch

    name = device or ("cuda" if torch.cuda.is_available() else "cpu")
    try:
        chosen = torch.device(name)
    except RuntimeError as exc:
        raise ModelUnavailableError(f"unknown device {name!r}: {exc}; use 'cpu', 'cuda' or 'cuda:N'") from exc
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise ModelUnavailableError(f"device {name!r} requested but CUDA is not available; use device='cpu'")
    return chosen, torch.bfloat16 if chosen.type == "cuda" else torch.float32


def load_causal_lm(path: Path, device: Any, dtype: Any) -> tuple[Any, Any]:
    """`(model, tokenizer)` from a local folder, in eval mode on `device`.

    A folder with `adapter_config.json` is a PEFT adapter: its base model (`base_model_name_or_path`,
    which must be a local folder, relative paths resolved against the adapter) is loaded and the
    adapter merged into it for fast inference. The tokenizer comes from the adapter folder when it
    has one (trainers save it there), else from the base.
    """
    if not path.is_dir():
        raise missing_model_folder(path)
    adapter = path / ADAPTER_CONFIG
    base = _adapter_base(adapter) if adapter.is_file() else path
    model = _from_pretrained_model(base, dtype)
    if adapter.is_file():
        from peft import PeftModel

        try:
            model = PeftModel.from_pretrained(model, str(path)).merge_and_unload()
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise ModelUnavailableError(f"cannot apply the LoRA adapter in {path} to base {base}: {exc}") from exc
    has_own_tokenizer = any((path / name).is_file() for name in _TOKENIZER_FILES)
    tokenizer = _from_pretrained_tokenizer(path if has_own_tokenizer else base)
    model.to(device)
    model.eval()
    return model, tokenizer


def _adapter_base(adapter: Path) -> Path:
    try:
        config = json.loads(adapter.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelUnavailableError(f"{adapter}: cannot read the adapter config: {exc}") from exc
    name = config.get("base_model_name_or_path") if isinstance(config, dict) else None
    if not isinstance(name, str) or not name:
        raise ModelUnavailableError(f"{adapter}: no `base_model_name_or_path`; set it to the base model's folder")
    named = Path(name).expanduser()
    candidates = [named] if named.is_absolute() else [adapter.parent / named, Path.cwd() / named]
    for base in candidates:
        if base.is_dir():
            return base.resolve()
    raise ModelUnavailableError(
        f"{adapter}: base model {name!r} is not a local folder (no hub access); "
        "edit `base_model_name_or_path` to point at the base model's folder"
    )


def _from_pretrained_model(path: Path, dtype: Any) -> Any:
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # our own progress goes to stderr
    try:
        return AutoModelForCausalLM.from_pretrained(path, local_files_only=True, dtype=dtype)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailableError(f"cannot load a causal language model from {path}: {exc}") from exc


def _from_pretrained_tokenizer(path: Path) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailableError(f"cannot load a tokenizer from {path}: {exc}") from exc
