"""The stored index: round trip, corruption, staleness and incremental rebuilds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from compiler.retrieval import RetrievalIndexError, build_index, load_index, open_index, save_index
from compiler.retrieval._index import FAISS_FILE, META_FILE, VECTORS_FILE
from spec_lang import load
from tests.compiler.retrieval.retrieval_helpers import FakeEmbedder, edited_copy, tiny_spec


def test_round_trip(tmp_path: Path) -> None:
    index, embedded = build_index(tiny_spec(), FakeEmbedder())
    save_index(index, tmp_path / "idx")
    again = load_index(tmp_path / "idx")
    assert again.meta == index.meta
    assert np.array_equal(again.vectors, index.vectors)
    assert again.faiss_index.ntotal == len(index.meta.units) == embedded
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]  # no temporary folder left behind


def test_saving_over_an_existing_index_replaces_it(tmp_path: Path) -> None:
    index, _ = build_index(tiny_spec(), FakeEmbedder())
    save_index(index, tmp_path / "idx")
    save_index(index, tmp_path / "idx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]
    assert load_index(tmp_path / "idx").meta == index.meta


@pytest.mark.parametrize(("file", "damage", "message"), [
    (META_FILE, b"{not json", "corrupt or unreadable"),
    (META_FILE, b'{"format": 1}', "corrupt or unreadable"),
    (FAISS_FILE, b"garbage", "corrupt or unreadable"),
    (VECTORS_FILE, b"garbage", "corrupt or unreadable"),
])
def test_corrupt_index_is_a_clear_error(tmp_path: Path, file: str, damage: bytes, message: str) -> None:
    index, _ = build_index(tiny_spec(), FakeEmbedder())
    save_index(index, tmp_path / "idx")
    (tmp_path / "idx" / file).write_bytes(damage)
    with pytest.raises(RetrievalIndexError, match=message) as info:
        load_index(tmp_path / "idx")
    assert str(tmp_path / "idx") in str(info.value) and "delib index" in str(info.value)


def test_mismatched_row_count_is_corrupt(tmp_path: Path) -> None:
    index, _ = build_index(tiny_spec(), FakeEmbedder())
    save_index(index, tmp_path / "idx")
    np.save(tmp_path / "idx" / VECTORS_FILE, index.vectors[:2], allow_pickle=False)
    with pytest.raises(RetrievalIndexError, match="corrupt: 17 units"):
        load_index(tmp_path / "idx")


def test_not_an_index_folder(tmp_path: Path) -> None:
    with pytest.raises(RetrievalIndexError, match="not an index folder"):
        load_index(tmp_path)


def test_open_index_builds_then_loads(tmp_path: Path) -> None:
    fake = FakeEmbedder()
    _, first = open_index(tiny_spec(), fake, tmp_path / "idx")
    assert first.built and first.embedded == first.total
    _, second = open_index(tiny_spec(), fake, tmp_path / "idx")
    assert not second.built and second.reason == "up to date"
    assert fake.calls == 1


def test_corrupt_index_is_rebuilt_by_open_index(tmp_path: Path) -> None:
    open_index(tiny_spec(), FakeEmbedder(), tmp_path / "idx")
    (tmp_path / "idx" / FAISS_FILE).write_bytes(b"garbage")
    heard: list[str] = []
    index, report = open_index(tiny_spec(), FakeEmbedder(), tmp_path / "idx", notify=heard.append)
    assert report.built and "corrupt" in report.reason and heard
    assert load_index(tmp_path / "idx").meta == index.meta


def test_other_revision_rebuilds_only_changed_units(tmp_path: Path) -> None:
    fake = FakeEmbedder()
    open_index(tiny_spec(), fake, tmp_path / "idx")
    fake.texts.clear()
    edited = load(str(edited_copy(tmp_path, "Why are the leaves on my tomato plants turning yellow?",
                                  "Why do my tomato plants have brown spots?"))).spec
    _, report = open_index(edited, fake, tmp_path / "idx")
    assert report.built and "spec revision" in report.reason
    assert report.embedded == 1 and fake.texts == ["Why do my tomato plants have brown spots?"]
    meta = json.loads((tmp_path / "idx" / META_FILE).read_text())
    assert "Why do my tomato plants have brown spots?" in [u["text"] for u in meta["units"]]


def test_other_model_re_embeds_everything(tmp_path: Path) -> None:
    open_index(tiny_spec(), FakeEmbedder(), tmp_path / "idx")
    other = FakeEmbedder(dim=128, model_id="fake:bow-128")
    index, report = open_index(tiny_spec(), other, tmp_path / "idx")
    assert report.built and "embedding model" in report.reason
    assert report.embedded == report.total and index.meta.dim == 128


def test_spec_without_categories_is_refused() -> None:
    from spec_lang import parse

    spec = parse("---\nid: x\ntitle: X\n---\n\n# Overview {#overview}\n\nNothing here.\n", "x.md").spec
    with pytest.raises(RetrievalIndexError, match="no retrievable category"):
        build_index(spec, FakeEmbedder())


def test_an_unwritable_index_folder_is_a_clear_error(tmp_path: Path) -> None:
    from compiler.retrieval._model_cache import cached_model
    from spec_lang.errors import OutputError

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    index, _ = build_index(tiny_spec(), FakeEmbedder())
    with pytest.raises(OutputError, match="cannot write") as caught:
        save_index(index, blocker / "index")
    assert caught.value.path == blocker / "index" and caught.value.reason == f"{blocker} is a file, not a folder"
    trained: list[Path] = []
    with pytest.raises(OutputError, match="cannot write"):  # refused before any training starts
        cached_model(blocker / "tuned", "key", "meta.json", lambda folder: trained.append(folder) or {})
    assert trained == []
