"""`train_sft`: supervised fine-tuning on a `delib generate` output folder with TRL's `SFTTrainer`.

    result = train_sft("gen/", "runs/sft", SFTStageConfig(model="embedded", max_steps=200))
    result.final_model      # runs/sft/final: open it with open_backend("hf:runs/sft/final")

The rows are (prompt without the spec, reasoning + answer); the loss covers the completion only.
Completions are in a reasoning format (`compiler.reasoning`, `SFTStageConfig.reasoning`) and reach the chat
template as that format's assistant message (`ReasoningFormat.message`: harmony's reasoning as `thinking`).
Before the first step the chosen chat template must keep the reasoning (`chat_templates`), and the
pre-flight checks the prepared rows (`trainer.training.preflight`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from compiler.reasoning import ReasoningFormat, resolve
from trainer.training._lifecycle import RunResult, execute, prepare_folder, start_manifest
from trainer.training._trl_args import sft_config
from trainer.training.chat_templates import use_chat_template
from trainer.training.configs import LoraSettings, SFTStageConfig
from trainer.training.data import cut_to_decline_share, load_sft_data
from trainer.training.models import load_model, resolve_model
from trainer.training.preflight import check_completions, check_prompts, raise_problems, run_sft_preflight
from trainer.training.runs import RunLayout, plan_run


def train_sft(
    data: str | Path,
    run_dir: str | Path,
    config: SFTStageConfig | None = None,
    *,
    trl_overrides: Mapping[str, str] | None = None,
    force: bool = False,
    callbacks: Sequence[Any] = (),
) -> RunResult:
    """Fine-tune `config.model` on the generation output `data` into the run folder `run_dir`.

    Resumes an interrupted run in `run_dir`; returns at once (action `already_completed`) for a completed one
    unless `force`. `trl_overrides` are `SFTConfig` fields as strings (`--trl-arg`); `callbacks` are
    extra transformers `TrainerCallback`s. Raises a `TrainingError` subclass for bad input.
    """
    config = config or SFTStageConfig()
    overrides = dict(trl_overrides or {})
    layout = RunLayout(Path(run_dir).expanduser().resolve())
    source = resolve_model(config.model)
    dataset, data_source = load_sft_data(data)
    if config.decline_share is not None:  # the rows trained are the data's identity: a resume must cut the same
        dataset = cut_to_decline_share(dataset, config.decline_share, config.seed)
        data_source = data_source.model_copy(update={
            "rows": len(dataset),
            "fingerprint": f"{data_source.fingerprint}+decline_share={config.decline_share:g},seed={config.seed}"})
    plan = plan_run(layout, "sft", data_fingerprint=data_source.fingerprint, model_path=source.path, force=force)
    if plan.action == "done" and plan.previous is not None:
        return RunResult(layout.root, "already_completed", plan.previous)
    raise_problems(check_prompts(dataset))
    args = sft_config(config, layout.checkpoints, overrides)  # validates overrides before any model load
    data_format = data_reasoning(data)
    model, tokenizer = load_model(source)
    fmt = resolve(config.reasoning, bundle=data_format, chat_template=_template_text(tokenizer))
    config = config.model_copy(update={"reasoning": fmt.name})  # the manifest records the format trained
    raise_problems([] if config.answer_only else check_completions(dataset, fmt=fmt))
    dataset = answers_only(dataset, fmt) if config.answer_only else as_messages(dataset, fmt)
    template, model_default = use_chat_template(tokenizer, config.chat_template, fmt)
    trainer = _build_trainer(model, tokenizer, dataset, args, config.lora, callbacks)
    checked = run_sft_preflight(trainer, tokenizer, default_system=model_default, template_name=template.name,
                                max_length=config.max_length, fmt=fmt)
    prepare_folder(layout, plan)  # only now: a failed pre-flight leaves an earlier run's outputs alone
    revisions = data_source.spec_revisions
    manifest = start_manifest("sft", plan, config, overrides, data_source, source, template,
                              ",".join(revisions) or None)
    manifest = manifest.model_copy(update={"preflight": asdict(checked)})
    done = execute(layout, plan, manifest, trainer, lora=config.lora is not None)
    return RunResult(layout.root, "resumed" if plan.action == "resume" else "trained", done)


def data_reasoning(data: str | Path) -> ReasoningFormat | None:
    """The reasoning format of a generation folder: its bundle copy's (`OUT/bundle`), None without one."""
    from compiler.bundle import load_bundle
    from compiler.errors import CompileError

    folder = Path(data).expanduser() / "bundle"
    if not (folder / "manifest.json").is_file():
        return None
    try:
        return load_bundle(folder).reasoning
    except CompileError:
        return None


def as_messages(dataset: Any, fmt: ReasoningFormat) -> Any:
    """The rows with each completion as the assistant message the chat template expects in `fmt` (only harmony
    differs from the stored text: the reasoning goes in `thinking`, the answer in `content`)."""
    if fmt.message("x") == {"role": "assistant", "content": "x"}:
        return dataset

    def convert(row: dict[str, Any]) -> dict[str, Any]:
        return {"completion": [*row["completion"][:-1], fmt.message(str(row["completion"][-1]["content"]))]}

    return dataset.map(convert)


def _template_text(tokenizer: Any) -> str | None:
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):
        template = template.get("default")
    return template if isinstance(template, str) else None


def answers_only(dataset: Any, fmt: ReasoningFormat) -> Any:
    """The rows with each completion cut to its answer's text in `fmt` (`SFTStageConfig.answer_only`)."""
    from compiler.format import parse_completion

    def cut(row: dict[str, Any]) -> dict[str, Any]:
        turn = dict(row["completion"][-1])
        turn["content"] = parse_completion(str(turn["content"]), (), fmt).answer
        return {"completion": [*row["completion"][:-1], turn]}

    return dataset.map(cut)


def _build_trainer(model: Any, tokenizer: Any, dataset: Any, args: Any, lora: LoraSettings | None,
                   callbacks: Sequence[Any]) -> Any:
    from trl import SFTTrainer  # type: ignore[attr-defined]

    return SFTTrainer(
        model=model,
        args=args,
        train_dataset=dataset.select_columns(["prompt", "completion"]),
        processing_class=tokenizer,
        peft_config=lora_config(lora) if lora else None,
        callbacks=list(callbacks),
    )


def lora_config(lora: LoraSettings) -> Any:
    """The peft `LoraConfig` for `lora`: every linear layer of a causal LM."""
    from peft import LoraConfig

    return LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout, target_modules="all-linear",
                      task_type="CAUSAL_LM")
