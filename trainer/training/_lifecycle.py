"""What SFT and RL share around a built TRL trainer: planning the run folder, training with resume,
keeping the manifest current, saving the final model, and summarising metrics.

Only the main process writes run files; every process trains.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from spec_lang.errors import DelibError
from trainer.training._dist import is_main_process, num_processes, wait_for_everyone
from trainer.training._step_report import report_steps
from trainer.training.chat_templates import TemplateChoice
from trainer.training.configs import RLStageConfig, SFTStageConfig
from trainer.training.data import DataSource
from trainer.training.errors import TrainingFailedError
from trainer.training.manifest import RunKind, RunManifest, TemplateRecord, library_versions, now, write_manifest
from trainer.training.models import ModelSource
from trainer.training.runs import RunLayout, RunPlan, clear_outputs, remove_stale

_PARTIAL = ".final-partial"


class _NothingToTrain(Exception):
    """The run resumed from a checkpoint of its last step: the weights and state are loaded, no step is left."""


@dataclass(frozen=True)
class RunResult:
    """What `train_sft` / `train_rl` did: `trained`, `resumed`, or nothing (`already_completed`)."""

    run_dir: Path
    action: Literal["trained", "resumed", "already_completed"]
    manifest: RunManifest

    @property
    def final_model(self) -> Path | None:
        return Path(self.manifest.final_checkpoint) if self.manifest.final_checkpoint else None


def prepare_folder(layout: RunLayout, plan: RunPlan) -> None:
    """Make the run folder ready for `plan` (all processes call it; the main one writes)."""
    wait_for_everyone()  # every process has read the folder's state before anything changes
    if is_main_process():
        layout.root.mkdir(parents=True, exist_ok=True)
        if plan.action == "start":
            clear_outputs(layout)
        shutil.rmtree(layout.root / _PARTIAL, ignore_errors=True)
        remove_stale(layout)
    wait_for_everyone()


def start_manifest(kind: RunKind, plan: RunPlan, config: SFTStageConfig | RLStageConfig,
                   overrides: Mapping[str, str], data: DataSource, source: ModelSource, template: TemplateChoice,
                   spec_revision: str | None) -> RunManifest:
    """The manifest of a run that is (re)starting: `running`, keeping a resumed run's history."""
    stamp = now()
    previous = plan.previous if plan.action == "resume" else None
    resumed = (*previous.resumed_from, str(plan.checkpoint)) if previous and plan.checkpoint else ()
    return RunManifest(
        kind=kind, status="running", created_at=previous.created_at if previous else stamp, updated_at=stamp,
        spec_revision=spec_revision, category_hashes=data.category_hashes, data=data, base_model=source,
        parent_run=source.parent_run, config=config, trl_overrides=dict(overrides),
        chat_template=TemplateRecord(**template.model_dump(exclude={"template"})),
        final_format="merged-lora" if config.lora else "full", resumed_from=resumed,
        last_checkpoint=str(plan.checkpoint) if plan.checkpoint else None, versions=library_versions(),
    )


def _manifest_callback_class() -> type:
    from transformers import TrainerCallback

    class ManifestCallback(TrainerCallback):
        """Records each new checkpoint in the manifest, so an interrupted run says where it can resume.

        It also logs at every checkpoint and at the last step (transformers logs before it saves), so the
        log history saved with each checkpoint holds the loss of every step so far, averaged over all
        processes: `summarize_metrics` computes the run's loss from it, resumed or not."""

        def __init__(self, layout: RunLayout, manifest: RunManifest) -> None:
            self.layout = layout
            self.manifest = manifest

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.global_step >= state.max_steps > 0:  # resumed from the last step: a kill while saving final/
                raise _NothingToTrain  # (transformers would train one step more than max_steps)

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if control.should_save or state.global_step >= state.max_steps:
                control.should_log = True

        def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            checkpoint = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            self.manifest = self.manifest.model_copy(update={"last_checkpoint": str(checkpoint), "updated_at": now()})
            if state.is_world_process_zero:
                write_manifest(self.layout.manifest, self.manifest)

    return ManifestCallback


def execute(layout: RunLayout, plan: RunPlan, manifest: RunManifest, trainer: Any, *, lora: bool) -> RunManifest:
    """Train (resuming from `plan.checkpoint`), save `final/`, and return the completed manifest.

    On any exception, KeyboardInterrupt included, the manifest is marked `failed` with the reason and
    the exception propagates, a failure inside TRL or torch (`RuntimeError`, `ValueError`, `OSError`) as
    `TrainingFailedError`; rerunning the command resumes from the newest checkpoint.
    """
    callback = _manifest_callback_class()(layout, manifest)
    trainer.add_callback(callback)
    report_steps(trainer, manifest.kind)  # our progress lines, not the trainer's raw metric dicts
    if is_main_process():
        write_manifest(layout.manifest, manifest)
    try:
        try:
            output = trainer.train(resume_from_checkpoint=str(plan.checkpoint) if plan.checkpoint else None).metrics
        except _NothingToTrain:
            output = {}
        final_format = save_final(trainer, layout, lora=lora, base=Path(manifest.base_model.path))
    except BaseException as exc:
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}"
        update = {"status": "failed", "error": reason, "updated_at": now()}
        failed: RunManifest = callback.manifest.model_copy(update=update)
        if is_main_process():
            write_manifest(layout.manifest, failed)
        if isinstance(exc, (RuntimeError, ValueError, OSError)) and not isinstance(exc, DelibError):
            raise TrainingFailedError(f"training failed: {reason}", "the run manifest records the failure; fix the "
                                      "cause and rerun the same command to resume from the last checkpoint") from exc
        raise
    metrics = summarize_metrics(trainer.state.log_history, output, trainer.state.global_step) | {
        "processes": float(num_processes())}
    stamp = now()
    done: RunManifest = callback.manifest.model_copy(update={
        "status": "completed", "completed_at": stamp, "updated_at": stamp, "error": None, "metrics": metrics,
        "final_checkpoint": str(layout.final), "final_format": final_format,
    })
    if is_main_process():
        write_manifest(layout.manifest, done)
    wait_for_everyone()
    return done


def save_final(trainer: Any, layout: RunLayout, *, lora: bool, base: Path) -> Literal["full", "merged-lora"]:
    """Save the trained model, tokenizer and chat template into `RUN/final` (a LoRA adapter merged into its
    base; the adapter itself is kept in `RUN/adapter`). `final/` appears only once complete."""
    partial = layout.root / _PARTIAL
    if not lora:
        trainer.save_model(str(partial))  # gathers sharded weights (FSDP, ZeRO-3); writes on the main process
    else:
        trainer.save_model(str(layout.adapter))
        if is_main_process():
            _merge_adapter(layout.adapter, base, partial)
    wait_for_everyone()
    if is_main_process():
        shutil.rmtree(layout.final, ignore_errors=True)
        os.replace(partial, layout.final)
    wait_for_everyone()
    return "merged-lora" if lora else "full"


def _merge_adapter(adapter: Path, base: Path, out: Path) -> None:
    """Merge the trained adapter into the model it was trained on (loaded as the run loaded it) and save both
    the merged model and the run's tokenizer (with its chat template) into `out`."""
    import torch
    from peft import PeftModel
    from transformers import AutoTokenizer

    from trainer.backends import load_causal_lm

    model, _ = load_causal_lm(base, torch.device("cpu"), torch.float32)
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    merged.save_pretrained(out)
    AutoTokenizer.from_pretrained(adapter, local_files_only=True).save_pretrained(out)


def run_loss(log_history: Sequence[Mapping[str, Any]]) -> float | None:
    """The mean loss over every logged step of the run: each logged `loss` (the mean since the previous log,
    over all processes) weighted by the steps it covers. A resumed run's history starts with the one its
    checkpoint saved, so this covers the steps before the resume too. None when no loss was logged."""
    total, last = 0.0, 0
    for entry in log_history:
        step = entry.get("step")
        if _number(entry.get("loss")) and isinstance(step, int) and step > last:
            total += float(entry["loss"]) * (step - last)
            last = step
    return total / last if last else None


def summarize_metrics(log_history: Sequence[Mapping[str, Any]], train_metrics: Mapping[str, Any],
                      global_step: int) -> dict[str, float]:
    """`train_loss` (the mean over all steps, `run_loss`; TRL's average of this session's steps when nothing
    was logged), `final_loss` (the last logged loss), `num_tokens` (tokens trained on, all processes),
    `global_step`, and the run mean of every logged reward (`reward`, `rewards/<f>/mean`,
    `rewards_by_category/<c>/<f>`). Logged values are already gathered over the processes by TRL."""
    metrics: dict[str, float] = {"global_step": float(global_step)}
    loss = run_loss(log_history)
    if loss is not None:
        metrics["train_loss"] = loss
    elif _number(train_metrics.get("train_loss")):
        metrics["train_loss"] = float(train_metrics["train_loss"])
    losses = [entry["loss"] for entry in log_history if _number(entry.get("loss"))]
    if losses:
        metrics["final_loss"] = float(losses[-1])
    tokens = [entry["num_tokens"] for entry in log_history if _number(entry.get("num_tokens"))]
    if tokens:
        metrics["num_tokens"] = float(tokens[-1])
    sums: dict[str, list[float]] = {}
    for entry in log_history:
        for key, value in entry.items():
            if (key == "reward" or key.startswith("rewards")) and not key.endswith("/std") and _number(value):
                sums.setdefault(key, []).append(float(value))
    metrics |= {key: sum(values) / len(values) for key, values in sorted(sums.items())}
    return metrics


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
