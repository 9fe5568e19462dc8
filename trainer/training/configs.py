"""Small frozen per-stage configs: what a user chooses for an SFT or an RL run.

They are ours, not TRL's: `trainer.training._trl_args` is the one place that translates them into
`trl.SFTConfig` / `trl.GRPOConfig` (plus validated `--trl-arg key=value` overrides for everything else).

    SFTStageConfig(model="embedded", lora=LoraSettings(r=16), max_steps=100)
    RLStageConfig(model="runs/sft", num_generations=4, rewards=RewardSettings(judge="openai:http://h:8000/v1#j"))
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ChatTemplateChoice = str
"""`auto` (the model's template, with a ChatML template's default system prompt removed), `model` (the
model's template as is) or a path to a Jinja file."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LoraSettings(_Frozen):
    """LoRA (peft) on every linear layer; the final model is merged into the base."""

    r: int = Field(16, ge=1, description="LoRA rank.")
    alpha: int = Field(32, ge=1, description="LoRA scaling numerator (`lora_alpha`).")
    dropout: float = Field(0.05, ge=0.0, lt=1.0, description="Dropout on the LoRA branch.")


class _StageConfig(_Frozen):
    """What every training stage is configured with (SFT and RL add their own fields and defaults)."""

    model: str = Field("embedded", description="`embedded`, `hf:PATH` or a run folder (its final model).")
    lora: LoraSettings | None = Field(None, description="LoRA settings; None for full fine-tuning.")
    epochs: float = Field(1.0, gt=0, description="Passes over the data (ignored when `max_steps` is set).")
    max_steps: int | None = Field(None, ge=1, description="Optimiser steps; overrides `epochs`.")
    seed: int = Field(0, description="Seed for data order, dropout, sampling and LoRA initialisation.")
    bf16: bool | None = Field(None, description="bfloat16 mixed precision; None: on when the GPU supports it.")
    chat_template: ChatTemplateChoice = Field("auto", description="`auto`, `model` or a Jinja file path.")
    reasoning: str = Field("auto", description="Reasoning format (`compiler.reasoning`: `tags`, `think`, "
                                               "`harmony`), or `auto`: the data's bundle's, else the one the "
                                               "model's chat template speaks. RL refuses another than the bundle's.")


class SFTStageConfig(_StageConfig):
    """Supervised fine-tuning on judge-filtered (prompt, reasoning + answer) rows, loss on the completion only."""

    learning_rate: float = Field(2e-5, gt=0, description="Peak learning rate.")
    batch_size: int = Field(4, ge=1, description="Rows per device per step.")
    grad_accum: int = Field(1, ge=1, description="Gradient accumulation steps.")
    max_length: int = Field(2048, ge=16, description="Longest tokenized row; a longer one fails the pre-flight.")
    save_steps: int = Field(100, ge=1, description="Checkpoint every this many steps (to resume after a crash).")
    logging_steps: int = Field(10, ge=1, description="Log metrics every this many steps.")
    group_by_length: bool = Field(False, description="Batch rows of similar length together (less padding, "
                                                     "faster steps; transformers' length-grouped sampler).")
    answer_only: bool = Field(False, description="Train on the answers alone, the reasoning dropped (the paper's "
                                                 "ablation: what deliberation adds).")
    decline_share: float | None = Field(None, gt=0, lt=1, description="The safe:unsafe mix: cut the rows so that "
                                        "those whose decision declines (refuse, safe_complete) are this share of "
                                        "the rows with a decision, dropping a seeded hash-chosen subset of the "
                                        "larger side; None trains on every row.")


class RewardSettings(_Frozen):
    """The RL reward: a weighted sum of the judge, format and citation rewards (each in 0..1)."""

    judge: str = Field("embedded", description="Backend spec of the judge model (`embedded`, `openai:URL#MODEL`...).")
    judge_runs: int = Field(1, ge=1, description="Judge samples per completion, averaged.")
    judge_tokens: int = Field(256, ge=1, description="Token limit of each verdict (the score comes from the digit "
                                                     "probabilities when the backend gives them).")
    w_judge: float = Field(1.0, ge=0, description="Weight of the spec-aware judge's score of the answer.")
    w_format: float = Field(0.2, ge=0, description="Weight of the format reward (reasoning + answer blocks).")
    w_cite: float = Field(0.2, ge=0, description="Weight of the citation reward (cited ids belong to the category).")
    panel: bool = Field(True, description="Reward with the judge panel (`trainer.judging.PanelJudge`): the answer's "
                                           "style against the prompt's expected response, with the LLM judge.")
    panel_llm: bool = Field(True, description="With `panel`: include the LLM judge (off: no judge model is opened).")

    @model_validator(mode="after")
    def _some_weight(self) -> RewardSettings:
        if self.w_judge == self.w_format == self.w_cite == 0:
            raise ValueError("all reward weights are 0; give at least one of w_judge, w_format, w_cite a weight")
        return self


class VLLMSettings(_Frozen):
    """Generation with vLLM during RL (GPU only; needs `pip install vllm`)."""

    mode: Literal["server", "colocate"] = Field("colocate", description="A separate `trl vllm-serve` or in-process.")
    server_url: str | None = Field(None, description="Base URL of the vLLM server (server mode).")


class RLStageConfig(_StageConfig):
    """GRPO on user prompts (no spec in the prompt) with the spec-aware judge as reward."""

    learning_rate: float = Field(1e-6, gt=0, description="Peak learning rate.")
    batch_size: int = Field(2, ge=1, description="Prompts per device per step, each sampled `num_generations` times.")
    save_steps: int = Field(50, ge=1, description="Checkpoint every this many steps.")
    num_generations: int = Field(4, ge=2, description="Completions sampled per prompt (the GRPO group).")
    max_completion_length: int = Field(512, ge=1, description="Longest completion sampled, in tokens.")
    beta: float = Field(0.0, ge=0, description="KL coefficient against the starting model (0: no reference model).")
    rewards: RewardSettings = Field(default_factory=RewardSettings, description="Reward model and weights.")
    vllm: VLLMSettings | None = Field(None, description="Generate with vLLM; None: transformers `generate`.")
