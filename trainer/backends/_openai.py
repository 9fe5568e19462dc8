"""`OpenAIBackend`: any OpenAI-compatible chat server (vLLM, llama.cpp server, TGI, ollama).

Requests run concurrently under a semaphore, each with its own timeout, spread round-robin over one
or more base URLs; a retry goes to the next URL. The client's own retries are off (`max_retries=0`):
this module retries 408/409/429/5xx, timeouts, connection errors and malformed responses itself, with
exponential backoff and jitter (`RetryPolicy`). A request that still fails becomes a
`Generation(finish_reason="error")`. The API key is read from an environment variable when requests
are made, sent in the `Authorization` header, and never stored, shown or logged; error texts are
scrubbed of it.

Reasoning models: a server with a reasoning parser (vLLM `--reasoning-parser`, llama.cpp) returns the
reasoning apart from the content, as `reasoning_content` or `reasoning` (`REASONING_FIELDS`); it becomes
`Generation.reasoning`. With `SamplingParams(reasoning=True)` requests also carry `REASONING_OPTIONS`, the
options those servers read to think and to return the reasoning apart (others ignore unknown fields).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from trainer.backends._errors import BackendClosedError, BackendError, ModelUnavailableError
from trainer.backends._logprobs import choice_probs_from_top_logprobs
from trainer.backends._protocol import Conversation, Generation, JsonSchema, SamplingParams
from trainer.backends._retry import RetryPolicy, is_retryable_status, parse_retry_after
from trainer.backends._stop import cut_at_stop
from trainer.backends._sync import run_sync

if TYPE_CHECKING:
    import openai

R = TypeVar("R")

PLACEHOLDER_API_KEY = "EMPTY"
"""Sent when the key variable is unset; vLLM and llama.cpp accept any key."""

REASONING_FIELDS = ("reasoning_content", "reasoning")
"""Message fields that carry the reasoning apart: llama.cpp and vLLM before 0.10 use the first, later vLLM the
second."""
REASONING_OPTIONS: dict[str, Any] = {
    "chat_template_kwargs": {"enable_thinking": True, "thinking": True},  # Qwen3; Granite, DeepSeek-V3.1
    "include_reasoning": True,  # vLLM
    "reasoning_format": "deepseek",  # llama.cpp: the reasoning in `reasoning_content`
}
"""Extra request body fields sent with `SamplingParams(reasoning=True)`."""


class _MalformedResponse(Exception):
    """The server answered 200 with something that is not a chat completion."""


class OpenAIBackend:
    """An OpenAI-compatible chat completions server, possibly several replicas behind `base_urls`."""

    def __init__(
        self,
        base_urls: Sequence[str],
        model: str | None = None,
        *,
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int = 16,
        timeout_s: float = 120.0,
        max_retries: int = 4,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        seed: int | None = None,
    ) -> None:
        """`seed` seeds the backoff jitter (for tests); `model=None` asks the first server for its first model."""
        urls = tuple(u.strip().rstrip("/") for u in base_urls if u.strip())
        if not urls:
            raise BackendError("OpenAIBackend needs at least one base URL, e.g. http://localhost:8000/v1")
        if concurrency < 1:
            raise BackendError(f"concurrency must be at least 1, got {concurrency}")
        if timeout_s <= 0:
            raise BackendError(f"timeout_s must be positive, got {timeout_s}")
        self.base_urls = urls
        self.api_key_env = api_key_env
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.retry = RetryPolicy(max_retries=max_retries, backoff_base_s=backoff_base_s, backoff_max_s=backoff_max_s)
        self._rng = random.Random(seed)
        self._next_url = itertools.count()
        self._schema_rejected = False
        self._closed = False
        self.model = model or self._first_model()
        self.model_id = f"openai:{','.join(urls)}#{self.model}"

    # ----------------------------------------------------------------- public API

    def generate(
        self,
        conversations: Sequence[Conversation],
        params: SamplingParams,
        *,
        json_schema: JsonSchema | None = None,
    ) -> list[Generation]:
        """One `Generation` per conversation, in input order; failed requests are error generations."""
        return run_sync(lambda: self.agenerate(conversations, params, json_schema=json_schema))

    async def agenerate(
        self,
        conversations: Sequence[Conversation],
        params: SamplingParams,
        *,
        json_schema: JsonSchema | None = None,
    ) -> list[Generation]:
        """`generate` as a coroutine, for callers that already run an event loop.

        With `json_schema`, requests carry `response_format={"type": "json_schema", ...}`; if the server
        rejects that with HTTP 400, the request is sent once more without it (and later ones skip it).
        """
        self._check_open()
        async with _Clients(self) as clients:
            gate = asyncio.Semaphore(self.concurrency)
            tasks = [self._generate_one(clients, gate, conv, params, json_schema) for conv in conversations]
            return list(await asyncio.gather(*tasks))

    def choice_probs(
        self, conversations: Sequence[Conversation], prefix: str, choices: Sequence[str]
    ) -> list[dict[str, float] | None]:
        """Choice probabilities from the server's top-20 log-probabilities of the first answer token.

        Limitation: chat endpoints cannot continue a partial assistant message portably, so the
        prefix is requested in words (the last user message gains "Answer starts with: PREFIX") and
        the first generated token is scored. A model that repeats the prefix instead of answering,
        a server without logprobs, or a failed request gives `None`; callers then parse a generated
        answer instead.
        """
        return run_sync(lambda: self.achoice_probs(conversations, prefix, choices))

    async def achoice_probs(
        self, conversations: Sequence[Conversation], prefix: str, choices: Sequence[str]
    ) -> list[dict[str, float] | None]:
        """`choice_probs` as a coroutine."""
        self._check_open()
        if not choices:
            raise BackendError("choice_probs needs at least one choice, got none")
        async with _Clients(self) as clients:
            gate = asyncio.Semaphore(self.concurrency)
            tasks = [self._choice_one(clients, gate, conv, prefix, choices) for conv in conversations]
            return list(await asyncio.gather(*tasks))

    def close(self) -> None:
        """Mark the backend closed (connections live only for the duration of each call)."""
        self._closed = True

    def __enter__(self) -> OpenAIBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"OpenAIBackend(model_id={self.model_id!r}, api_key_env={self.api_key_env!r})"

    # ----------------------------------------------------------------- requests

    async def _generate_one(
        self,
        clients: _Clients,
        gate: asyncio.Semaphore,
        conversation: Conversation,
        params: SamplingParams,
        json_schema: JsonSchema | None,
    ) -> Generation:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in conversation],
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_new_tokens,
        }
        if params.seed is not None:
            request["seed"] = params.seed
        extra: dict[str, Any] = dict(REASONING_OPTIONS) if params.reasoning else {}
        if conversation and conversation[-1]["role"] == "assistant":  # prefill: continue the final message
            extra |= {"continue_final_message": True, "add_generation_prompt": False}
        if extra:
            request["extra_body"] = extra
        if params.stop:
            request["stop"] = list(params.stop)
        schema = None if json_schema is None or self._schema_rejected else dict(json_schema)

        def parse(response: Any) -> Generation:
            choice = response.choices[0]
            text, stopped = cut_at_stop(choice.message.content or "", params.stop)
            usage = response.usage
            return Generation(
                text=text,
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
                finish_reason="length" if choice.finish_reason == "length" and not stopped else "stop",
                reasoning=reasoning_field(choice.message),
            )

        async with gate:
            try:
                return await self._with_retries(clients, request, schema, parse)
            except _RequestFailed as failed:
                return Generation(
                    text="", prompt_tokens=0, completion_tokens=0, finish_reason="error", error=str(failed)
                )

    async def _choice_one(
        self,
        clients: _Clients,
        gate: asyncio.Semaphore,
        conversation: Conversation,
        prefix: str,
        choices: Sequence[str],
    ) -> dict[str, float] | None:
        prefill = bool(conversation) and conversation[-1]["role"] == "assistant"
        request: dict[str, Any] = {
            "model": self.model,
            "messages": _prefilled(conversation, prefix) if prefill else _with_answer_prefix(conversation, prefix),
            "temperature": 0.0,
            "max_tokens": 1,
            "logprobs": True,
            "top_logprobs": 20,
        }

        if prefill:
            request["extra_body"] = {"continue_final_message": True, "add_generation_prompt": False}

        def parse(response: Any) -> dict[str, float] | None:
            logprobs = response.choices[0].logprobs
            content = logprobs.content if logprobs is not None else None
            if not content:
                return None
            top = [(entry.token, entry.logprob) for entry in content[0].top_logprobs or ()]
            return choice_probs_from_top_logprobs(top, choices)

        async with gate:
            try:
                return await self._with_retries(clients, request, None, parse)
            except _RequestFailed:
                return None

    async def _with_retries(
        self,
        clients: _Clients,
        request: dict[str, Any],
        schema: dict[str, Any] | None,
        parse: Callable[[Any], R],
    ) -> R:
        """`parse(chat_completion)`; `_RequestFailed` once retries are spent or the failure is permanent.

        A response that `parse` cannot read (missing fields) counts as malformed and is retried.
        """
        import openai

        start = next(self._next_url)
        retry = 0
        while True:
            url, client = clients.pick(start + retry)
            body = dict(request)
            if schema is not None and not self._schema_rejected:
                body["response_format"] = {"type": "json_schema", "json_schema": {"name": "output", "schema": schema}}
            try:
                response = await client.chat.completions.create(**body)
                try:
                    return parse(response)
                except (AttributeError, IndexError, KeyError, TypeError):
                    raise _MalformedResponse(f"not a chat completion: {str(response)[:200]!r}") from None
            except openai.BadRequestError as exc:
                if "response_format" in body:
                    self._schema_rejected = True  # fall back once to plain output, not counted as a retry
                    continue
                raise _RequestFailed(self._describe(url, exc, retry)) from None
            except openai.APIStatusError as exc:
                if not is_retryable_status(exc.status_code) or retry >= self.retry.max_retries:
                    raise _RequestFailed(self._describe(url, exc, retry)) from None
                wait = self.retry.delay(retry, self._rng, parse_retry_after(exc.response.headers.get("retry-after")))
            except (
                openai.APIConnectionError,
                openai.APIResponseValidationError,
                _MalformedResponse,
                ValueError,
            ) as exc:
                # APITimeoutError is an APIConnectionError; ValueError covers a truncated JSON body.
                if retry >= self.retry.max_retries:
                    raise _RequestFailed(self._describe(url, exc, retry)) from None
                wait = self.retry.delay(retry, self._rng)
            await asyncio.sleep(wait)
            retry += 1

    # ----------------------------------------------------------------- helpers

    def _api_key(self) -> str:
        return os.environ.get(self.api_key_env) or PLACEHOLDER_API_KEY

    def _describe(self, url: str, exc: BaseException, retry: int) -> str:
        import openai

        status = f"HTTP {exc.status_code}: " if isinstance(exc, openai.APIStatusError) else ""
        kind = "timed out" if isinstance(exc, openai.APITimeoutError) else f"{type(exc).__name__}"
        message = f"{url}: {status}{kind}: {exc} (after {retry + 1} attempt{'s' if retry else ''})"
        key = self._api_key()
        return message.replace(key, "***") if key != PLACEHOLDER_API_KEY else message

    def _check_open(self) -> None:
        if self._closed:
            raise BackendClosedError(f"backend {self.model_id} is closed; open a new one with open_backend()")

    def _first_model(self) -> str:
        import openai

        url = self.base_urls[0]
        client = openai.OpenAI(
            base_url=url, api_key=self._api_key(), max_retries=self.retry.max_retries, timeout=self.timeout_s
        )
        try:
            models = [m.id for m in client.models.list()]
        except (openai.OpenAIError, ValueError) as exc:
            raise ModelUnavailableError(
                f"cannot list the models served at {url}: {self._describe(url, exc, 0)}; "
                f"check the URL, or name the model as openai:{url}#MODEL"
            ) from None
        finally:
            client.close()
        if not models:
            raise ModelUnavailableError(f"{url}/models lists no model; name one as openai:{url}#MODEL")
        return models[0]


class _RequestFailed(Exception):
    """A request that failed for good; its message is ready for `Generation.error`."""


class _Clients:
    """One `AsyncOpenAI` client per base URL for the duration of one call (clients are bound to a loop)."""

    def __init__(self, backend: OpenAIBackend) -> None:
        self._backend = backend
        self._clients: list[openai.AsyncOpenAI] = []

    async def __aenter__(self) -> _Clients:
        import openai

        key = self._backend._api_key()
        self._clients = [
            openai.AsyncOpenAI(base_url=url, api_key=key, max_retries=0, timeout=self._backend.timeout_s)
            for url in self._backend.base_urls
        ]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.gather(*(client.close() for client in self._clients))

    def pick(self, n: int) -> tuple[str, openai.AsyncOpenAI]:
        index = n % len(self._clients)
        return self._backend.base_urls[index], self._clients[index]


def reasoning_field(message: Any) -> str | None:
    """The reasoning a chat completion message carries apart from its content (None: none, or blank)."""
    extra = getattr(message, "model_extra", None) or {}
    for name in REASONING_FIELDS:
        value = getattr(message, name, None) or extra.get(name)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _prefilled(conversation: Conversation, prefix: str) -> list[dict[str, str]]:
    """The conversation with `prefix` appended to its final (assistant) message, which the server continues."""
    messages = [{"role": m["role"], "content": m["content"]} for m in conversation]
    messages[-1]["content"] += prefix
    return messages


def _with_answer_prefix(conversation: Conversation, prefix: str) -> list[dict[str, str]]:
    messages = [{"role": m["role"], "content": m["content"]} for m in conversation]
    instruction = f"Answer starts with: {prefix}"
    if messages and messages[-1]["role"] == "user":
        messages[-1]["content"] = f"{messages[-1]['content']}\n\n{instruction}"
    else:
        messages.append({"role": "user", "content": instruction})
    return messages
