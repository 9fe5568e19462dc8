"""Query and labelled files: JSONL and CSV, and the errors for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.retrieval import QueryFileError, read_labeled, read_prompts


@pytest.mark.parametrize(("name", "content", "prompts"), [
    ("q.jsonl", '{"prompt": "a"}\n\n{"prompt": "b", "id": 3}\n', ["a", "b"]),
    ("q.json", '{"prompt": "é ünïcode"}\n', ["é ünïcode"]),
    ("q.csv", 'id,prompt\n1,"hello, world"\n2,"multi\nline"\n', ["hello, world", "multi\nline"]),
    ("q.CSV", "\ufeffprompt\nx\n", ["x"]),
])
def test_read_prompts(tmp_path: Path, name: str, content: str, prompts: list[str]) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert read_prompts(path) == prompts


@pytest.mark.parametrize(("name", "content", "message"), [
    ("q.jsonl", '{"prompt": "a"}\n{"prompt": \n', r"q.jsonl:2: not JSON \(.* at column \d+\)"),
    ("q.jsonl", '["a"]\n', r"q.jsonl:1: not a JSON object \(a list\)"),
    ("q.jsonl", '{"text": "a"}\n', r"q.jsonl: no column 'prompt' or 'messages' \(columns: text\)"),
    ("q.jsonl", '{"prompt": 3}\n', r"q.jsonl:1: `prompt` must be text or a non-empty list of "
                r"\{role, content\} turns, got int '3'"),
    ("q.jsonl", "\n\n", "no prompts in the file"),
    ("q.csv", "id,text\n1,a\n", r"q.csv: no column 'prompt' or 'messages' \(columns: id, text\)"),
    ("q.csv", 'prompt\n""\n', "q.csv:2: `prompt` is empty"),
])
def test_bad_query_files(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(QueryFileError, match=message):
        read_prompts(path)


def test_missing_binary_and_folder(tmp_path: Path) -> None:
    with pytest.raises(QueryFileError, match="no such file"):
        read_prompts(tmp_path / "nope.jsonl")
    with pytest.raises(QueryFileError, match="is a folder"):
        read_prompts(tmp_path)
    (tmp_path / "b.jsonl").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(QueryFileError, match="not UTF-8"):
        read_prompts(tmp_path / "b.jsonl")


def test_read_labeled_needs_both_fields(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    path.write_text('{"prompt": "a", "category": "locks"}\n', encoding="utf-8")
    assert read_labeled(path)[0].category == "locks"
    path.write_text('{"prompt": "a"}\n', encoding="utf-8")
    with pytest.raises(QueryFileError, match="l.jsonl:1: no `category`"):
        read_labeled(path)
