"""Helpers for the judge and generation tests: the tiny policy's bundle, verdicts and completions.

Import as `from tests.trainer.judging.helpers import ...`."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from compiler import ApproxCounter, Bundle, compile_spec, format_completion
from spec_lang import Spec, load

FIXTURES = Path(__file__).parent / "fixtures"
TINY_POLICY = FIXTURES / "tiny_policy.md"


def tiny_spec(path: Path = TINY_POLICY) -> Spec:
    return load(str(path)).spec


@lru_cache(maxsize=4)
def _compiled(path: Path) -> Bundle:
    return compile_spec(tiny_spec(path), counter=ApproxCounter())


def tiny_bundle(path: Path = TINY_POLICY) -> Bundle:
    """The tiny policy compiled in memory (approximate token counts: fast, no tokenizer)."""
    return _compiled(path)


def verdict_json(score: int = 5, style: str = "comply", violated: tuple[str, ...] = (),
                 rationale: str = "fine", cited: bool | None = True) -> str:
    return json.dumps({"score": score, "style": style, "violated_rules": list(violated),
                       "cited_rules_valid": cited, "rationale": rationale})


def completion(answer: str = "Use `kill PID`.", decision: str = "comply",
               reasoning: str = "Technical use of kill, `weapons.c1` allows it.") -> str:
    return format_completion(reasoning, answer, decision)  # type: ignore[arg-type]
