"""Rendering conversations through a tokenizer's chat template, and spotting injected system prompts.

Some chat templates add a default system turn when a conversation has none; SmolLM2's adds
"You are a helpful AI assistant named SmolLM, trained by Hugging Face". Trainers must know this:
a model fine-tuned without a system turn is in fact trained with that one. `injected_system_prompt`
finds it by rendering with and without a system turn and comparing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trainer.backends._errors import BackendError
from trainer.backends._protocol import ChatMessage

_USER_SENTINEL = "\x00deliberative-user-sentinel\x00"
_SYSTEM_SENTINEL = "\x00deliberative-system-sentinel\x00"


def render_chat(tokenizer: Any, conversation: Sequence[ChatMessage], *, add_generation_prompt: bool = True) -> str:
    """The conversation as the prompt text the model sees (special tokens included, not tokenized).

    With `add_generation_prompt`, the text ends with the header of an assistant turn; a conversation that
    ends with an assistant message instead ends inside that message, so the model continues it (prefill).
    Raises `BackendError` when the tokenizer has no chat template or the template rejects the conversation.
    """
    if not getattr(tokenizer, "chat_template", None):
        name = getattr(tokenizer, "name_or_path", "") or type(tokenizer).__name__
        raise BackendError(
            f"tokenizer {name!r} has no chat template; use an instruction-tuned model or save a tokenizer "
            "with `chat_template` set"
        )
    prefill = add_generation_prompt and bool(conversation) and conversation[-1]["role"] == "assistant"
    try:
        text = tokenizer.apply_chat_template(
            [dict(m) for m in conversation], tokenize=False,
            add_generation_prompt=add_generation_prompt and not prefill, continue_final_message=prefill,
        )
    except Exception as exc:  # jinja errors from the template itself, e.g. raise_exception("roles must alternate")
        roles = ", ".join(m["role"] for m in conversation)
        raise BackendError(f"the chat template rejected a conversation with roles [{roles}]: {exc}") from exc
    if not isinstance(text, str):
        raise BackendError(f"the chat template returned {type(text).__name__}, expected text")
    return text


def injected_system_prompt(tokenizer: Any) -> str | None:
    """The system prompt the chat template adds to conversations without one, or `None`."""
    bare = render_chat(tokenizer, [{"role": "user", "content": _USER_SENTINEL}], add_generation_prompt=False)
    with_system = render_chat(
        tokenizer,
        [{"role": "system", "content": _SYSTEM_SENTINEL}, {"role": "user", "content": _USER_SENTINEL}],
        add_generation_prompt=False,
    )
    head, _, tail = with_system.partition(_SYSTEM_SENTINEL)
    if not (bare.startswith(head) and bare.endswith(tail)) or len(head) + len(tail) > len(bare):
        return None
    injected = bare[len(head) : len(bare) - len(tail)]
    return injected or None
