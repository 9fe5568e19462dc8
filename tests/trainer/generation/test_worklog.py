"""The work log: durable appends, torn tails, last record wins, compaction; the folder lock."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from trainer.generation import WorkLog, WorkLogError
from trainer.generation._worklog import WorkDirLock


class Item(BaseModel):
    key: str
    value: int


def log(tmp_path: Path) -> WorkLog[Item]:
    return WorkLog(tmp_path / "w" / "log.jsonl", Item, lambda i: i.key)


def test_append_and_load_last_wins(tmp_path: Path) -> None:
    work = log(tmp_path)
    assert work.load() == {}
    work.append([Item(key="a", value=1), Item(key="b", value=2)])
    work.append([Item(key="a", value=3)])
    assert work.load() == {"a": Item(key="a", value=3), "b": Item(key="b", value=2)}
    work.compact(work.load().values())
    assert len(work.path.read_text().splitlines()) == 2


def test_torn_tail_is_cut_and_appends_start_on_a_new_line(tmp_path: Path) -> None:
    work = log(tmp_path)
    work.append([Item(key="a", value=1)])
    with work.path.open("ab") as handle:
        handle.write(b'{"key": "b", "val')
    assert set(work.load()) == {"a"} and work.skipped == 1
    work.append([Item(key="c", value=3)])
    assert set(work.load()) == {"a", "c"} and work.skipped == 0


def test_unreadable_middle_line_is_skipped(tmp_path: Path) -> None:
    work = log(tmp_path)
    work.path.parent.mkdir()
    work.path.write_text('{"key": "a", "value": 1}\n{"key": 5}\n{"key": "c", "value": 3}\n')
    assert set(work.load()) == {"a", "c"} and work.skipped == 1


def test_load_without_repair_leaves_the_file(tmp_path: Path) -> None:
    work = log(tmp_path)
    work.path.parent.mkdir()
    work.path.write_bytes(b'{"key": "a", "value": 1}\n{"k')
    work.load(repair=False)
    assert work.path.read_bytes().endswith(b'{"k')


def test_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    lock = WorkDirLock(tmp_path / ".work")
    with lock, pytest.raises(WorkLogError, match="another `delib generate` is writing"), WorkDirLock(lock.path.parent):
        pass
    with WorkDirLock(tmp_path / ".work"):
        pass
