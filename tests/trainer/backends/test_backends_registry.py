"""open_backend: spec strings to backends, and errors that list what is accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.backends import BackendSpecError, FakeBackend, ModelUnavailableError, open_backend


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("nonsense", "unknown backend"),
        ("embedded:extra", "unknown backend"),
        ("hf:", "hf: needs a folder"),
        ("openai:", "needs one or more base URLs"),
        ("openai:http://a/v1,,http://b/v1#m", "needs one or more base URLs"),
        ("openai:localhost:8000/v1#m", "must start with http:// or https://"),
    ],
)
def test_bad_specs_list_the_accepted_forms(spec: str, why: str) -> None:
    with pytest.raises(BackendSpecError) as info:
        open_backend(spec)
    message = str(info.value)
    assert f"invalid backend spec {spec!r}" in message and why in message
    for form in ("embedded", "hf:PATH", "openai:BASE_URL[#MODEL]", "openai:URL1,URL2#MODEL"):
        assert form in message


def test_spec_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        open_backend("nonsense")


def test_unknown_option_is_named_with_the_accepted_ones() -> None:
    with pytest.raises(BackendSpecError, match=r"takes no option 'batchsize'; accepted options: .*batch_size"):
        open_backend("hf:/nowhere", batchsize=4)


def test_fake_spec() -> None:
    backend = open_backend("fake", model_id="fake:test")
    assert isinstance(backend, FakeBackend) and backend.model_id == "fake:test"


def test_missing_hf_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="does not exist; pass hf:PATH"):
        open_backend(f"hf:{tmp_path / 'missing'}")


def test_openai_spec_with_several_urls_and_model() -> None:
    backend = open_backend("openai: http://a:1/v1 , http://b:2/v1/ #my-model")
    assert backend.model_id == "openai:http://a:1/v1,http://b:2/v1#my-model"
