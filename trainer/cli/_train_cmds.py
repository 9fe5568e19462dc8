"""Training commands: `delib train sft`, `delib train rl` and `delib train judge` (thin adapters over
`trainer.training`).

Exit codes: 0 trained, or the run had completed already; 1 training started and failed (the run's
manifest says why; rerun the command to resume from its last checkpoint); 2 bad input (missing or
empty data, unknown model, bad `--trl-arg`, failed pre-flight check); 130 interrupted.

SFT and RL run under `accelerate launch` for several GPUs:
    accelerate launch --config_file trainer/accelerate_configs/multi_gpu.yaml -m trainer.cli train sft DATA -o RUN
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trainer.cli._app import (
    JsonOpt,
    JudgeOpt,
    PanelLlmOpt,
    PanelOpt,
    alias,
    app,
    fail,
    library_messages,
    out,
    print_json,
)
from trainer.cli._reasoning import ReasoningOpt

if TYPE_CHECKING:
    from trainer.training import RunResult

train_app = typer.Typer(
    name="train", no_args_is_help=True, rich_markup_mode="rich",
    help="Train a model: SFT on generated data, then RL with the spec-aware judge as reward.",
)
app.add_typer(train_app, name="train")

ModelOpt = Annotated[str, typer.Option("--model", "-m", help="The model to train: embedded, hf:PATH or a run "
                                      "folder.")]
OutputOpt = Annotated[Path, typer.Option("--output", "-o", help="The run folder (created; rerun to resume).")]
LoraOpt = Annotated[bool, typer.Option("--lora", help="Train a LoRA adapter (merged into final/), not all weights.")]
LoraROpt = Annotated[int, typer.Option("--lora-r", min=1, help="LoRA rank.")]
LoraAlphaOpt = Annotated[int, typer.Option("--lora-alpha", min=1, help="LoRA alpha.")]
LoraDropoutOpt = Annotated[float, typer.Option("--lora-dropout", min=0.0, max=0.99, help="LoRA dropout.")]
StepsOpt = Annotated[int | None, typer.Option("--max-steps", min=1, help="Optimiser steps (overrides --epochs).")]
EpochsOpt = Annotated[float, typer.Option("--epochs", min=0.0, help="Passes over the data.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed.")]
Bf16Opt = Annotated[bool | None, typer.Option("--bf16/--no-bf16", help="bfloat16 mixed precision (default: "
                                              "on when the GPU supports it).")]
SaveOpt = Annotated[int | None, typer.Option("--save-steps", min=1, help="Checkpoint every N steps.")]
TemplateOpt = Annotated[str, typer.Option("--chat-template", help="`auto` (drop a ChatML default system prompt), "
                                          "`model`, or a .jinja file.")]
TrlOpt = Annotated[list[str] | None, typer.Option("--trl-arg", help="key=value for any other TRL config field "
                                                  "(repeatable), e.g. --trl-arg weight_decay=0.01.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Start over even if the run completed or is resumable.")]


def _is_main() -> bool:
    return os.environ.get("RANK", "0") == "0"


def _report(result: RunResult, as_json: bool = False) -> None:
    if not _is_main():
        return
    if as_json:
        print_json({"run": str(result.run_dir), "action": result.action,
                    "final_model": str(result.final_model) if result.final_model else None,
                    "manifest": result.manifest.model_dump(mode="json")})
        return
    m = result.manifest
    final = result.final_model
    if result.action == "already_completed":
        out.print(f"{result.run_dir} has already completed; final model: {final} (pass --force to train again)",
                  markup=False)
        return
    loss = m.metrics.get("train_loss")
    rewards = {k: v for k, v in m.metrics.items() if k.startswith("rewards/") and k.endswith("/mean")}
    summary = ", ".join([f"{int(m.metrics.get('global_step', 0))} steps"]
                        + ([f"train loss {loss:.4g}"] if loss is not None else [])
                        + [f"{k.split('/')[1]} reward {v:.3f}" for k, v in rewards.items()])
    verb = "resumed and trained" if result.action == "resumed" else "trained"
    if m.preflight:
        from trainer.training.preflight import PreflightReport

        out.print(PreflightReport(**m.preflight).summary(), markup=False)  # type: ignore[arg-type]
    out.print(f"{verb} {result.run_dir} ({summary}); final model: {final} (open it as hf:{final})", markup=False)


def _overrides(pairs: list[str] | None) -> dict[str, str]:
    from trainer.training import parse_override_pairs

    return parse_override_pairs(pairs or [])


def _lora(enabled: bool, r: int, alpha: int, dropout: float) -> Any:
    from trainer.training import LoraSettings

    return LoraSettings(r=r, alpha=alpha, dropout=dropout) if enabled else None


def _config(factory: Callable[..., Any], **fields: Any) -> Any:
    """A stage config from the options that were given (None means: the config's default)."""
    from pydantic import ValidationError

    try:
        return factory(**{k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        problem = exc.errors()[0]
        fail(f"invalid option {'.'.join(map(str, problem['loc']))}: {problem['msg']}")


@train_app.command("sft")
def sft_cmd(
    data: Annotated[Path, typer.Argument(help="A `delib generate` output folder (data.jsonl, dataset/).")],
    output: OutputOpt,
    model: ModelOpt = "embedded",
    lora: LoraOpt = False,
    lora_r: LoraROpt = 16,
    lora_alpha: LoraAlphaOpt = 32,
    lora_dropout: LoraDropoutOpt = 0.05,
    max_steps: StepsOpt = None,
    epochs: EpochsOpt = 1.0,
    lr: Annotated[float, typer.Option("--learning-rate", "--lr", min=0.0, help="Peak learning rate.")] = 2e-5,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Rows per device per step.")] = 4,
    grad_accum: Annotated[int, typer.Option("--grad-accum", min=1, help="Gradient accumulation steps.")] = 1,
    max_length: Annotated[int, typer.Option("--max-length", min=16, help="Longest row in tokens.")] = 2048,
    seed: SeedOpt = 0,
    bf16: Bf16Opt = None,
    save_steps: SaveOpt = None,
    logging_steps: Annotated[int | None, typer.Option("--logging-steps", min=1, help="Log metrics every N steps.")
                             ] = None,
    chat_template: TemplateOpt = "auto",
    answer_only: Annotated[bool, typer.Option("--answer-only", help="Train on the answers alone, the reasoning "
                                              "dropped (the paper's ablation).")] = False,
    group_by_length: Annotated[bool, typer.Option("--group-by-length", help="Batch rows of similar length "
                                                  "together (less padding, faster steps).")] = False,
    decline_share: Annotated[float | None, typer.Option("--decline-share", min=0.0, max=1.0, help="The safe:unsafe "
                                                        "mix: cut the rows so that declining ones are this share "
                                                        "of them (a seeded subset of the larger side).")] = None,
    reasoning: ReasoningOpt = "auto",
    trl_arg: TrlOpt = None,
    force: ForceOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Supervised fine-tuning on judge-filtered (prompt, reasoning + answer) rows, loss on the completion only.

    Checks a rendered sample first (the reasoning must be trained, no system prompt may appear). The run
    folder gets run.json (the manifest), checkpoints/ and final/ (open it with --model hf:RUN/final).
    """
    from trainer.training import SFTStageConfig, train_sft

    config = _config(SFTStageConfig, model=model, lora=_lora(lora, lora_r, lora_alpha, lora_dropout), epochs=epochs,
                     max_steps=max_steps, learning_rate=lr, batch_size=batch_size, grad_accum=grad_accum,
                     max_length=max_length, seed=seed, bf16=bf16, save_steps=save_steps,
                     logging_steps=logging_steps, chat_template=chat_template, answer_only=answer_only,
                     group_by_length=group_by_length, decline_share=decline_share, reasoning=reasoning)
    with library_messages():
        result = train_sft(data, output, config, trl_overrides=_overrides(trl_arg), force=force)
    _report(result, as_json)


@train_app.command("rl")
def rl_cmd(
    bundle: Annotated[Path, typer.Argument(help="The compiled bundle folder (`delib compile`).")],
    prompts: Annotated[Path, typer.Option("--prompts", "-p", help="JSONL of {\"prompt\": ..., \"category\": ...}.")],
    model: ModelOpt,
    output: OutputOpt,
    judge: JudgeOpt = "embedded",
    judge_runs: Annotated[int, typer.Option("--judge-runs", min=1, help="Judge samples per completion.")] = 1,
    verdict_tokens: Annotated[int, typer.Option("--verdict-tokens", min=1, help="Token limit of each verdict "
                                                "(the score comes from digit probabilities where available).")
                              ] = 256,
    lora: LoraOpt = False,
    lora_r: LoraROpt = 16,
    lora_alpha: LoraAlphaOpt = 32,
    lora_dropout: LoraDropoutOpt = 0.05,
    max_steps: StepsOpt = None,
    epochs: EpochsOpt = 1.0,
    lr: Annotated[float, typer.Option("--learning-rate", "--lr", min=0.0, help="Peak learning rate.")] = 1e-6,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Prompts per device per step.")] = 2,
    num_generations: Annotated[int, typer.Option("--num-generations", min=2, help="Completions per prompt.")] = 4,
    max_completion_length: Annotated[int, typer.Option("--max-completion-length", min=1, help="Token limit of "
                                                       "each sampled completion.")] = 512,
    beta: Annotated[float, typer.Option("--beta", min=0.0, help="KL coefficient (0: no reference model).")] = 0.0,
    w_judge: Annotated[float, typer.Option("--w-judge", min=0.0, help="Weight of the judge reward.")] = 1.0,
    w_format: Annotated[float, typer.Option("--w-format", min=0.0, help="Weight of the format reward.")] = 0.2,
    w_cite: Annotated[float, typer.Option("--w-cite", min=0.0, help="Weight of the citation reward.")] = 0.2,
    vllm_mode: Annotated[str | None, typer.Option("--vllm-mode", help="Generate with vLLM: `server` or "
                                                  "`colocate` (GPU; needs vllm).")] = None,
    vllm_server_url: Annotated[str | None, typer.Option("--vllm-server-url", help="vLLM server base URL.")] = None,
    panel: PanelOpt = True,
    panel_llm: PanelLlmOpt = True,
    seed: SeedOpt = 0,
    bf16: Bf16Opt = None,
    save_steps: SaveOpt = None,
    chat_template: TemplateOpt = "auto",
    trl_arg: TrlOpt = None,
    force: ForceOpt = False,
    as_json: JsonOpt = False,
    judge_tokens: Annotated[int | None, typer.Option("--judge-tokens", min=1, hidden=True,
                                                     help="Deprecated: --verdict-tokens.")] = None,
    reasoning: ReasoningOpt = "auto",
) -> None:
    """RL (GRPO) on user prompts without the spec, rewarded by the spec-aware judge.

    Reward: the judge's score of the answer (the reasoning hidden from it), plus the format and citation
    rewards, weighted (--w-judge/--w-format/--w-cite). Per-category reward means are logged.
    """
    from trainer.training import RewardSettings, RLStageConfig, VLLMSettings, train_rl

    if vllm_server_url and not vllm_mode:
        vllm_mode = "server"
    verdict_tokens = alias(judge_tokens, "--judge-tokens", "--verdict-tokens", verdict_tokens)
    rewards = _config(RewardSettings, judge=judge, judge_runs=judge_runs, judge_tokens=verdict_tokens,
                      w_judge=w_judge, w_format=w_format, w_cite=w_cite, panel=panel, panel_llm=panel_llm)
    vllm = _config(VLLMSettings, mode=vllm_mode, server_url=vllm_server_url) if vllm_mode else None
    config = _config(RLStageConfig, model=model, lora=_lora(lora, lora_r, lora_alpha, lora_dropout), epochs=epochs,
                     max_steps=max_steps, learning_rate=lr, batch_size=batch_size,
                     num_generations=num_generations, max_completion_length=max_completion_length, beta=beta,
                     seed=seed, bf16=bf16, save_steps=save_steps, chat_template=chat_template, rewards=rewards,
                     vllm=vllm, reasoning=reasoning)
    with library_messages():
        result = train_rl(bundle, prompts, output, config, trl_overrides=_overrides(trl_arg), force=force)
    _report(result, as_json)



@train_app.command("judge")
def judge_cmd(
    specs: Annotated[list[str], typer.Argument(help="Spec files or folders of specs whose examples to learn from.")],
    output: OutputOpt,
    base: Annotated[Path | None, typer.Option("--base", help="Encoder model folder to fine-tune (default: the "
                                              "embedded all-MiniLM-L6-v2).")] = None,
    epochs: EpochsOpt = 4.0,
    lr: Annotated[float, typer.Option("--learning-rate", "--lr", min=0.0, help="Peak learning rate.")] = 3e-5,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Pairs per step.")] = 8,
    max_length: Annotated[int, typer.Option("--max-length", min=16, help="Tokens of one (conversation, "
                                            "answer) pair.")] = 256,
    eval_share: Annotated[float, typer.Option("--eval-share", min=0.0, max=0.95, help="Share of examples "
                                              "held out to measure the model on.")] = 0.3,
    seed: SeedOpt = 0,
    force: ForceOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Train a reward model from the spec's own examples: every GOOD candidate above every OK and BAD one,
    every OK above every BAD one (TRL RewardTrainer, a cross-encoder on MiniLM).

    Examples are split by content hash; the held-out ones measure the model (pairs ranked right). Use the
    run anywhere a judge is accepted: --judge rm:RUN (delib test, eval, eval-judge, train rl).
    """
    from spec_lang import load_clean
    from trainer.training.reward_model import RewardModelConfig, train_reward_model

    config = _config(RewardModelConfig, base=str(base) if base else None, epochs=epochs, learning_rate=lr,
                     batch_size=batch_size, max_length=max_length, eval_share=eval_share, seed=seed)
    with library_messages():
        run, trained = train_reward_model(list(load_clean(specs)[0]), output, config, force=force)
    if as_json:
        print_json(run.model_dump(mode="json"))
        return
    verb = "trained" if trained else "already trained (same specs and settings)"
    parts = [f"{name}: {acc.correct}/{acc.pairs} pairs ranked right"
             + (f" ({acc.share:.1%})" if acc.share is not None else "") + f" from {run.examples[split]} examples"
             for name, split, acc in (("train", "train", run.train), ("held out", "eval", run.held_out))]
    out.print(f"{verb} {output} in {run.seconds:.0f} s; " + "; ".join(parts)
              + f"\nuse it as a judge: --judge rm:{output}", markup=False)
