"""The backend protocol: chat messages, sampling parameters, generations and `ChatBackend`.

Everything that talks to a language model (the generation pipeline, judges, trainers' evaluation
loops) depends on `ChatBackend` only, so tests can swap in `trainer.backends.fake.FakeBackend`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, model_validator

from compiler.prompt_files import Turn

"""Message roles; the same closed set as `spec_lang.model.Role`."""

FinishReason = Literal["stop", "length", "error"]
"""Why a generation ended: a natural end or a stop string, the token limit, or a failed request."""

JsonSchema = Mapping[str, Any]
"""A JSON schema for structured output (a plain JSON object)."""


ChatMessage = Turn
"""One turn of a conversation, in the OpenAI chat format (`compiler.prompt_files.Turn`, the one message type)."""


Conversation = Sequence[ChatMessage]
"""An ordered list of turns; the model answers after the last one."""


class SamplingParams(BaseModel):
    """How to sample a completion; the same meaning for every backend."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    temperature: float = Field(default=0.7, ge=0.0)
    """Softmax temperature; 0 means greedy decoding."""
    top_p: float = Field(default=0.95, gt=0.0, le=1.0)
    """Nucleus sampling mass (1.0 disables it). Ignored when greedy."""
    max_new_tokens: int = Field(default=256, ge=1)
    """Upper bound on completion tokens; reaching it gives `finish_reason="length"`."""
    seed: int | None = None
    """Seed for reproducible sampling (local backends: same inputs, params and batch size give the
    same outputs; HTTP servers honour it on a best-effort basis)."""
    stop: tuple[str, ...] = ()
    """Stop strings: the text is cut before the first one found, which is not included."""
    reasoning: bool = False
    """Ask for the model's own reasoning channel (a `think` or `harmony` model, `compiler.reasoning`): HTTP
    servers get the request options that turn thinking on and return it apart (`Generation.reasoning`);
    local backends ignore it (their text keeps the reasoning inline)."""


class Generation(BaseModel):
    """The result for one conversation. Failed requests are data (`finish_reason="error"`), not exceptions."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    text: str
    """The completion text, without special tokens and cut before any stop string."""
    prompt_tokens: int = Field(ge=0)
    """Tokens in the rendered prompt (0 when a server reports no usage)."""
    completion_tokens: int = Field(ge=0)
    """Tokens generated, including an end-of-turn token (0 when a server reports no usage)."""
    finish_reason: FinishReason
    """`stop`, `length` or `error`."""
    reasoning: str | None = None
    """The reasoning a server returned apart from `text` (`reasoning_content` or `reasoning`, from vLLM or
    llama.cpp with a reasoning parser); None when it came inline or not at all. Join the two with
    `compiler.reasoning.ReasoningFormat.join`."""
    error: str | None = None
    """What went wrong when `finish_reason == "error"` (never contains credentials)."""

    @model_validator(mode="after")
    def _error_iff_failed(self) -> Generation:
        if (self.finish_reason == "error") != (self.error is not None):
            raise ValueError("`error` must be set exactly when finish_reason is 'error'")
        return self


@runtime_checkable
class ChatBackend(Protocol):
    """A chat model that generates in batches and scores choices for judges.

    Implementations: `TransformersBackend` (`embedded`, `hf:PATH`), `OpenAIBackend` (`openai:URL#MODEL`)
    and `FakeBackend` for tests. Build one with `open_backend(spec)`.
    """

    model_id: str
    """Stable identifier recorded in provenance, e.g. `embedded:SmolLM2-135M-Instruct-Q4_1`."""

    def generate(
        self,
        conversations: Sequence[Conversation],
        params: SamplingParams,
        *,
        json_schema: JsonSchema | None = None,
    ) -> list[Generation]:
        """One `Generation` per conversation, in input order.

        `json_schema` asks for structured output where the backend supports it (HTTP servers);
        local backends ignore it.
        """
        ...

    def choice_probs(
        self,
        conversations: Sequence[Conversation],
        prefix: str,
        choices: Sequence[str],
    ) -> list[dict[str, float] | None]:
        """For each conversation, the probability of each choice as the continuation of an assistant
        turn that starts with `prefix`, renormalised over `choices` (values sum to 1).

        `None` for a conversation means the backend cannot tell (e.g. a server without logprobs);
        callers fall back to parsing a generated answer.
        """
        ...

    def close(self) -> None:
        """Release the model or connections; the backend is unusable afterwards."""
        ...
