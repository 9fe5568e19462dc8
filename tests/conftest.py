"""Shared pytest fixtures."""

from __future__ import annotations

# ----------------------------------------------------------------------------------------------------------------
# Model backends (trainer.backends): a tiny random chat model, the embedded model's cache, a fake OpenAI server.
# ----------------------------------------------------------------------------------------------------------------
import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


def _share_cpus() -> None:
    """Divide the cores among pytest-xdist workers before torch starts its thread pool.

    Two workers (or a worker and the `delib` subprocess it runs) each spinning two OpenMP threads on two
    cores run 5-10x slower than one thread each. `OMP_NUM_THREADS` is inherited by subprocesses too.
    """
    import os

    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if workers > 1 and "OMP_NUM_THREADS" not in os.environ:
        os.environ["OMP_NUM_THREADS"] = str(max(1, cores // workers))
    if "torch" in sys.modules and "OMP_NUM_THREADS" in os.environ:
        sys.modules["torch"].set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


_share_cpus()


@pytest.fixture(scope="session")
def delib_model_cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where tests keep converted copies of the embedded model: pytest's cache dir, which outlives a session.

    Converting the GGUF file takes ~10-30 s; derived files are immutable, so they are kept between runs.
    """
    cache = getattr(request.config, "cache", None)  # absent under `-p no:cacheprovider`
    if cache is None:
        return tmp_path_factory.mktemp("delib-cache")
    return Path(cache.mkdir("deliberative-models"))


@pytest.fixture(scope="session")
def smollm2_tokenizer_dir(delib_model_cache: Path) -> Path:
    """A transformers folder with the SmolLM2 tokenizer (and chat template) taken from the embedded GGUF."""
    from trainer.backends import ModelUnavailableError, embedded_tokenizer_dir

    try:
        return embedded_tokenizer_dir(delib_model_cache)
    except ModelUnavailableError as exc:
        pytest.skip(f"embedded model unavailable: {exc}")


@pytest.fixture(scope="session")
def torch_cpu_share() -> int:
    """Torch CPU threads for this process (see `_share_cpus`)."""
    import torch

    return int(torch.get_num_threads())


@pytest.fixture(scope="session")
def tiny_model_dir(smollm2_tokenizer_dir: Path, tmp_path_factory: pytest.TempPathFactory, torch_cpu_share: int) -> Path:
    """A 2-layer random `LlamaForCausalLM` (hidden 64) with the SmolLM2 tokenizer; open it as `hf:<dir>`."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(smollm2_tokenizer_dir, local_files_only=True)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        num_attention_heads=4,
        num_key_value_heads=4,
        intermediate_size=128,
        num_hidden_layers=2,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = LlamaForCausalLM(config)
    out = tmp_path_factory.mktemp("tiny-llama")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def _load_fake_openai_server() -> ModuleType:
    # tests/ is not a package, so the helper module is loaded by path once and shared through sys.modules.
    name = "fake_openai_server"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / "trainer" / "fake_openai_server.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture
def fake_openai() -> ModuleType:
    """The `tests/trainer/fake_openai_server.py` module (reply builders and `FakeOpenAIServer`)."""
    return _load_fake_openai_server()


@pytest.fixture
def fake_openai_server(fake_openai: ModuleType) -> Iterator[Callable[..., Any]]:
    """A factory `make(script=(), models=("fake-model",))` of started fake servers, stopped after the test."""
    started: list[Any] = []

    def make(script: Any = (), models: Any = ("fake-model",)) -> Any:
        server = fake_openai.FakeOpenAIServer(script=script, models=models).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


# ----------------------------------------------------------------------------------------------------------------
# End of the model backends block.
# ----------------------------------------------------------------------------------------------------------------


@pytest.fixture
def delib_cli(monkeypatch: pytest.MonkeyPatch,
              capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run the real `delib` entry point (its error mapping included) in-process: `(exit code, stdout, stderr)`."""
    from trainer.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["delib", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
