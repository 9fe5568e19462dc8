"""open_backend: spec strings to backends, and errors that list what is accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.backends import FakeBackend, ModelAddressError, ModelUnavailableError, open_backend


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("nonsense", "no such model folder"),
        ("embedded:extra", "unknown address"),
        ("hf:", "hf: needs a folder"),
        ("openai:", "needs one or more base URLs"),
        ("openai:http://a/v1,,http://b/v1#m", "needs one or more base URLs"),
        ("openai:localhost:8000/v1#m", "must start with http:// or https://"),
    ],
)
def test_bad_specs_list_the_accepted_forms(spec: str, why: str) -> None:
    with pytest.raises(ModelAddressError) as info:
        open_backend(spec)
    message = str(info.value)
    assert f"invalid model address {spec!r}" in message and why in message
    for form in ("embedded", "hf:PATH", "openai:BASE_URL[#MODEL]", "openai:URL1,URL2#MODEL"):
        assert form in message


def test_spec_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        open_backend("nonsense")


def test_unknown_option_is_named_with_the_accepted_ones() -> None:
    with pytest.raises(ModelAddressError, match=r"takes no option 'batchsize'; accepted options: .*batch_size"):
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


def test_one_parser_reads_every_address_form(tmp_path: Path) -> None:
    from trainer.backends import RUN_FINAL, RUN_MANIFEST, parse_address
    from trainer.generation import expected_model_id

    run = tmp_path / "run"
    (run / RUN_FINAL).mkdir(parents=True)
    (run / RUN_MANIFEST).write_text("{}")
    assert parse_address("embedded").kind == "embedded" and parse_address(" fake ").text == "fake"
    served = parse_address("openai:http://a/v1, http://b/v1#m")
    assert (served.kind, served.urls, served.model) == ("openai", ("http://a/v1", "http://b/v1"), "m")
    for text in (f"hf:{run}", str(run)):  # a run folder, with or without hf:, reads its final model
        address = parse_address(text)
        assert (address.kind, address.model_folder) == ("hf", run / RUN_FINAL)
        assert expected_model_id(text) == f"hf:{(run / RUN_FINAL).resolve()}"
    assert parse_address(f"hf:{tmp_path}").model_folder == tmp_path
