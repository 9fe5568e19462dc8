"""The tiny policy every trainer stage's tests share (`fixtures/tiny_policy.md`, categories `weapons` and
`insults`): its file, its spec, and its bundle compiled in memory.

Import as `from tests.trainer.tiny_policy import ...`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from compiler import ApproxCounter, Bundle, compile_spec
from spec_lang import Spec, load

TINY_POLICY = Path(__file__).parent / "fixtures" / "tiny_policy.md"


def tiny_spec(path: Path = TINY_POLICY) -> Spec:
    return load(str(path)).spec


@lru_cache(maxsize=4)
def _compiled(path: Path) -> Bundle:
    return compile_spec(tiny_spec(path), counter=ApproxCounter())


def tiny_bundle(path: Path = TINY_POLICY) -> Bundle:
    """The tiny policy compiled in memory (approximate token counts: fast, no tokenizer)."""
    return _compiled(path)
