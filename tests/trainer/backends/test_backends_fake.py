"""FakeBackend: the scripted stand-in other packages test against."""

from __future__ import annotations

import pytest

from trainer.backends import BackendClosedError, BackendError, ChatMessage, FakeBackend, Generation, SamplingParams

Q: list[ChatMessage] = [{"role": "system", "content": "be kind"}, {"role": "user", "content": "how are you"}]
PARAMS = SamplingParams()


def test_echo_by_default() -> None:
    [g] = FakeBackend().generate([Q], PARAMS)
    assert (g.text, g.prompt_tokens, g.completion_tokens, g.finish_reason) == ("echo: how are you", 5, 4, "stop")


def test_fixed_text() -> None:
    assert [g.text for g in FakeBackend("same").generate([Q, Q], PARAMS)] == ["same", "same"]


def test_script_in_order_then_exhausted() -> None:
    scripted = Generation(text="", prompt_tokens=0, completion_tokens=0, finish_reason="error", error="down")
    backend = FakeBackend(["one", scripted])
    assert backend.generate([Q, Q], PARAMS) == [
        Generation(text="one", prompt_tokens=5, completion_tokens=1, finish_reason="stop"),
        scripted,
    ]
    with pytest.raises(BackendError, match="ran out of scripted responses after 2"):
        backend.generate([Q], PARAMS)


def test_callable_script_and_recorded_calls() -> None:
    backend = FakeBackend(lambda conv, params: conv[-1]["content"].upper())
    schema = {"type": "object"}
    [g] = backend.generate([Q], PARAMS, json_schema=schema)
    assert g.text == "HOW ARE YOU"
    [call] = backend.calls
    assert (call.method, call.params, call.json_schema, call.conversations) == ("generate", PARAMS, schema, (tuple(Q),))


@pytest.mark.parametrize(
    ("reply", "params", "text", "finish", "tokens"),
    [
        ("a b c d", SamplingParams(max_new_tokens=2), "a b", "length", 2),
        ("a b c d", SamplingParams(stop=(" c",)), "a b", "stop", 2),
        ("a b c", SamplingParams(max_new_tokens=3), "a b c", "stop", 3),
    ],
)
def test_limits_apply(reply: str, params: SamplingParams, text: str, finish: str, tokens: int) -> None:
    [g] = FakeBackend(reply).generate([Q], params)
    assert (g.text, g.finish_reason, g.completion_tokens) == (text, finish, tokens)


@pytest.mark.parametrize(
    ("probs", "expected"),
    [
        (None, {"1": 0.5, "2": 0.5}),
        ({"1": 3.0, "2": 1.0, "9": 5.0}, {"1": 0.75, "2": 0.25}),
        ({"9": 1.0}, None),
        (lambda conv, prefix, choices: None, None),
        (lambda conv, prefix, choices: {choices[-1]: 1.0}, {"1": 0.0, "2": 1.0}),
    ],
)
def test_choice_probs(probs: object, expected: dict[str, float] | None) -> None:
    backend = FakeBackend(probs=probs)  # type: ignore[arg-type]
    assert backend.choice_probs([Q], '{"score": ', ["1", "2"]) == [expected]
    assert backend.calls[-1].prefix == '{"score": ' and backend.calls[-1].choices == ("1", "2")


def test_closed_refuses() -> None:
    with FakeBackend() as backend:
        pass
    with pytest.raises(BackendClosedError):
        backend.generate([Q], PARAMS)
    with pytest.raises(BackendClosedError):
        backend.choice_probs([Q], "", ["a"])
