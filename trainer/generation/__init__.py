"""The data pipeline of deliberative alignment: prompts -> spec-aware samples -> judged, filtered SFT data.

    from trainer.generation import GenerationConfig, read_prompts, run_generation

    report = run_generation(GenerationConfig(samples=4, threshold=4), load_bundle("build/bundle"),
                            read_prompts("prompts.jsonl"), "data/", open_backend("embedded"),
                            open_backend("embedded"))
    report.per_category, report.outputs["data.jsonl"]

The judge is a chat backend (the spec-aware judge over it, or the panel, as the config says) or a judge
`trainer.judging.open_judge` built, e.g. a reward model: `open_judge("rm:runs/judge", bundle,
config.judge, lazy=True)` (what `generate_from_recipe` opens for a recipe's `rm:RUN` judge).

Each prompt gets its category (given, or from `RetrieverCategoriser`), the category's system prompt and N
sampled completions; the judge grades each k times (minimum); the best one above the threshold is kept,
without the system prompt. Work is keyed by content and logged durably (`OUT/.work/`), so a killed run
resumes, an unchanged rerun makes no model call, and after a spec change only stale categories are redone.

Outputs in OUT: `data.jsonl` (kept rows, TRL conversational prompt-completion format plus provenance),
`candidates.jsonl` (every candidate), `pairs.jsonl` (kept vs rejected candidates of one prompt, TRL's
preference format for DPO), `dataset/` (`datasets.DatasetDict`: `train`, `candidates`) and
`README.md` (the dataset card); `generate_from_recipe` adds `generation.json` (the recipe) and `bundle/`
(a copy of the bundle used), which `delib retrain` reads.

Errors (all `spec_lang.errors.DelibError`s): `PromptFileError` (unreadable prompts), `RoutingError` (rows
without a usable category), `WorkLogError` (the output folder cannot be used), `OutputError` (an output
file cannot be written); backends raise `trainer.backends.BackendError`.
"""

from compiler.record_files import read_jsonl
from trainer.generation._config import GenerationConfig
from trainer.generation._judging import JudgeInput
from trainer.generation._lazy import LazyBackend, check_address, expected_model_id
from trainer.generation._outputs import CANDIDATES, CARD, DATA, DATASET, PAIRS
from trainer.generation._progress import NullProgress, Progress
from trainer.generation._prompts import PromptFileError, PromptRow, read_prompts
from trainer.generation._recipe import (
    BUNDLE_COPY,
    RECIPE,
    GenerationRecipe,
    PromptSource,
    categoriser_for,
    generate_from_recipe,
    read_recipe,
)
from trainer.generation._records import Candidate, Judgement, Sampling, Status
from trainer.generation._report import Counts, GenerationReport, Usage
from trainer.generation._routing import (
    Categoriser,
    RetrieverCategoriser,
    Route,
    RoutingError,
    route_text,
    spec_for_bundle,
)
from trainer.generation._run import CANDIDATE_LOG, WORK_DIR, candidate_log, run_generation, stale_categories
from trainer.generation._worklog import WorkLog, WorkLogError

__all__ = [
    "BUNDLE_COPY",
    "RECIPE",
    "GenerationRecipe",
    "PromptSource",
    "categoriser_for",
    "generate_from_recipe",
    "read_recipe",
    "CANDIDATES",
    "CANDIDATE_LOG",
    "CARD",
    "DATA",
    "DATASET",
    "PAIRS",
    "WORK_DIR",
    "Candidate",
    "Categoriser",
    "Counts",
    "GenerationConfig",
    "GenerationReport",
    "JudgeInput",
    "Judgement",
    "LazyBackend",
    "NullProgress",
    "Progress",
    "PromptFileError",
    "PromptRow",
    "RetrieverCategoriser",
    "Route",
    "RoutingError",
    "Sampling",
    "Status",
    "Usage",
    "WorkLog",
    "WorkLogError",
    "candidate_log",
    "check_address",
    "expected_model_id",
    "read_jsonl",
    "read_prompts",
    "route_text",
    "run_generation",
    "spec_for_bundle",
    "stale_categories",
]
