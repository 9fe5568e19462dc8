"""`FakeBackend`: a deterministic, scripted `ChatBackend` for tests of everything built on backends.

    backend = FakeBackend(["first answer", "second answer"])          # replies in order
    backend = FakeBackend(lambda conv, params: conv[-1]["content"])  # computed replies
    judge = FakeBackend('{"score": 4}', probs={"4": 0.7, "5": 0.3})   # judge with scores

Token counts are whitespace-separated words, so tests can reason about them. `max_new_tokens` and stop
strings apply as they would on a real model. Every call is recorded in `calls`.

`open_backend("fake")` (the `fake` backend of every `--generator`, `--judge` and MODEL option) is
`well_behaved()`: a completion in the reasoning format, a passing verdict, the top score's digit most
probable, so the whole pipeline runs end to end with default settings and keeps rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from trainer.backends._errors import BackendClosedError, BackendError
from trainer.backends._protocol import ChatMessage, Conversation, Generation, JsonSchema, SamplingParams
from trainer.backends._stop import cut_at_stop

Responder = Callable[[Conversation, SamplingParams], "str | Generation"]
"""Computes the reply to one conversation: text (counted and cut like a model's) or a ready `Generation`."""

ProbsFn = Callable[[Conversation, str, Sequence[str]], "Mapping[str, float] | None"]
"""Computes choice weights for one conversation, given the prefix and choices; `None` means unsupported."""


@dataclass(frozen=True)
class FakeCall:
    """One recorded call to a `FakeBackend`."""

    method: Literal["generate", "choice_probs"]
    conversations: tuple[tuple[ChatMessage, ...], ...]
    params: SamplingParams | None = None
    json_schema: JsonSchema | None = None
    prefix: str | None = None
    choices: tuple[str, ...] = ()


class FakeBackend:
    """A scripted backend: replies from a fixed text, a list consumed in order, or a callable.

    With no script it echoes the last user message as `"echo: ..."`. `probs` scripts `choice_probs`:
    a mapping of weights (renormalised over the asked choices), a callable, or `None` for uniform.
    """

    def __init__(
        self,
        responses: str | Sequence[str | Generation] | Responder | None = None,
        *,
        probs: Mapping[str, float] | ProbsFn | None = None,
        model_id: str = "fake",
    ) -> None:
        self.model_id = model_id
        self.calls: list[FakeCall] = []
        self._responses = responses
        self._probs = probs
        self._served = 0
        self._closed = False

    def generate(
        self,
        conversations: Sequence[Conversation],
        params: SamplingParams,
        *,
        json_schema: JsonSchema | None = None,
    ) -> list[Generation]:
        """One scripted `Generation` per conversation, in order."""
        self._check_open()
        self.calls.append(FakeCall("generate", _freeze(conversations), params=params, json_schema=json_schema))
        return [self._reply(conversation, params) for conversation in conversations]

    def choice_probs(
        self, conversations: Sequence[Conversation], prefix: str, choices: Sequence[str]
    ) -> list[dict[str, float] | None]:
        """Scripted probabilities, renormalised over `choices`; uniform when `probs` was not given."""
        self._check_open()
        if not choices:
            raise BackendError("choice_probs needs at least one choice, got none")
        self.calls.append(FakeCall("choice_probs", _freeze(conversations), prefix=prefix, choices=tuple(choices)))
        return [self._weights(conversation, prefix, choices) for conversation in conversations]

    def close(self) -> None:
        """Refuse further calls, like a real backend after `close()`."""
        self._closed = True

    def __enter__(self) -> FakeBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"FakeBackend(model_id={self.model_id!r}, calls={len(self.calls)})"

    def _reply(self, conversation: Conversation, params: SamplingParams) -> Generation:
        scripted = self._responses
        reply: str | Generation
        if scripted is None:
            last_user = next((m["content"] for m in reversed(conversation) if m["role"] == "user"), "")
            reply = f"echo: {last_user}"
        elif isinstance(scripted, str):
            reply = scripted
        elif callable(scripted):
            reply = scripted(conversation, params)
        else:
            if self._served >= len(scripted):
                raise BackendError(
                    f"FakeBackend ran out of scripted responses after {len(scripted)}; script more, or pass a callable"
                )
            reply = scripted[self._served]
            self._served += 1
        if isinstance(reply, Generation):
            return reply
        return _as_generation(reply, conversation, params)

    def _weights(self, conversation: Conversation, prefix: str, choices: Sequence[str]) -> dict[str, float] | None:
        scripted = self._probs
        if scripted is None:
            return {choice: 1.0 / len(choices) for choice in choices}
        weights = scripted(conversation, prefix, choices) if callable(scripted) else scripted
        if weights is None:
            return None
        mass = {choice: max(0.0, float(weights.get(choice, 0.0))) for choice in choices}
        total = sum(mass.values())
        return {choice: value / total for choice, value in mass.items()} if total > 0 else None

    def _check_open(self) -> None:
        if self._closed:
            raise BackendClosedError(f"backend {self.model_id} is closed; open a new one")


def _freeze(conversations: Sequence[Conversation]) -> tuple[tuple[ChatMessage, ...], ...]:
    return tuple(tuple(ChatMessage(role=m["role"], content=m["content"]) for m in c) for c in conversations)


def _as_generation(text: str, conversation: Conversation, params: SamplingParams) -> Generation:
    prompt_tokens = sum(len(m["content"].split()) for m in conversation)
    text, _ = cut_at_stop(text, params.stop)
    words = text.split()
    if len(words) > params.max_new_tokens:
        kept = " ".join(words[: params.max_new_tokens])
        return Generation(
            text=kept, prompt_tokens=prompt_tokens, completion_tokens=params.max_new_tokens, finish_reason="length"
        )
    return Generation(text=text, prompt_tokens=prompt_tokens, completion_tokens=len(words), finish_reason="stop")


_PASSING_VERDICT = ('{"score": 5, "style": "comply", "violated_rules": [], "cited_rules_valid": true, '
                    '"rationale": "fake judge: every answer passes"}')


def _well_behaved_reply(conversation: Conversation, params: SamplingParams) -> str:
    """A completion in the reasoning format, continuing a prefilled assistant turn where there is one."""
    last_user = next((m["content"] for m in reversed(conversation) if m["role"] == "user"), "")
    completion = ("<reasoning>\nA fake model reasons in the format; nothing here calls for a refusal.\n"
                  "Decision: comply\n</reasoning>\n<answer>\nA fake answer to: " + " ".join(last_user.split()[:24])
                  + "\n</answer>")
    prefill = conversation[-1]["content"] if conversation and conversation[-1]["role"] == "assistant" else ""
    if not prefill:
        return completion
    return completion[len(prefill):] if completion.startswith(prefill) else "A fake answer.\n</answer>"


def _well_behaved_probs(conversation: Conversation, prefix: str, choices: Sequence[str]) -> Mapping[str, float]:
    """The highest score digit when asked for one (so scores pass any threshold), else the first choice."""
    digits = [c for c in choices if c.strip().isdigit()]
    return {max(digits, key=int) if digits else choices[0]: 1.0}


class _WellBehavedBackend(FakeBackend):
    """`well_behaved()`: a passing verdict when one is asked for under a JSON schema, else a completion."""

    def generate(self, conversations: Sequence[Conversation], params: SamplingParams, *,
                 json_schema: JsonSchema | None = None) -> list[Generation]:
        if json_schema is None:
            return super().generate(conversations, params)
        self._check_open()
        self.calls.append(FakeCall("generate", _freeze(conversations), params=params, json_schema=json_schema))
        return [_as_generation(_PASSING_VERDICT, c, params) for c in conversations]


def well_behaved(model_id: str = "fake") -> FakeBackend:
    """The fake `open_backend("fake")` opens: completions in the reasoning format, passing verdicts, and the
    top score most probable, so generation keeps rows and evaluation scores them (for wiring, demos, CI)."""
    return _WellBehavedBackend(_well_behaved_reply, probs=_well_behaved_probs, model_id=model_id)
