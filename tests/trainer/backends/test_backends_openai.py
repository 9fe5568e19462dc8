"""OpenAIBackend against a scripted local HTTP server: retries, failures as data, timeouts, spreading, secrets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from trainer.backends import (
    BackendClosedError,
    ChatMessage,
    ModelUnavailableError,
    OpenAIBackend,
    SamplingParams,
    open_backend,
)

Make = Callable[..., Any]
HELLO: list[ChatMessage] = [{"role": "user", "content": "hello"}]
PARAMS = SamplingParams(max_new_tokens=16, temperature=0.0)
FAST: dict[str, Any] = {"backoff_base_s": 0.01, "backoff_max_s": 0.05, "seed": 0}


def backend(*servers: Any, **options: Any) -> OpenAIBackend:
    return OpenAIBackend([s.url for s in servers], "fake-model", **{**FAST, **options})


def test_answers_in_order_with_usage(fake_openai_server: Make) -> None:
    server = fake_openai_server()
    conversations: list[list[ChatMessage]] = [[{"role": "user", "content": f"q{i}"}] for i in range(5)]
    out = backend(server).generate(conversations, PARAMS)
    assert [g.text for g in out] == [f"echo: q{i}" for i in range(5)]
    assert all(g.finish_reason == "stop" and g.prompt_tokens == 3 and g.completion_tokens == 1 for g in out)
    sent = server.chat_requests[0].body
    assert sent["model"] == "fake-model" and sent["max_tokens"] == 16 and sent["temperature"] == 0.0
    assert "seed" not in sent and "stop" not in sent and "response_format" not in sent


def test_sampling_params_are_sent(fake_openai_server: Make) -> None:
    server = fake_openai_server()
    backend(server).generate([HELLO], SamplingParams(temperature=0.3, top_p=0.5, seed=7, stop=("\n",)))
    sent = server.chat_requests[0].body
    assert (sent["temperature"], sent["top_p"], sent["seed"], sent["stop"]) == (0.3, 0.5, 7, ["\n"])


@pytest.mark.parametrize("failure", ["429", "500", "503", "truncated", "not_json", "wrong_shape"])
def test_transient_failures_are_retried(fake_openai_server: Make, fake_openai: ModuleType, failure: str) -> None:
    bad = {
        "429": fake_openai.error_reply(429, retry_after="0"),
        "500": fake_openai.error_reply(500),
        "503": fake_openai.error_reply(503),
        "truncated": fake_openai.truncated_json_reply(),
        "not_json": fake_openai.not_json_reply(),
        "wrong_shape": fake_openai.wrong_shape_reply(),
    }[failure]
    server = fake_openai_server([bad, bad, fake_openai.chat_reply("finally")])
    [out] = backend(server, max_retries=3).generate([HELLO], PARAMS)
    assert (out.text, out.finish_reason, out.error) == ("finally", "stop", None)
    assert len(server.chat_requests) == 3


def test_permanent_failure_is_an_error_generation(fake_openai_server: Make, fake_openai: ModuleType) -> None:
    server = fake_openai_server([fake_openai.error_reply(500, "boom")] * 3 + [fake_openai.chat_reply("other")])
    conversations: list[list[ChatMessage]] = [HELLO, [{"role": "user", "content": "second"}]]
    first, second = backend(server, max_retries=2, concurrency=1).generate(conversations, PARAMS)
    assert first.finish_reason == "error" and first.text == ""
    assert first.error is not None and "HTTP 500" in first.error and "3 attempts" in first.error
    assert (second.text, second.finish_reason) == ("other", "stop")


def test_client_errors_are_not_retried(fake_openai_server: Make, fake_openai: ModuleType) -> None:
    server = fake_openai_server([fake_openai.error_reply(401, "bad key")])
    [out] = backend(server, max_retries=3).generate([HELLO], PARAMS)
    assert out.finish_reason == "error" and out.error is not None and "HTTP 401" in out.error
    assert len(server.chat_requests) == 1


def test_timeout_is_honoured(fake_openai_server: Make, fake_openai: ModuleType) -> None:
    server = fake_openai_server([fake_openai.slow_reply(5.0)])
    started = time.monotonic()
    [out] = backend(server, timeout_s=0.3, max_retries=0).generate([HELLO], PARAMS)
    assert time.monotonic() - started < 3.0
    assert out.finish_reason == "error" and out.error is not None and "timed out" in out.error


def test_timeout_then_retry_succeeds(fake_openai_server: Make, fake_openai: ModuleType) -> None:
    server = fake_openai_server([fake_openai.slow_reply(5.0), fake_openai.chat_reply("fresh")])
    [out] = backend(server, timeout_s=0.3, max_retries=1).generate([HELLO], PARAMS)
    assert out.text == "fresh"


def test_round_robin_across_servers(fake_openai_server: Make) -> None:
    one, two = fake_openai_server(), fake_openai_server()
    conversations: list[list[ChatMessage]] = [[{"role": "user", "content": str(i)}] for i in range(6)]
    out = backend(one, two).generate(conversations, PARAMS)
    assert [g.text for g in out] == [f"echo: {i}" for i in range(6)]
    assert len(one.chat_requests) == len(two.chat_requests) == 3


def test_retry_moves_to_the_next_server(fake_openai_server: Make, fake_openai: ModuleType) -> None:
    down = fake_openai_server(lambda request: fake_openai.error_reply(503))
    up = fake_openai_server()
    outs = backend(down, up, max_retries=1).generate([HELLO, HELLO], PARAMS)
    assert [g.text for g in outs] == ["echo: hello", "echo: hello"]


def test_concurrency_limit_is_respected(fake_openai_server: Make, fake_openai: ModuleType) -> None:
    server = fake_openai_server(lambda request: fake_openai.slow_reply(0.15, "x"))
    out = backend(server, concurrency=3).generate([HELLO] * 10, PARAMS)
    assert [g.text for g in out] == ["x"] * 10
    assert server.max_in_flight == 3


def test_api_key_is_sent_but_never_shown(
    fake_openai_server: Make, fake_openai: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-test-5ecret-value"
    monkeypatch.setenv("DELIB_TEST_KEY", secret)
    server = fake_openai_server([fake_openai.chat_reply("ok"), fake_openai.error_reply(500, f"rejected {secret}")])
    chat = backend(server, api_key_env="DELIB_TEST_KEY", max_retries=0, concurrency=1)
    ok, failed = chat.generate([HELLO, HELLO], PARAMS)
    assert server.chat_requests[0].headers["authorization"] == f"Bearer {secret}"
    assert ok.text == "ok" and failed.finish_reason == "error"
    for shown in (chat.model_id, repr(chat), str(vars(chat)), failed.error or ""):
        assert secret not in shown
    assert "***" in (failed.error or "")


def test_placeholder_key_when_unset(fake_openai_server: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DELIB_UNSET_KEY", raising=False)
    server = fake_openai_server()
    backend(server, api_key_env="DELIB_UNSET_KEY").generate([HELLO], PARAMS)
    assert server.chat_requests[0].headers["authorization"] == "Bearer EMPTY"


def test_model_defaults_to_the_first_listed(fake_openai_server: Make) -> None:
    server = fake_openai_server(models=("served-a", "served-b"))
    chat = open_backend(f"openai:{server.url}")
    assert chat.model_id == f"openai:{server.url}#served-a"
    chat.generate([HELLO], PARAMS)
    assert server.chat_requests[0].body["model"] == "served-a"


def test_model_listing_failure_is_a_clear_error(fake_openai_server: Make, fake_openai: ModuleType) -> None:
    server = fake_openai_server(models=())
    with pytest.raises(ModelUnavailableError, match="lists no model; name one as openai:"):
        OpenAIBackend([server.url])


def test_unreachable_server_is_an_error_generation() -> None:
    chat = OpenAIBackend(["http://127.0.0.1:9/v1"], "m", max_retries=1, timeout_s=2, **FAST)
    [out] = chat.generate([HELLO], PARAMS)
    assert out.finish_reason == "error" and out.error is not None and "127.0.0.1:9" in out.error


def test_json_schema_is_sent(fake_openai_server: Make) -> None:
    server = fake_openai_server()
    schema = {"type": "object", "properties": {"score": {"type": "integer"}}}
    backend(server).generate([HELLO], PARAMS, json_schema=schema)
    sent = server.chat_requests[0].body["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["schema"] == schema


def test_json_schema_rejected_falls_back_once(fake_openai_server: Make, fake_openai: ModuleType) -> None:
    server = fake_openai_server([fake_openai.error_reply(400, "response_format unsupported")])
    chat = backend(server, concurrency=1)
    first, second = chat.generate([HELLO, HELLO], PARAMS, json_schema={"type": "object"})
    assert (first.text, second.text) == ("echo: hello", "echo: hello")
    bodies = [r.body for r in server.chat_requests]
    assert ["response_format" in b for b in bodies] == [True, False, False]


def test_length_finish_reason(fake_openai_server: Make, fake_openai: ModuleType) -> None:
    server = fake_openai_server([fake_openai.chat_reply("cut", finish_reason="length")])
    [out] = backend(server).generate([HELLO], PARAMS)
    assert out.finish_reason == "length"


def test_choice_probs_from_logprobs(fake_openai_server: Make, fake_openai: ModuleType) -> None:
    import math

    top = [("4", math.log(0.6)), (" 5", math.log(0.2)), ("{", math.log(0.1)), ("1", math.log(0.1))]
    server = fake_openai_server([fake_openai.chat_reply("4", top_logprobs=top)])
    [probs] = backend(server).choice_probs([HELLO], '{"score": ', ["1", "2", "3", "4", "5"])
    assert probs is not None and sum(probs.values()) == pytest.approx(1.0)
    assert probs["4"] == pytest.approx(0.6 / 0.9) and probs["2"] == 0.0
    sent = server.chat_requests[0].body
    assert sent["max_tokens"] == 1 and sent["logprobs"] is True and sent["top_logprobs"] == 20
    assert sent["messages"][-1]["content"].endswith('Answer starts with: {"score": ')


def test_choice_probs_none_without_logprobs(fake_openai_server: Make, fake_openai: ModuleType) -> None:
    server = fake_openai_server([fake_openai.chat_reply("4"), fake_openai.error_reply(404)])
    chat = backend(server, concurrency=1, max_retries=0)
    assert chat.choice_probs([HELLO, HELLO], "", ["4", "5"]) == [None, None]


def test_agenerate_inside_a_running_loop(fake_openai_server: Make) -> None:
    server = fake_openai_server()
    chat = backend(server)

    async def main() -> tuple[str, str]:
        [async_out] = await chat.agenerate([HELLO], PARAMS)
        [sync_out] = chat.generate([HELLO], PARAMS)  # sync API called from inside a loop
        return async_out.text, sync_out.text

    assert asyncio.run(main()) == ("echo: hello", "echo: hello")


def test_closed_backend_refuses(fake_openai_server: Make) -> None:
    server = fake_openai_server()
    with backend(server) as chat:
        pass
    with pytest.raises(BackendClosedError, match="is closed"):
        chat.generate([HELLO], PARAMS)


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_a_servers_reasoning_field_becomes_the_generations_reasoning(
        fake_openai_server: Make, fake_openai: ModuleType, field: str) -> None:
    server = fake_openai_server([fake_openai.chat_reply("The answer.", reasoning="I think `a.r1`.",
                                                        reasoning_field=field), fake_openai.chat_reply("Plain.")])
    chat = backend(server)
    [with_reasoning] = chat.generate([HELLO], PARAMS)  # one request at a time: the replies are scripted in order
    [without] = chat.generate([HELLO], PARAMS)
    assert (with_reasoning.text, with_reasoning.reasoning) == ("The answer.", "I think `a.r1`.")
    assert (without.text, without.reasoning) == ("Plain.", None)


def test_reasoning_requests_carry_the_options_reasoning_servers_read(fake_openai_server: Make) -> None:
    server = fake_openai_server()
    model = backend(server)
    model.generate([HELLO], PARAMS)
    model.generate([HELLO], PARAMS.model_copy(update={"reasoning": True}))
    model.generate([[*HELLO, {"role": "assistant", "content": "<think>"}]],
                   PARAMS.model_copy(update={"reasoning": True}))
    plain, thinking, prefilled = (r.body for r in server.chat_requests)
    assert "chat_template_kwargs" not in plain and "reasoning_format" not in plain
    assert thinking["chat_template_kwargs"]["enable_thinking"] is True
    assert thinking["include_reasoning"] is True and thinking["reasoning_format"] == "deepseek"
    assert prefilled["continue_final_message"] is True and prefilled["chat_template_kwargs"]["enable_thinking"]
