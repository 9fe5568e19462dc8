"""Guided generation: completions written in the format step by step, for models too small to follow it.

    1. reasoning   the assistant turn is prefilled with `<reasoning>`; sampling stops at `Decision:` or the
                   closing tag (half the token budget)
    2. decision    comply / refuse / safe_complete, by the model's own probabilities after `Decision:`
    3. answer      prefilled with everything so far and `<answer>`; sampling stops at `</answer>`

The result is always well-formed, and every word in it is the model's; only the tags are ours. The
backend must continue a final assistant message (prefill): local backends do, and so do vLLM and the
llama.cpp server (`continue_final_message`). Three backend calls replace one.
"""

from __future__ import annotations

from collections.abc import Sequence

from compiler.format import (
    ANSWER_CLOSE,
    ANSWER_OPEN,
    DECISION_PREFIX,
    REASONING_CLOSE,
    REASONING_OPEN,
    format_completion,
)
from spec_lang.model import RESPONSES
from trainer.backends import ChatBackend, ChatMessage, Conversation, Generation, SamplingParams

_CHOICES = tuple(f" {r}" for r in RESPONSES)


def _reasoning_prefix(reasoning: str) -> str:
    return f"{REASONING_OPEN}\n{reasoning.strip()}\n{DECISION_PREFIX}"


def _with_prefill(conversation: Conversation, text: str) -> list[ChatMessage]:
    return [*conversation, ChatMessage(role="assistant", content=text)]


def guided_generate(backend: ChatBackend, conversations: Sequence[Conversation],
                    params: SamplingParams) -> list[Generation]:
    """One well-formed completion per conversation (see the module docstring)."""
    budget = params.max_new_tokens
    think = params.model_copy(update={"max_new_tokens": max(1, budget // 2),
                                      "stop": (DECISION_PREFIX, REASONING_CLOSE, ANSWER_OPEN)})
    first = backend.generate([_with_prefill(c, f"{REASONING_OPEN}\n") for c in conversations], think)
    reasonings = [g.text.strip() for g in first]
    probs = backend.choice_probs(
        [_with_prefill(c, _reasoning_prefix(r)) for c, r in zip(conversations, reasonings, strict=True)], "",
        _CHOICES)
    decisions = [RESPONSES[0] if p is None else max(p, key=p.__getitem__).strip() for p in probs]
    heads = [f"{_reasoning_prefix(r)} {d}\n{REASONING_CLOSE}\n{ANSWER_OPEN}\n"
             for r, d in zip(reasonings, decisions, strict=True)]
    left = max(1, budget // 2, budget - max((g.completion_tokens for g in first), default=0))
    answers = backend.generate([_with_prefill(c, h) for c, h in zip(conversations, heads, strict=True)],
                               params.model_copy(update={"max_new_tokens": left, "stop": (ANSWER_CLOSE,)}))
    out = []
    for one, two, reasoning, decision in zip(first, answers, reasonings, decisions, strict=True):
        failed = next((g for g in (one, two) if g.finish_reason == "error"), None)
        if failed is not None:
            out.append(failed)
            continue
        text = format_completion(reasoning, two.text, decision)  # type: ignore[arg-type]
        out.append(Generation(text=text, prompt_tokens=one.prompt_tokens + two.prompt_tokens,
                              completion_tokens=one.completion_tokens + 1 + two.completion_tokens,
                              finish_reason=two.finish_reason))
    return out
