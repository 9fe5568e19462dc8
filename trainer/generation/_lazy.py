"""`LazyBackend`: a backend that is opened on its first model call, so a run with nothing to do (or a dry
run) loads no model. Its `model_id` is worked out from the model address without loading where it can be
(`embedded`, `hf:PATH`, `openai:URL#MODEL`, `fake`); `openai:URL` without a model asks the server.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from trainer.backends import (
    ChatBackend,
    Conversation,
    Generation,
    JsonSchema,
    SamplingParams,
    find_embedded_gguf,
    open_backend,
    parse_address,
)


def check_address(spec: str) -> str:
    """The model address, stripped, when it is one `open_backend` accepts; else `ModelAddressError`."""
    return parse_address(spec).text


def expected_model_id(spec: str) -> str | None:
    """The `model_id` the backend named by `spec` will have, or None when only the backend can tell."""
    address = parse_address(spec)
    if address.kind == "embedded":
        from trainer.backends import embedded_name  # the backend's own naming, not re-implemented

        return f"embedded:{embedded_name(find_embedded_gguf())}"
    if address.kind == "hf":
        return f"hf:{Path(str(address.model_folder)).resolve()}"
    if address.kind == "openai":
        urls = [u.rstrip("/") for u in address.urls]
        return f"openai:{','.join(urls)}#{address.model}" if address.model else None
    return address.kind


class LazyBackend:
    """Opens `open_backend(spec, **options)` on the first `generate` or `choice_probs` call (at once when
    only the backend can tell its `model_id`)."""

    def __init__(self, spec: str, opener: Callable[..., ChatBackend] = open_backend, **options: Any) -> None:
        self.spec = check_address(spec)
        self._opener = opener
        self._options = options
        self._backend: ChatBackend | None = None
        expected = expected_model_id(self.spec)
        self.model_id: str = expected if expected is not None else self.backend().model_id

    @property
    def opened(self) -> bool:
        return self._backend is not None

    def backend(self) -> ChatBackend:
        """The real backend, opened now if it was not yet."""
        if self._backend is None:
            self._backend = self._opener(self.spec, **self._options)
        return self._backend

    def generate(self, conversations: Sequence[Conversation], params: SamplingParams, *,
                 json_schema: JsonSchema | None = None) -> list[Generation]:
        return self.backend().generate(conversations, params, json_schema=json_schema)

    def choice_probs(self, conversations: Sequence[Conversation], prefix: str,
                     choices: Sequence[str]) -> list[dict[str, float] | None]:
        return self.backend().choice_probs(conversations, prefix, choices)

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
