"""`train_sft` end to end on the tiny random Llama: real TRL training steps, resume, LoRA, manifests, pre-flight."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.trainer.training.training_helpers import COMPLETION, changed, generation_rows, parameters, write_generation
from trainer.training import (
    CHATML_NO_DEFAULT_SYSTEM,
    LoraSettings,
    PreflightError,
    RunResult,
    SFTStageConfig,
    read_manifest,
    resolve_model,
    train_sft,
)

FAST = {"learning_rate": 1e-3, "batch_size": 2, "max_length": 256, "bf16": False}


def tiny(model_dir: Path, **fields: Any) -> SFTStageConfig:
    return SFTStageConfig(model=f"hf:{model_dir}", **(FAST | fields))


def load(folder: Path) -> Any:
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)


@pytest.fixture(scope="module")
def sft_run(tiny_model_dir: Path, gen_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """Two full fine-tuning steps, a checkpoint after each (shared by the tests below: do not modify)."""
    run = tmp_path_factory.mktemp("sft") / "run"
    return train_sft(gen_dir, run, tiny(tiny_model_dir, max_steps=2, save_steps=1))


def test_sft_trains_the_weights_and_saves_a_chat_model(sft_run: RunResult, tiny_model_dir: Path) -> None:
    from trainer.backends import SamplingParams, TransformersBackend, injected_system_prompt, open_backend

    assert sft_run.action == "trained" and sft_run.final_model == sft_run.run_dir / "final"
    assert changed(parameters(load(tiny_model_dir)), parameters(load(sft_run.run_dir / "final")))
    backend = open_backend(f"hf:{sft_run.run_dir / 'final'}")
    try:
        assert isinstance(backend, TransformersBackend)
        assert backend.tokenizer.chat_template == CHATML_NO_DEFAULT_SYSTEM  # saved with the model
        assert injected_system_prompt(backend.tokenizer) is None
        [reply] = backend.generate([[{"role": "user", "content": "Hi"}]], SamplingParams(max_new_tokens=4))
        assert reply.finish_reason in ("stop", "length")
    finally:
        backend.close()


def test_sft_manifest(sft_run: RunResult, gen_dir: Path, tiny_model_dir: Path) -> None:
    manifest = read_manifest(sft_run.run_dir / "run.json")
    assert manifest == sft_run.manifest
    assert (manifest.kind, manifest.status, manifest.error) == ("sft", "completed", None)
    assert manifest.spec_revision == "rev-test"
    assert manifest.category_hashes == {"advice": "hash-advice", "violence": "hash-violence"}
    assert manifest.data.path == str(gen_dir.resolve()) and manifest.data.rows == 8
    from datasets import load_from_disk

    assert manifest.data.fingerprint == load_from_disk(str(gen_dir / "dataset"))["train"]._fingerprint
    assert (manifest.base_model.loaded_as, manifest.base_model.path) == ("hf", str(tiny_model_dir.resolve()))
    # `reasoning = "auto"` is recorded as the format it resolved to (SmolLM2's template: our tags)
    wanted = tiny(tiny_model_dir, max_steps=2, save_steps=1).model_copy(update={"reasoning": "tags"})
    assert manifest.parent_run is None and manifest.config == wanted
    assert manifest.chat_template.source == "override"
    assert manifest.chat_template.removed_default_system == (
        "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
    assert manifest.metrics["global_step"] == 2 and manifest.metrics["train_loss"] > 0
    assert manifest.final_checkpoint == str(sft_run.run_dir / "final") and manifest.final_format == "full"
    assert manifest.last_checkpoint == str(sft_run.run_dir / "checkpoints" / "checkpoint-2")
    assert manifest.created_at <= manifest.completed_at and manifest.resumed_from == ()  # type: ignore[operator]
    assert {"torch", "transformers", "trl", "peft"} <= set(manifest.versions)


def test_rerunning_a_completed_run_does_nothing(sft_run: RunResult, gen_dir: Path, tiny_model_dir: Path) -> None:
    again = train_sft(gen_dir, sft_run.run_dir, tiny(tiny_model_dir, max_steps=2, save_steps=1))
    assert again.action == "already_completed" and again.manifest == sft_run.manifest


def test_the_cli_says_a_completed_run_is_done(sft_run: RunResult, gen_dir: Path, tiny_model_dir: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from trainer.cli import main

    monkeypatch.setattr(sys, "argv", ["delib", "train", "sft", str(gen_dir), "-o", str(sft_run.run_dir),
                                      "--model", f"hf:{tiny_model_dir}"])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code in (0, None)
    final = sft_run.run_dir / "final"
    assert f"{sft_run.run_dir} has already completed; final model: {final}" in capsys.readouterr().out


def test_a_completed_run_is_a_model_for_the_next_stage(sft_run: RunResult) -> None:
    for spec in (str(sft_run.run_dir), f"hf:{sft_run.run_dir}"):
        source = resolve_model(spec)
        assert (source.loaded_as, source.path, source.parent_run) == (
            "run", str(sft_run.run_dir / "final"), str(sft_run.run_dir))


def test_resume_after_interruption(sft_run: RunResult, gen_dir: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    """A run whose final model is missing resumes from its last checkpoint; more steps continue from there."""
    run = shutil.copytree(sft_run.run_dir, tmp_path / "run")
    shutil.rmtree(run / "final")
    resumed = train_sft(gen_dir, run, tiny(tiny_model_dir, max_steps=3, save_steps=1))
    assert resumed.action == "resumed"
    assert resumed.manifest.resumed_from == (str(run / "checkpoints" / "checkpoint-2"),)
    state = json.loads((run / "checkpoints" / "checkpoint-3" / "trainer_state.json").read_text())
    assert (state["global_step"], state["max_steps"]) == (3, 3)
    assert resumed.manifest.metrics["global_step"] == 3 and resumed.manifest.created_at == sft_run.manifest.created_at
    assert (run / "final" / "config.json").is_file()


def test_a_crash_is_recorded_and_the_rerun_resumes(gen_dir: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    from transformers import TrainerCallback

    class Crash(TrainerCallback):
        def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.global_step == 1:
                raise KeyboardInterrupt

    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train_sft(gen_dir, run, tiny(tiny_model_dir, max_steps=2, save_steps=1), callbacks=[Crash()])
    crashed = read_manifest(run / "run.json")
    assert crashed is not None and (crashed.status, crashed.error) == ("failed", "interrupted")
    assert crashed.last_checkpoint == str(run / "checkpoints" / "checkpoint-1") and not (run / "final").exists()
    resumed = train_sft(gen_dir, run, tiny(tiny_model_dir, max_steps=2, save_steps=1))
    assert resumed.action == "resumed" and resumed.manifest.status == "completed"
    assert resumed.manifest.resumed_from == (str(run / "checkpoints" / "checkpoint-1"),)


def test_a_decline_share_trains_on_the_cut_rows(tiny_model_dir: Path, tmp_path: Path) -> None:
    rows = [r | {"decision": "refuse" if i < 6 else "comply", "key": f"k{i}"} for i, r in enumerate(generation_rows())]
    data = write_generation(tmp_path / "gen", rows)
    result = train_sft(data, tmp_path / "run", tiny(tiny_model_dir, max_steps=1, decline_share=0.5))
    manifest = read_manifest(result.run_dir / "run.json")
    assert manifest is not None and manifest.data.rows == 4  # 2 refusals kept of 6, both answers
    assert manifest.config.decline_share == 0.5
    assert manifest.data.fingerprint.endswith("+decline_share=0.5,seed=0")  # a resume must cut the same rows


def test_lora_trains_the_adapter_and_merges_it(gen_dir: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    from transformers import TrainerCallback

    seen: dict[str, Any] = {}

    class Snapshot(TrainerCallback):
        def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
            seen["before"] = {k: v for k, v in parameters(model).items() if "lora_" in k}

        def on_train_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
            seen["after"] = parameters(model)

    result = train_sft(gen_dir, tmp_path / "run", tiny(tiny_model_dir, max_steps=2, save_steps=10,
                                                       lora=LoraSettings(r=4, alpha=8)), callbacks=[Snapshot()])
    assert seen["before"] and changed(seen["before"], seen["after"])  # the adapter weights moved
    base = {k: v for k, v in seen["after"].items() if "lora_" not in k}
    assert not changed({k.replace("base_model.model.", "").replace(".base_layer", ""): v for k, v in base.items()},
                       parameters(load(tiny_model_dir)))  # the base weights did not
    assert (tmp_path / "run" / "adapter" / "adapter_config.json").is_file()
    assert result.manifest.final_format == "merged-lora"
    assert changed(parameters(load(tiny_model_dir)), parameters(load(tmp_path / "run" / "final")))


@pytest.mark.parametrize(("template", "max_length", "code"), [
    ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
     "{% if m['role'] == 'assistant' %}{{ m['content'].split('</reasoning>')[-1].strip() }}"
     "{% else %}{{ m['content'] }}{% endif %}<|im_end|>\n{% endfor %}"
     "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}", 256, "PF010"),  # drops the reasoning
    ("model", 256, "PF005"),  # SmolLM2's own template injects its default system prompt
    ("auto", 40, "PF002"),    # max_length cuts the reasoning
])
def test_preflight_stops_before_training(gen_dir: Path, tiny_model_dir: Path, tmp_path: Path, template: str,
                                         max_length: int, code: str) -> None:
    if template not in ("auto", "model"):
        (tmp_path / "t.jinja").write_text(template, encoding="utf-8")
        template = str(tmp_path / "t.jinja")
    run = tmp_path / "run"
    with pytest.raises(PreflightError, match=code):
        train_sft(gen_dir, run, tiny(tiny_model_dir, max_steps=1, max_length=max_length, chat_template=template))
    assert not (run / "run.json").exists() and not list(run.glob("checkpoints/checkpoint-*"))


def test_preflight_rejects_system_prompts_in_the_data(tiny_model_dir: Path, tmp_path: Path) -> None:
    rows = generation_rows(2, COMPLETION)
    rows[1]["prompt"] = [{"role": "system", "content": "the spec"}, *rows[1]["prompt"]]
    data = write_generation(tmp_path / "gen", rows, saved=False)
    with pytest.raises(PreflightError, match=r"rows 1: PF007 1 training prompt\(s\) have a system message"):
        train_sft(data, tmp_path / "run", tiny(tiny_model_dir, max_steps=1))


def _own_train_loss() -> tuple[Any, list[float]]:
    """A callback recording the `train_loss` transformers itself logs at the end of `train()`."""
    from transformers import TrainerCallback

    seen: list[float] = []

    class Record(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
            if logs and "train_loss" in logs:
                seen.append(float(logs["train_loss"]))

    return Record(), seen


def test_train_loss_covers_every_step_after_a_kill_or_a_crash(gen_dir: Path, tiny_model_dir: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The recorded train loss is the mean over all steps: after a kill while `final/` was written (the rerun
    trains no step), and after a crash mid-run (the rerun trains the last step only). Partial checkpoints and
    temporary manifests a kill left are removed."""
    from transformers import TrainerCallback

    config = tiny(tiny_model_dir, max_steps=3, save_steps=1)
    record, own = _own_train_loss()
    whole = train_sft(gen_dir, tmp_path / "whole", config, callbacks=[record]).manifest.metrics["train_loss"]
    assert whole == pytest.approx(own[0], rel=1e-4)

    def killed(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    killed_run = tmp_path / "killed"
    with monkeypatch.context() as patch:
        patch.setattr("trainer.training._lifecycle.save_final", killed)
        with pytest.raises(KeyboardInterrupt):
            train_sft(gen_dir, killed_run, config)
    again = train_sft(gen_dir, killed_run, config)
    assert again.action == "resumed" and again.manifest.metrics["train_loss"] == pytest.approx(whole, rel=1e-4)
    assert again.manifest.metrics["global_step"] == 3  # no step past max_steps: the same model as uninterrupted
    assert changed(parameters(load(tmp_path / "whole" / "final")), parameters(load(killed_run / "final"))) == []

    class Crash(TrainerCallback):
        def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.global_step == 2:
                raise KeyboardInterrupt

    crashed = tmp_path / "crashed"
    with pytest.raises(KeyboardInterrupt):
        train_sft(gen_dir, crashed, config, callbacks=[Crash()])
    (crashed / "checkpoints" / "checkpoint-9").mkdir()
    (crashed / "checkpoints" / "checkpoint-9" / "model.safetensors").write_bytes(b"half a model")
    (crashed / ".run.json.x1y2.tmp").write_text("{")
    resumed = train_sft(gen_dir, crashed, config)
    assert resumed.manifest.resumed_from == (str(crashed / "checkpoints" / "checkpoint-2"),)
    assert resumed.manifest.metrics["train_loss"] == pytest.approx(whole, rel=1e-3)
    assert not (crashed / "checkpoints" / "checkpoint-9").exists() and not (crashed / ".run.json.x1y2.tmp").exists()
