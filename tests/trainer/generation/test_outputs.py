"""The outputs of a run as one set: a kill while they are moved into place never shows `data.jsonl` without
the rest, training refuses a torn set, and the next run removes what a killed one left behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.trainer.generation.gen_helpers import candidates, data, run
from trainer.training import DataError, load_sft_data

OUTPUTS = ("data.jsonl", "candidates.jsonl", "pairs.jsonl", "dataset", "README.md")


def _kill_after_placing(monkeypatch: pytest.MonkeyPatch, out: Path, count: int) -> None:
    """`os.replace` raises KeyboardInterrupt right after the `count`-th output is put in place in `out`."""
    real = os.replace
    placed: list[str] = []

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        real(src, dst)
        target = Path(dst)
        if target.parent == out and target.name in OUTPUTS:
            placed.append(target.name)
            if len(placed) == count:
                raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5])
def test_a_kill_while_placing_the_outputs_never_shows_a_torn_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 count: int) -> None:
    out = tmp_path / "gen"
    with monkeypatch.context() as patch:
        _kill_after_placing(patch, out, count)
        with pytest.raises(KeyboardInterrupt):
            run(out)
    present = {name for name in OUTPUTS if (out / name).exists()}
    assert "data.jsonl" not in present or present == set(OUTPUTS)
    with pytest.raises(DataError, match="incomplete"):
        load_sft_data(out)
    report = run(out)
    assert report.to_generate == 0 and {name for name in OUTPUTS if (out / name).exists()} == set(OUTPUTS)
    assert len(data(out)) == 3 and len(candidates(out)) == 6 and len(load_sft_data(out)[0]) == 3
    assert sorted(p.name for p in out.iterdir()) == sorted([*OUTPUTS, ".work"])


def test_the_next_run_removes_what_a_killed_run_left(tmp_path: Path) -> None:
    run(tmp_path)
    leftovers = [tmp_path / ".dataset.tmp-x1y2", tmp_path / ".dataset.old-4242", tmp_path / ".outputs.tmp-abc"]
    for folder in leftovers:
        (folder / "train").mkdir(parents=True)
        (folder / "train" / "data-00000-of-00001.arrow").write_bytes(b"partial")
    files = [tmp_path / ".data.jsonl.4242.tmp", tmp_path / ".candidates.jsonl.k2j3.tmp",
             tmp_path / ".README.md.77.tmp", tmp_path / ".work" / ".candidates.log.jsonl.4242.tmp",
             tmp_path / ".work" / ".routes.jsonl.a1b2.tmp"]
    for file in files:
        file.write_text("partial copy\n")
    (tmp_path / "notes.txt").write_text("mine\n")
    run(tmp_path)
    assert [p for p in [*leftovers, *files] if p.exists()] == []
    assert (tmp_path / "notes.txt").read_text() == "mine\n" and len(data(tmp_path)) == 3
