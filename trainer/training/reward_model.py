"""`train_reward_model`: a judge compiled from the spec itself (`delib train judge SPEC... -o RUN`).

    result = train_reward_model([spec], "runs/judge", RewardModelConfig())
    result.held_out.share     # held-out example pairs the trained model ranks the right way round
    RewardModelJudge.open("runs/judge")             # the judge; `--judge rm:runs/judge` on the CLI

Every example comparison of the spec yields preference pairs: each GOOD candidate above each OK and BAD
one, each OK above each BAD one, as an answer to the turns before the comparison. Pairs are split by
example (the hash of its first message: `trainer.promptsets.split_of`), so the held-out pairs come from
examples the model never saw. A cross-encoder (by default the embedded MiniLM, `all-MiniLM-L6-v2`, with
a new one-logit head) is fine-tuned on the train pairs with TRL's `RewardTrainer` (Bradley-Terry loss),
then every pair is scored again: the manifest records the share ranked right, train and held out.

    RUN/run.json     the manifest (`RewardRun`): config, data fingerprint, pair counts, accuracies
    RUN/final/       the model and tokenizer (`rm:RUN` opens it)

Rerunning on the same specs and settings does nothing; anything else retrains (a run takes minutes on a
CPU, so there is no checkpoint to resume). Deterministic: the same specs and seed give the same model.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from spec_lang import Spec
from spec_lang.atomic import write_atomic
from spec_lang.errors import OutputError
from trainer.judging import RM_MAX_LENGTH, RewardModelJudge, rm_encode, rm_render_pair
from trainer.training.errors import DataError, RunStateError
from trainer.training.manifest import library_versions, now
from trainer.training.runs import RunLayout

_FROZEN = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)
_PARTIAL = ".final-partial"


class RewardModelConfig(BaseModel):
    """How `delib train judge` trains."""

    model_config = _FROZEN

    base: str | None = None
    """The encoder to fine-tune (a transformers model folder); None: the embedded MiniLM."""
    epochs: float = Field(default=4.0, gt=0)
    """Passes over the train pairs."""
    learning_rate: float = Field(default=3e-5, gt=0)
    batch_size: int = Field(default=8, ge=1)
    """Pairs per optimiser step."""
    max_length: int = Field(default=RM_MAX_LENGTH, ge=16)
    """Tokens of one (conversation, answer) pair; the longer segment is cut first."""
    eval_share: float = Field(default=0.3, ge=0.0, lt=1.0)
    """Share of examples held out (by content hash) to measure the model on."""
    seed: int = 0


class PreferencePair(BaseModel):
    """One pair the reward model must rank: `chosen` above `rejected`, as answers to `prompt`."""

    model_config = _FROZEN

    example: str
    """`<spec id>:<case id>` of the comparison."""
    where: str
    split: Literal["train", "eval"]
    prompt: tuple[dict[str, str], ...]
    chosen: str
    rejected: str
    kinds: str
    """`GOOD>BAD`, `GOOD>OK` or `OK>BAD`."""


class PairAccuracy(BaseModel):
    """Pairs ranked the right way round (a tie is wrong)."""

    model_config = _FROZEN

    pairs: int
    correct: int
    by_kinds: dict[str, tuple[int, int]] = Field(default_factory=dict)
    """`GOOD>BAD` etc. -> (correct, pairs)."""

    @property
    def share(self) -> float | None:
        return self.correct / self.pairs if self.pairs else None


class RewardRun(BaseModel):
    """`RUN/run.json` of a reward-model run."""

    model_config = _FROZEN

    format: Literal["delib-judge-run/1"] = "delib-judge-run/1"
    kind: Literal["judge"] = "judge"
    status: Literal["completed"] = "completed"
    completed_at: str
    specs: tuple[str, ...]
    """`id@revision` of each spec trained from."""
    fingerprint: str
    """Hash of the pairs and the config: what decides whether a rerun has anything to do."""
    base_model: str
    config: RewardModelConfig
    examples: dict[str, int]
    """Examples in each split."""
    train: PairAccuracy
    held_out: PairAccuracy
    seconds: float
    versions: dict[str, str]


def preference_pairs(specs: Sequence[Spec], eval_share: float = 0.3) -> list[PreferencePair]:
    """Every ranked pair of every example comparison of `specs`, with its split (pure)."""
    from trainer.evaluation.policy_cases import RANK, comparison_cases
    from trainer.promptsets import split_of

    pairs: list[PreferencePair] = []
    for spec in specs:
        for case in comparison_cases(spec):
            split = split_of(case.prompt[0]["content"], eval_share)
            for better in case.candidates:
                for worse in case.candidates:
                    if RANK[better.kind] > RANK[worse.kind]:
                        pairs.append(PreferencePair(
                            example=f"{spec.meta.id}:{case.id}", where=case.where, split=split,
                            prompt=tuple(dict(m) for m in case.prompt), chosen=better.text, rejected=worse.text,
                            kinds=f"{better.kind}>{worse.kind}"))
    return pairs


def accuracy(pairs: Sequence[PreferencePair], chosen: Sequence[float], rejected: Sequence[float]) -> PairAccuracy:
    """How many pairs have the chosen answer's reward strictly above the rejected one's (pure)."""
    by: dict[str, list[int]] = {}
    for pair, c, r in zip(pairs, chosen, rejected, strict=True):
        tally = by.setdefault(pair.kinds, [0, 0])
        tally[0] += int(c > r)
        tally[1] += 1
    return PairAccuracy(pairs=len(pairs), correct=sum(t[0] for t in by.values()),
                        by_kinds={k: (t[0], t[1]) for k, t in sorted(by.items())})


def _fingerprint(pairs: Sequence[PreferencePair], config: RewardModelConfig, base: str) -> str:
    h = hashlib.sha256(config.model_dump_json().encode())
    h.update(base.encode())
    for pair in pairs:
        h.update(pair.model_dump_json().encode())
    return h.hexdigest()[:16]


def _base_folder(config: RewardModelConfig) -> Path:
    if config.base is not None:
        folder = Path(config.base).expanduser()
        if not (folder / "config.json").is_file():
            raise DataError(f"--base {config.base}: not a transformers model folder (no config.json)",
                            "pass a folder holding an encoder model, or leave --base out for the embedded MiniLM")
        return folder
    from compiler.retrieval import default_model_path

    return default_model_path()


def read_run(layout: RunLayout) -> RewardRun | None:
    """The manifest of a reward-model run, or None when there is none; `RunStateError` when unreadable or
    another kind of run."""
    try:
        data = layout.manifest.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise RunStateError(f"{layout.manifest}: cannot read: {exc.strerror or exc}") from exc
    try:
        return RewardRun.model_validate_json(data)
    except ValidationError as exc:
        raise RunStateError(f"{layout.root} holds something other than a reward-model run ({layout.manifest})",
                            "pick a new output folder, or pass --force to train into it anyway") from exc


def train_reward_model(specs: Sequence[Spec], run_dir: str | Path, config: RewardModelConfig | None = None,
                       *, force: bool = False) -> tuple[RewardRun, bool]:
    """Train the reward model of `specs` into `run_dir`; returns its manifest and whether it trained (False:
    the run had completed on the same specs and settings). Raises `DataError` when the specs hold no
    train pair, `RunStateError` when the folder holds something else."""
    import time

    config = config or RewardModelConfig()
    layout = RunLayout(Path(run_dir).expanduser().resolve())
    pairs = preference_pairs(specs, config.eval_share)
    train = [p for p in pairs if p.split == "train"]
    if not train:
        raise DataError(f"{', '.join(s.path for s in specs)}: no example comparison to train on "
                        f"({len(pairs)} pairs, none in the train split)",
                        "label example candidates GOOD / OK / BAD (see policies/README.md)")
    base = _base_folder(config)
    fingerprint = _fingerprint(pairs, config, str(base))
    previous = None if force else _previous(layout)
    if previous is not None and previous.fingerprint == fingerprint and (layout.final / "config.json").is_file():
        return previous, False
    try:  # before the model loads, so that an unwritable folder fails at once
        layout.root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError.of(layout.root, exc) from exc
    started = time.perf_counter()
    model, tokenizer = _fit(base, train, config, layout)
    judge = RewardModelJudge(model, tokenizer, str(layout.final))
    held = [p for p in pairs if p.split == "eval"]
    run = RewardRun(
        completed_at=now(), specs=tuple(f"{s.meta.id}@{s.meta.version or '-'}" for s in specs),
        fingerprint=fingerprint, base_model=str(base), config=config,
        examples={s: len({p.example.split(".")[0] for p in pairs if p.split == s}) for s in ("train", "eval")},
        train=_measure(judge, train), held_out=_measure(judge, held), seconds=round(time.perf_counter() - started, 1),
        versions=library_versions())
    _publish(layout, model, tokenizer, run)
    return run, True


def _previous(layout: RunLayout) -> RewardRun | None:
    """The run already in the folder; refuses a folder holding something else."""
    if layout.manifest.is_file():
        return read_run(layout)
    if layout.root.is_dir() and any(layout.root.iterdir()):
        raise RunStateError(f"{layout.root} is not empty and holds no reward-model run (run.json is missing)",
                            "pick a new output folder, or pass --force to train into it anyway")
    return None


def _measure(judge: RewardModelJudge, pairs: Sequence[PreferencePair]) -> PairAccuracy:
    chosen = judge.rewards([rm_render_pair(p.prompt, p.chosen) for p in pairs])
    rejected = judge.rewards([rm_render_pair(p.prompt, p.rejected) for p in pairs])
    return accuracy(pairs, chosen, rejected)


def _fit(base: Path, train: Sequence[PreferencePair], config: RewardModelConfig, layout: RunLayout) -> tuple[Any, Any]:
    """Fine-tune `base` with a one-logit head on the train pairs (TRL `RewardTrainer`)."""
    from datasets import Dataset
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, PrinterCallback, set_seed
    from trl import RewardConfig, RewardTrainer  # type: ignore[attr-defined]

    set_seed(config.seed)
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1, local_files_only=True)
    chosen = rm_encode(tokenizer, [rm_render_pair(p.prompt, p.chosen) for p in train], config.max_length)
    rejected = rm_encode(tokenizer, [rm_render_pair(p.prompt, p.rejected) for p in train], config.max_length)
    dataset = Dataset.from_dict({"chosen_ids": chosen["input_ids"], "rejected_ids": rejected["input_ids"]})
    work = layout.root / "checkpoints"
    args = RewardConfig(
        output_dir=str(work), num_train_epochs=config.epochs, learning_rate=config.learning_rate,
        per_device_train_batch_size=config.batch_size, seed=config.seed, data_seed=config.seed,
        save_strategy="no", report_to=[], logging_steps=10, max_length=None, use_cpu=True,
        disable_tqdm=True, dataloader_num_workers=0)
    trainer = RewardTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer)
    trainer.remove_callback(PrinterCallback)  # its raw metric dicts would go to stdout (and break --json)
    trainer.train()
    shutil.rmtree(work, ignore_errors=True)
    model.eval()
    return model, tokenizer


def _publish(layout: RunLayout, model: Any, tokenizer: Any, run: RewardRun) -> None:
    """`final/` and `run.json` replace the previous ones, the model first (a kill leaves the old run whole
    or the new model with the old manifest, whose fingerprint makes the next run train again)."""
    partial = layout.root / _PARTIAL
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    shutil.rmtree(layout.final, ignore_errors=True)
    os.replace(partial, layout.final)
    write_atomic(layout.manifest, json.dumps(run.model_dump(mode="json"), indent=2) + "\n")
