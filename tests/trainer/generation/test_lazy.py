"""`LazyBackend`: spec strings checked up front, model ids known without loading, opened on first use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trainer.backends import ChatBackend, FakeBackend, ModelAddressError, OpenAIBackend, SamplingParams, open_backend
from trainer.generation import LazyBackend, check_address, expected_model_id


@pytest.mark.parametrize("spec", ["gpt4", "hf:", "openai:", "embedded:x", "fake:y", ""])
def test_bad_specs_are_refused_listing_the_forms(spec: str) -> None:
    with pytest.raises(ModelAddressError, match="accepted forms:\n  embedded"):
        check_address(spec)


def test_expected_ids_match_the_backends() -> None:
    assert expected_model_id("fake") == FakeBackend().model_id
    url = "http://127.0.0.1:9/v1"
    assert expected_model_id(f"openai:{url}/#m") == OpenAIBackend([url], "m").model_id
    assert expected_model_id(f"openai:{url}") is None


def test_hf_expected_id_matches(tiny_model_dir: Path) -> None:
    backend = open_backend(f"hf:{tiny_model_dir}")
    assert expected_model_id(f"hf:{tiny_model_dir}") == backend.model_id


def test_opens_on_first_model_call_only() -> None:
    opened: list[str] = []

    def opener(spec: str, **options: Any) -> ChatBackend:
        opened.append(spec)
        return FakeBackend("hi")

    lazy = LazyBackend("fake", opener=opener)
    assert lazy.model_id == "fake" and not lazy.opened and opened == []
    lazy.close()
    assert lazy.generate([[{"role": "user", "content": "x"}]], SamplingParams())[0].text == "hi"
    assert lazy.choice_probs([[{"role": "user", "content": "x"}]], "", ["a"]) == [{"a": 1.0}]
    assert opened == ["fake"] and lazy.opened
