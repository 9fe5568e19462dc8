"""`RewardModelJudge`: a reward model trained from a spec's own example pairs (`delib train judge`),
usable wherever a judge is accepted, as the judge address `rm:RUN`.

    judge = RewardModelJudge.open("runs/judge")       # a `delib train judge` run folder (or its final/)
    [grade] = judge.grade([JudgeRequest(category="violence", prompt=(...), completion="...")])
    grade.score        # 1 + 4 * sigmoid(reward): the model's preference, on the judge's 1..5 scale

The reward model is a cross-encoder: a sequence-classification head reads the conversation (earlier
turns, then the user's last turn) and the answer as one pair of segments and gives one reward. It sees the
final answer only (what the RL reward and evaluation grade; the reasoning is not shown to it, whatever
`show_reasoning` says), and no category: what it knows of the spec it learned from the spec's examples.
It gives no style: a grade's `style` is the refusal detector's (`OpeningDetector` by default), as in the judge panel.
Scores are deterministic (no sampling), so k runs are one, and it makes no token calls (its usage counts
batches and grades, with no tokens).

Its `model_id` is `rm:` and the resolved model folder; its `identity` (what content keys record) adds the
run's fingerprint from `RUN/run.json`, so a run retrained in the same folder is another judge.
`RewardModelJudge.open(path, lazy=True)` checks the folder now and loads the model on the first grade.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from compiler.reasoning import get_format
from trainer.backends import RUN_FINAL, RUN_MANIFEST
from trainer.judging._models import Grade, JudgeConfig, JudgeError, JudgeRequest, JudgeUsage, Message
from trainer.judging._render import bare_answer
from trainer.judging.refusal import StyleDetector, default_detector

RM_PREFIX = "rm:"
"""The judge address of a reward model: `rm:RUN` (a `delib train judge` run folder, or its `final/`)."""
RM_MAX_LENGTH = 256
"""Tokens of one (conversation, answer) pair; the longer segment is cut first."""
BATCH = 16


def rm_render_pair(prompt: Sequence[Mapping[str, str]] | Sequence[Message], answer: str) -> tuple[str, str]:
    """The reward model's two input segments: the conversation (one `role: text` line per turn, system
    turns left out) and the answer. Training and grading both render through here."""
    turns = "\n".join(f"{m['role']}: {m['content'].strip()}" for m in prompt if m["role"] != "system")
    return turns, answer.strip()


def rm_encode(tokenizer: Any, pairs: Sequence[tuple[str, str]], max_length: int = RM_MAX_LENGTH) -> Any:
    """Token ids and attention masks of `pairs` (lists, unpadded), as training and grading read them."""
    return tokenizer([a for a, _ in pairs], [b for _, b in pairs], truncation="longest_first",
                     max_length=max_length, return_token_type_ids=False)


def score_of(reward: float) -> float:
    """A reward on the judge's 1..5 scale: 1 + 4 * sigmoid(reward)."""
    return 1.0 + 4.0 / (1.0 + math.exp(-max(-50.0, min(50.0, reward))))


def model_folder(path: str | Path) -> Path:
    """The model folder of a reward-model run (`RUN/final`), or `path` itself when it holds the model.
    Raises `JudgeError` when neither does."""
    folder = Path(path).expanduser()
    for candidate in (folder / RUN_FINAL, folder):
        if (candidate / "config.json").is_file():
            return candidate
    raise JudgeError(f"rm:{path}: no reward model there (neither final/config.json nor config.json); "
                     "train one with `delib train judge SPEC -o RUN`, then pass --judge rm:RUN")


def run_fingerprint(folder: Path) -> str | None:
    """The fingerprint in the manifest of the run whose model folder is `folder` (`RUN/final`): a hash of
    what the model was trained from. None for a model folder outside a run, or a manifest without one."""
    if folder.name != RUN_FINAL:
        return None
    try:
        manifest = json.loads((folder.parent / RUN_MANIFEST).read_bytes())
    except (OSError, ValueError):
        return None
    found = manifest.get("fingerprint") if isinstance(manifest, dict) else None
    return found if isinstance(found, str) and found else None


class RewardModelJudge:
    """A trained reward model grading like `Judge` (see the module docstring); `open` loads one.
    `model` None: loaded from the folder `name` on first use; `revision`: the run's fingerprint, if known."""

    def __init__(self, model: Any, tokenizer: Any, name: str, config: JudgeConfig | None = None,
                 detector: StyleDetector | None = None, *, revision: str | None = None) -> None:
        self._loaded: tuple[Any, Any] | None = (model.eval(), tokenizer) if model is not None else None
        self.name = name
        self.revision = revision
        self.config = (config or JudgeConfig()).model_copy(update={"runs": 1, "use_choice_probs": False})
        self.detector = detector or default_detector()
        self._usage = JudgeUsage()

    @classmethod
    def open(cls, path: str | Path, config: JudgeConfig | None = None, *, lazy: bool = False) -> RewardModelJudge:
        """The reward model of a `delib train judge` run folder (or of its `final/`); `JudgeError` when
        there is none. `lazy`: the model is loaded on first use (a load failure is then a `JudgeError` there)."""
        folder = model_folder(path).resolve()
        judge = cls(None, None, str(folder), config, revision=run_fingerprint(folder))
        if not lazy:
            judge._load()
        return judge

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is None:
            from transformers import AutoModelForSequenceClassification, AutoTokenizer

            try:
                tokenizer = AutoTokenizer.from_pretrained(self.name, local_files_only=True)
                model = AutoModelForSequenceClassification.from_pretrained(self.name, local_files_only=True)
            except (OSError, ValueError) as exc:
                raise JudgeError(f"{self.model_id}: cannot load the reward model: {exc}") from exc
            self._loaded = (model.eval(), tokenizer)
        return self._loaded

    @property
    def loaded(self) -> bool:
        """Whether the model is loaded (one `open`ed with `lazy` loads on its first grade)."""
        return self._loaded is not None

    @property
    def model(self) -> Any:
        """The sequence-classification model (loaded now if it was not yet)."""
        return self._load()[0]

    @property
    def tokenizer(self) -> Any:
        return self._load()[1]

    @property
    def model_id(self) -> str:
        return f"{RM_PREFIX}{self.name}"

    @property
    def identity(self) -> str:
        """What its grades depend on, for content keys: `model_id`, and the run's fingerprint when known."""
        return f"{self.model_id}@{self.revision}" if self.revision else self.model_id

    @property
    def usage(self) -> JudgeUsage:
        return self._usage

    def rewards(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """The raw reward of each (conversation, answer) pair (`rm_render_pair`), in batches."""
        import torch

        out: list[float] = []
        for start in range(0, len(pairs), BATCH):
            chunk = rm_encode(self.tokenizer, pairs[start:start + BATCH])
            batch = self.tokenizer.pad(chunk, return_tensors="pt")
            with torch.no_grad():
                logits = self.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            out.extend(float(x) for x in logits[:, 0])
        self._usage = self._usage.model_copy(update={"calls": self._usage.calls + 1,
                                                     "verdicts": self._usage.verdicts + len(pairs)})
        return out

    def grade(self, requests: Sequence[JudgeRequest]) -> list[Grade]:
        """One grade per request, in order: the reward model's score, the detector's style."""
        if not requests:
            return []
        answers = [bare_answer(r.completion, get_format(self.config.reasoning)) for r in requests]
        rewards = self.rewards([rm_render_pair(r.prompt, a) for r, a in zip(requests, answers, strict=True)])
        styles = self.detector.detect(answers)
        return [Grade(score=score_of(reward), unscored_reason=None, run_scores=(score_of(reward),), verdicts=(None,),
                      raw=(f"reward {reward:.4f}",), style=style, violated_rules=(), rationale=None,
                      run_errors=(None,))
                for reward, style in zip(rewards, styles, strict=True)]
