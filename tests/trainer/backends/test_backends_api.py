"""The public surface of trainer.backends: curated exports, frozen value types, protocol conformance."""

from __future__ import annotations

import subprocess
import sys

import pydantic
import pytest

import trainer.backends as backends
from trainer.backends import ChatBackend, FakeBackend, Generation, OpenAIBackend, SamplingParams, TransformersBackend


def test_all_is_complete_and_resolvable() -> None:
    assert sorted(backends.__all__, key=str.lower) == sorted(set(backends.__all__), key=str.lower)
    for name in backends.__all__:
        assert getattr(backends, name) is not None
    public = {n for n in vars(backends) if not n.startswith("_") and n not in {"annotations", "fake"}}
    assert public == set(backends.__all__)


def test_import_loads_no_model_library() -> None:
    code = "import sys, trainer.backends; print(sorted({'torch', 'transformers', 'openai'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("cls", [TransformersBackend, OpenAIBackend, FakeBackend])
def test_backends_follow_the_protocol(cls: type) -> None:
    for member in ("generate", "choice_probs", "close"):
        assert callable(getattr(cls, member))
    assert isinstance(FakeBackend(), ChatBackend)


def test_sampling_params_defaults_and_freezing() -> None:
    params = SamplingParams()
    assert (params.temperature, params.top_p, params.max_new_tokens, params.seed, params.stop) == (
        0.7,
        0.95,
        256,
        None,
        (),
    )
    with pytest.raises(pydantic.ValidationError):
        params.temperature = 0.1  # type: ignore[misc]
    assert SamplingParams(stop=["a", "b"]).stop == ("a", "b")


@pytest.mark.parametrize(
    "bad",
    [{"temperature": -0.1}, {"top_p": 0.0}, {"top_p": 1.5}, {"max_new_tokens": 0}, {"unknown": 1}],
)
def test_sampling_params_reject_bad_values(bad: dict[str, object]) -> None:
    with pytest.raises(pydantic.ValidationError):
        SamplingParams(**bad)


def test_generation_is_frozen_and_closed() -> None:
    g = Generation(text="x", prompt_tokens=1, completion_tokens=1, finish_reason="stop")
    assert g.error is None
    with pytest.raises(pydantic.ValidationError):
        Generation(text="x", prompt_tokens=1, completion_tokens=1, finish_reason="timeout")
    with pytest.raises(pydantic.ValidationError):
        g.text = "y"  # type: ignore[misc]


@pytest.mark.parametrize(("finish", "error"), [("error", None), ("stop", "oops")])
def test_generation_error_iff_failed(finish: str, error: str | None) -> None:
    with pytest.raises(pydantic.ValidationError, match="exactly when finish_reason is 'error'"):
        Generation(text="", prompt_tokens=0, completion_tokens=0, finish_reason=finish, error=error)
