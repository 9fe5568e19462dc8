"""Stop strings: where to cut a completion."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """`text` cut before the earliest occurrence of any stop string, and whether one was found.

    >>> cut_at_stop("yes.\\nUser: more", ["\\nUser:"])
    ('yes.', True)
    """
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
    if cut < 0:
        return text, False
    return text[:cut], True


def stop_criteria(tokenizer: Any, stop: Sequence[str], prompt_width: int) -> Any:
    """A transformers `StoppingCriteria` that ends a row once its *generated* text holds a stop string.

    transformers' own `stop_strings` also match text that straddles the prompt (a prompt ending in a
    newline plus a generated newline matches "\\n\\n"), which would stop generation before anything was
    said; this one decodes only the columns after the (left-padded) prompt.
    """
    import torch
    from transformers import StoppingCriteria

    strings = [s for s in stop if s]

    class _StopOnGeneratedText(StoppingCriteria):
        def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> torch.BoolTensor:
            texts = tokenizer.batch_decode(input_ids[:, prompt_width:], skip_special_tokens=True)
            done = [any(s in text for s in strings) for text in texts]
            return torch.tensor(done, dtype=torch.bool, device=input_ids.device)  # type: ignore[return-value]

    return _StopOnGeneratedText()
