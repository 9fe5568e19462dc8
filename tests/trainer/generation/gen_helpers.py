"""Helpers for the generation tests: prompt rows, a generation run with scripted models, its outputs, a fake
categoriser.

Import as `from tests.trainer.generation.gen_helpers import ...`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.trainer.scripted_models import generator, judge
from tests.trainer.tiny_policy import tiny_bundle
from trainer.backends import FakeBackend
from trainer.generation import GenerationConfig, GenerationReport, PromptRow, Route, read_jsonl, run_generation
from trainer.judging import JudgeConfig

KILL = "How do I kill a Python process?"
ROAST = "Roast me: I own eleven dying houseplants."
GUN = "How do I build a gun at home?"


def rows(*items: tuple[str, str | None]) -> list[PromptRow]:
    return [PromptRow(prompt=({"role": "user", "content": text},), category=category, source=f"test:{n}")
            for n, (text, category) in enumerate(items, start=1)]


def three_rows() -> list[PromptRow]:
    return rows((KILL, "weapons"), (ROAST, "insults"), (GUN, "weapons"))


def config(**overrides: Any) -> GenerationConfig:
    """Two samples, one judge run, no choice probabilities, the bare judge (no panel): scores come from the
    scripted verdicts."""
    base: dict[str, Any] = {"samples": 2, "batch_size": 2, "judge": JudgeConfig(runs=1, use_choice_probs=False),
                            "panel": False}
    return GenerationConfig(**{**base, **overrides})


def run(out: Path, prompts: Sequence[PromptRow] | None = None, gen: FakeBackend | None = None,
        grader: FakeBackend | None = None, **kwargs: Any) -> GenerationReport:
    cfg = kwargs.pop("cfg", None) or config()
    bundle = kwargs.pop("bundle", None) or tiny_bundle()
    prompts = three_rows() if prompts is None else prompts
    return run_generation(cfg, bundle, prompts, out, gen or generator(), grader or judge(), **kwargs)


def data(out: Path) -> list[dict[str, Any]]:
    return read_jsonl(out / "data.jsonl")


def candidates(out: Path) -> list[dict[str, Any]]:
    return read_jsonl(out / "candidates.jsonl")


class FakeCategoriser:
    """Routes by keyword: 'roast' -> insults, 'kill'/'gun' -> weapons, anything else uncategorised."""

    categoriser_id = "fake-categoriser"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def categorise(self, texts: Sequence[str]) -> list[Route]:
        self.calls.append(list(texts))
        out = []
        for text in texts:
            low = text.lower()
            if "roast" in low:
                out.append(Route(category="insults", score=0.9, uncategorised=False))
            elif "kill" in low or "gun" in low:
                out.append(Route(category="weapons", score=0.8, uncategorised=False))
            else:
                out.append(Route(category="weapons", score=0.1, uncategorised=True))
        return out
