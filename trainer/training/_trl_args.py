"""The one place our stage configs become TRL configs (`SFTConfig`, `GRPOConfig`), overrides included.

A user never writes a TRL config; `--trl-arg key=value` reaches any field we do not manage. Keys are
checked against the TRL dataclass's fields (unknown keys get a did-you-mean), values are parsed by the
field's type, and keys our configs own (e.g. `max_steps`) are refused with the option to use instead.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from trainer.training.configs import RLStageConfig, SFTStageConfig
from trainer.training.errors import OverrideError

_SHARED_RESERVED: dict[str, str] = {
    "output_dir": "the run folder (-o RUN); checkpoints go to RUN/checkpoints",
    "num_train_epochs": "--epochs",
    "max_steps": "--max-steps",
    "learning_rate": "--lr",
    "per_device_train_batch_size": "--batch-size",
    "seed": "--seed",
    "bf16": "--bf16/--no-bf16",
    "save_steps": "--save-steps",
    "resume_from_checkpoint": "rerunning the same command (runs resume from their last checkpoint)",
    "chat_template_path": "--chat-template",
}
SFT_RESERVED: dict[str, str] = {
    **_SHARED_RESERVED,
    "gradient_accumulation_steps": "--grad-accum",
    "max_length": "--max-length",
    "completion_only_loss": "nothing: SFT always trains on the completion only",
    "assistant_only_loss": "nothing: SFT always trains on the completion only",
    "train_sampling_strategy": "--group-by-length",
}
"""SFTConfig fields our `SFTStageConfig` owns, with the option that sets them."""
RL_RESERVED: dict[str, str] = {
    **_SHARED_RESERVED,
    "num_generations": "--num-generations",
    "max_completion_length": "--max-completion-length",
    "beta": "--beta",
    "reward_weights": "--w-judge/--w-format/--w-cite",
    "use_vllm": "--vllm-mode",
    "vllm_mode": "--vllm-mode",
    "vllm_server_base_url": "--vllm-server-url",
}
"""GRPOConfig fields our `RLStageConfig` owns, with the option that sets them."""

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def parse_override_pairs(pairs: Sequence[str]) -> dict[str, str]:
    """`["key=value", ...]` -> `{key: value}` (later pairs win). Raises `OverrideError` for a pair without `=`."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise OverrideError(f"TRL override {pair!r} is not of the form key=value",
                                "write e.g. --trl-arg weight_decay=0.01")
        parsed[key.strip().replace("-", "_")] = value.strip()
    return parsed


def coerce_overrides(config_cls: type, overrides: Mapping[str, str], reserved: Mapping[str, str]) -> dict[str, Any]:
    """Typed values for `overrides`, checked against the fields of the TRL dataclass `config_cls`.

    Collects every problem before raising one `OverrideError` that lists them all.
    """
    hints = typing.get_type_hints(config_cls)
    names = [f.name for f in dataclasses.fields(config_cls) if f.init]
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, raw in overrides.items():
        if key in reserved:
            problems.append(f"`{key}` is set by {reserved[key]}, not by --trl-arg")
        elif key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            problems.append(f"`{key}` is not a {config_cls.__name__} field"
                            + (f" (did you mean `{close[0]}`?)" if close else ""))
        else:
            try:
                values[key] = _coerce(raw, hints.get(key, str))
            except ValueError as exc:
                problems.append(f"`{key}={raw}`: {exc}")
    if problems:
        raise OverrideError(f"bad TRL override{'s' if len(problems) > 1 else ''}: " + "; ".join(problems),
                            f"fields are listed in TRL's {config_cls.__name__} documentation")
    return values


def _coerce(raw: str, annotation: Any) -> Any:
    """`raw` parsed as the first member of `annotation` it fits: None, bool, int, float, list/dict (JSON), str."""
    members = typing.get_args(annotation) if isinstance(annotation, types.UnionType) or \
        typing.get_origin(annotation) is typing.Union else (annotation,)
    low = raw.lower()
    if type(None) in members and low in {"none", "null"}:
        return None
    if bool in members and low in _TRUE | _FALSE:
        return low in _TRUE
    for kind in (int, float):
        if kind in members:
            try:
                return kind(raw)
            except ValueError:
                pass
    containers = [m for m in members if typing.get_origin(m) in (list, dict) or m in (list, dict)]
    if containers and raw[:1] in "[{":
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ValueError(f"not valid JSON ({exc})") from None
    literals = [a for m in members if typing.get_origin(m) is typing.Literal for a in typing.get_args(m)]
    if str in members or any(isinstance(m, type) and issubclass(m, str) for m in members):
        return raw
    if literals and raw in map(str, literals):
        return raw
    if containers:
        return [part.strip() for part in raw.split(",") if part.strip()]
    expected = " or ".join(getattr(m, "__name__", str(m)) for m in members)
    raise ValueError(f"expected {expected}")


def resolve_bf16(choice: bool | None) -> bool:
    """`choice`, or when None: whether a CUDA GPU with bfloat16 support is present."""
    if choice is not None:
        return choice
    import torch

    return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())


def _common(config: SFTStageConfig | RLStageConfig, checkpoints: Path) -> dict[str, Any]:
    import torch

    return {
        "output_dir": str(checkpoints),
        "num_train_epochs": config.epochs,
        "max_steps": config.max_steps if config.max_steps is not None else -1,
        "learning_rate": config.learning_rate,
        "seed": config.seed,
        "bf16": resolve_bf16(config.bf16),
        "save_strategy": "steps",
        "save_steps": config.save_steps,
        "save_total_limit": 2,
        "report_to": "none",
        "dataloader_pin_memory": torch.cuda.is_available(),
        # Without an accelerator, say so: launched processes (torchrun, `accelerate launch --multi_gpu`) then
        # join one gloo group on the CPU instead of each training alone and writing the same run folder.
        "use_cpu": torch.accelerator.current_accelerator() is None,
    }


def _build(config_cls: type, kwargs: dict[str, Any], overrides: Mapping[str, str], reserved: Mapping[str, str]) -> Any:
    # TRL turns checkpointing on by default; models this size do not need it. transformers 5 renamed the field.
    names = {f.name for f in dataclasses.fields(config_cls)}
    checkpointing = "activation_checkpointing" if "activation_checkpointing" in names else "gradient_checkpointing"
    kwargs[checkpointing] = False
    given = coerce_overrides(config_cls, overrides, reserved)
    if "gradient_checkpointing" in given and checkpointing not in given:  # the deprecated name, given alone
        given[checkpointing] = given.pop("gradient_checkpointing")
    kwargs.update(given)
    try:
        return config_cls(**kwargs)
    except (ValueError, TypeError) as exc:
        raise OverrideError(f"TRL rejected the training configuration: {exc}",
                            "check the --trl-arg values and the stage options together") from exc


def sft_config(config: SFTStageConfig, checkpoints: Path, overrides: Mapping[str, str] = {}) -> Any:
    """The `trl.SFTConfig` for `config`, checkpointing into `checkpoints`, with `overrides` applied."""
    from trl import SFTConfig  # type: ignore[attr-defined]

    kwargs = _common(config, checkpoints) | {
        "per_device_train_batch_size": config.batch_size,
        "gradient_accumulation_steps": config.grad_accum,
        "max_length": config.max_length,
        "logging_steps": config.logging_steps,
        "completion_only_loss": True,
        "train_sampling_strategy": "group_by_length" if config.group_by_length else "random",
    }
    return _build(SFTConfig, kwargs, overrides, SFT_RESERVED)


def grpo_config(
    config: RLStageConfig, checkpoints: Path, reward_weights: Sequence[float], overrides: Mapping[str, str] = {}
) -> Any:
    """The `trl.GRPOConfig` for `config`; `per_device_train_batch_size` counts completions (prompts x group)."""
    from trl import GRPOConfig  # type: ignore[attr-defined]

    kwargs = _common(config, checkpoints) | {
        "per_device_train_batch_size": config.batch_size * config.num_generations,
        "num_generations": config.num_generations,
        "max_completion_length": config.max_completion_length,
        "beta": config.beta,
        "reward_weights": list(reward_weights),
        "logging_steps": 1,
    }
    if config.vllm is not None:
        kwargs |= {"use_vllm": True, "vllm_mode": config.vllm.mode}
        if config.vllm.server_url:
            kwargs["vllm_server_base_url"] = config.vllm.server_url
    return _build(GRPOConfig, kwargs, overrides, RL_RESERVED)
