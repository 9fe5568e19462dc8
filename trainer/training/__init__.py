"""Training: SFT on judge-filtered generations, then RL with the spec-aware judge as reward (TRL underneath).

    from trainer.training import RLStageConfig, SFTStageConfig, train_rl, train_sft

    sft = train_sft("gen/", "runs/sft", SFTStageConfig(model="embedded", max_steps=200))
    rl = train_rl("build/bundle", "prompts.jsonl", "runs/rl", RLStageConfig(model=str(sft.run_dir)))
    open_backend(f"hf:{rl.final_model}")            # the trained model, with its chat template

Every run folder holds `run.json` (`RunManifest`: spec revision, category hashes, data fingerprint,
base model, configs, chat template, metrics, status), TRL checkpoints, and `final/`. Rerunning a
command resumes an interrupted run. Importing this package imports neither torch nor TRL.
"""

from trainer.training._lifecycle import RunResult
from trainer.training._trl_args import RL_RESERVED, SFT_RESERVED, parse_override_pairs
from trainer.training.chat_templates import CHATML_NO_DEFAULT_SYSTEM, TemplateChoice, choose_chat_template
from trainer.training.configs import LoraSettings, RewardSettings, RLStageConfig, SFTStageConfig, VLLMSettings
from trainer.training.data import DataSource, load_prompts, load_sft_data
from trainer.training.errors import (
    DataError,
    ModelSourceError,
    OverrideError,
    PreflightError,
    RunStateError,
    TrainingError,
    TrainingFailedError,
)
from trainer.training.manifest import RunManifest, TemplateRecord, read_manifest
from trainer.training.models import ModelSource, resolve_model
from trainer.training.preflight import Problem
from trainer.training.rewards import AnswerJudge, CitationReward, FormatReward, JudgeReward
from trainer.training.rl import train_rl
from trainer.training.runs import RunLayout, final_model_of
from trainer.training.sft import train_sft

__all__ = [
    "CHATML_NO_DEFAULT_SYSTEM",
    "RL_RESERVED",
    "SFT_RESERVED",
    "AnswerJudge",
    "CitationReward",
    "DataError",
    "DataSource",
    "FormatReward",
    "JudgeReward",
    "LoraSettings",
    "ModelSource",
    "ModelSourceError",
    "OverrideError",
    "PreflightError",
    "Problem",
    "RLStageConfig",
    "RewardSettings",
    "RunLayout",
    "RunManifest",
    "RunResult",
    "RunStateError",
    "SFTStageConfig",
    "TemplateChoice",
    "TemplateRecord",
    "TrainingError",
    "TrainingFailedError",
    "VLLMSettings",
    "choose_chat_template",
    "final_model_of",
    "load_prompts",
    "load_sft_data",
    "parse_override_pairs",
    "read_manifest",
    "resolve_model",
    "train_rl",
    "train_sft",
]
