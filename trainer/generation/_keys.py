"""Content keys: what makes a unit of work the same unit again. Pure functions.

- A *prompt key* covers the conversation and its category.
- A *unit key* (one sampled completion) covers the prompt key, the category's content hash
  (`spec_lang.versions.category_hashes`, recorded in the bundle manifest), the hash of the compiled system
  prompt (so a template change counts too), the generator's identity, its sampling parameters and the
  sample index. A spec change therefore invalidates exactly the units of its stale categories.
- A *judge key* covers the unit key, the judge's identity and settings and the rubric's hash; a new judge
  re-grades the saved completions without sampling them again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spec_lang.versions import digest
from trainer.backends import model_identity
from trainer.judging import JudgeConfig, Message


def prompt_key(prompt: Sequence[Message], category: str) -> str:
    """The key of one prompt routed to one category."""
    return digest({"prompt": [[m["role"], m["content"]] for m in prompt], "category": category})


def unit_key(prompt: str, category_hash: str, system_prompt_hash: str, generator: str,
             sampling: Mapping[str, Any], sample_index: int) -> str:
    """The key of one sampled completion (see the module docstring)."""
    return digest({"prompt": prompt, "category_hash": category_hash, "system_prompt": system_prompt_hash,
                   "generator": model_identity(generator), "sampling": dict(sampling), "sample": sample_index})


def judge_key(unit: str, judge: str, config: JudgeConfig, rubric_hash: str, **panel: Any) -> str:
    """The key of one judgement of one completion (`panel`: the panel's inputs, when it grades)."""
    # the reasoning format is in the unit key already (the system prompt asks for it): left out, so keys made
    # before formats existed still match
    how = config.model_dump(mode="json", exclude={"reasoning"})
    return digest({"unit": unit, "judge": model_identity(judge), "config": how,
                   "rubric": rubric_hash, **panel})
