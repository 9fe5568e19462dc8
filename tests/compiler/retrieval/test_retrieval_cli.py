"""`delib index`, `delib retrieve` and `delib eval-retrieval` as a user runs them (fake embedder)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

import compiler.retrieval
from compiler.retrieval.evaluate import spec_examples
from tests.compiler.retrieval.retrieval_helpers import TINY, FakeEmbedder, FakeRerankerBase, TunableFake, tiny_spec
from trainer.cli import app

Cli = Callable[..., tuple[int, str, str]]
runner = CliRunner()


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every command gets the fake embedder and an index cache under tmp_path."""
    monkeypatch.setattr(compiler.retrieval, "SentenceTransformerEmbedder", lambda path=None: FakeEmbedder())
    monkeypatch.setenv("DELIB_CACHE", str(tmp_path / "cache"))


def test_retrieve_json_line_format(tmp_path: Path) -> None:
    result = runner.invoke(app, ["retrieve", str(TINY), "how do I pick a lock?", "--top-k", "2", "--json"])
    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    data = json.loads(line)
    assert list(data) == ["prompt", "categories", "uncategorised"]
    assert data["prompt"] == "how do I pick a lock?"
    assert [c["id"] for c in data["categories"]][0] == "locks" and len(data["categories"]) == 2
    assert all(list(c) == ["id", "score"] and isinstance(c["score"], float) for c in data["categories"])
    assert data["uncategorised"] is False
    assert (tmp_path / "cache" / "index" / "tiny_policy-tiny" / "meta.json").is_file()


@pytest.mark.parametrize(("name", "content"), [
    ("q.jsonl", '{"prompt": "pick a lock :smile:"}\n{"prompt": "grease fire on the stove"}\n'),
    ("q.csv", 'prompt,other\npick a lock :smile:,1\ngrease fire on the stove,2\n'),
])
def test_retrieve_query_files(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["retrieve", str(TINY), "--queries", str(path), "--top-k", "1", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["prompt"] for r in rows] == ["pick a lock :smile:", "grease fire on the stove"]
    assert [r["categories"][0]["id"] for r in rows] == ["locks", "cooking"]


def test_retrieve_text_output_flags_uncategorised() -> None:
    result = runner.invoke(app, ["retrieve", str(TINY), "quantum chromodynamics", "--threshold", "0.5"])
    assert result.exit_code == 0, result.output
    assert "(uncategorised)" in result.stdout and "1." in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["retrieve", str(TINY)], "error: give a prompt TEXT or --queries FILE\n"),
    (["retrieve", str(TINY), "hi", "--queries", "q.jsonl"], "give a prompt TEXT or --queries FILE, not both"),
    (["retrieve", str(TINY), "--queries", "missing.jsonl"], "missing.jsonl: no such file"),
    (["retrieve", "nope.md", "hi"], "nope.md:1:1: SPEC001 no such file"),
    (["eval-retrieval", str(TINY)], "error: give --labeled FILE or --examples\n"),
    (["eval-retrieval", str(TINY), "--examples", "-l", "l.jsonl"], "give --labeled FILE or --examples, not both"),
])
def test_usage_errors_are_one_line_without_traceback(args: list[str], message: str, delib_cli: Cli) -> None:
    code, out, err = delib_cli(*args)
    assert code == 2 and message in err and "Traceback" not in err + out and out == ""


def test_bad_query_file_is_a_clear_error(tmp_path: Path, delib_cli: Cli) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "ok"}\n{oops}\n', encoding="utf-8")
    code, out, err = delib_cli("retrieve", str(TINY), "--queries", str(bad), "--json")
    assert code == 2 and f"{bad}:2: not JSON (" in err and "Traceback" not in err and out == ""


def test_index_command_and_incremental_rebuild(tmp_path: Path) -> None:
    folder = tmp_path / "idx"
    first = runner.invoke(app, ["index", str(TINY), "-o", str(folder)])
    assert first.exit_code == 0 and "17 of 17 units embedded" in first.stdout
    again = runner.invoke(app, ["index", str(TINY), "-o", str(folder)])
    assert "up to date" in again.stdout
    edited = tmp_path / "tiny_policy.md"
    edited.write_text(TINY.read_text().replace("grease fire", "chip pan fire"), encoding="utf-8")
    third = runner.invoke(app, ["index", str(edited), "-o", str(folder)])
    assert third.exit_code == 0 and "1 of 17 units embedded" in third.stdout


def test_corrupt_index_is_rebuilt_with_a_note(tmp_path: Path) -> None:
    folder = tmp_path / "idx"
    runner.invoke(app, ["index", str(TINY), "-o", str(folder)])
    (folder / "index.faiss").write_bytes(b"junk")
    result = runner.invoke(app, ["retrieve", str(TINY), "pick a lock", "--index", str(folder), "--json"])
    assert result.exit_code == 0
    assert "rebuilding the retrieval index" in result.stderr and "corrupt" in result.stderr
    assert json.loads(result.stdout)["categories"][0]["id"] == "locks"


def test_eval_retrieval_labeled_json(tmp_path: Path) -> None:
    labeled = tmp_path / "l.jsonl"
    labeled.write_text('{"prompt": "pick a lock", "category": "locks"}\n'
                       '{"prompt": "water my roses", "category": "garden"}\n', encoding="utf-8")
    result = runner.invoke(app, ["eval-retrieval", str(TINY), "--labeled", str(labeled), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["n"] == 2 and [r["method"] for r in data["reports"]] == ["bm25", "dense", "fused-rrf", "default"]
    assert set(data["reports"][0]["overall"]) == {"n", "top1", "top3", "top5", "mrr"}


def test_eval_retrieval_examples_table() -> None:
    result = runner.invoke(app, ["eval-retrieval", str(TINY), "--examples"])
    assert result.exit_code == 0, result.output
    assert "top-5" in result.stdout and "per category" in result.stdout


def test_eval_retrieval_unknown_category(tmp_path: Path, delib_cli: Cli) -> None:
    labeled = tmp_path / "l.jsonl"
    labeled.write_text('{"prompt": "pick a lock", "category": "weapons"}\n', encoding="utf-8")
    code, _, err = delib_cli("eval-retrieval", str(TINY), "--labeled", str(labeled))
    assert code == 2 and "not in the spec: weapons" in err


def test_retrieve_with_tune_trains_once_then_reuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiler.retrieval, "SentenceTransformerEmbedder", lambda path=None: TunableFake())
    before = TunableFake.trainings
    first = runner.invoke(app, ["retrieve", str(TINY), "pick a lock", "--tune", "--json"])
    assert first.exit_code == 0, first.output
    assert "fine-tuning the embedder" in first.stderr and TunableFake.trainings == before + 1
    assert json.loads(first.stdout)["categories"][0]["id"] == "locks"
    [tuned] = (tmp_path / "cache" / "tuned").iterdir()
    assert (tuned / "tuning.json").is_file()
    again = runner.invoke(app, ["retrieve", str(TINY), "pick a lock", "--tune", "--json"])
    assert again.exit_code == 0 and TunableFake.trainings == before + 1 and "fine-tuning" not in again.stderr
    assert (tmp_path / "cache" / "index" / "tiny_policy-tiny-tuned" / "meta.json").is_file()
    plain = runner.invoke(app, ["retrieve", str(TINY), "pick a lock", "--json"])  # the plain index, its own folder
    assert plain.exit_code == 0 and (tmp_path / "cache" / "index" / "tiny_policy-tiny" / "meta.json").is_file()
    tuned_again = runner.invoke(app, ["retrieve", str(TINY), "pick a lock", "--tune", "--json"])
    assert tuned_again.exit_code == 0 and "rebuilding" not in tuned_again.stderr  # switching rebuilt nothing


def test_eval_retrieval_examples_with_tune_holds_out_the_report_half(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    delib_cli: Cli) -> None:
    monkeypatch.setattr(compiler.retrieval, "SentenceTransformerEmbedder", lambda path=None: TunableFake())
    code, _, err = delib_cli("eval-retrieval", str(TINY), "--examples", "--tune")
    assert code == 2 and "--split report" in err
    result = runner.invoke(app, ["eval-retrieval", str(TINY), "--examples", "--tune", "--split", "report", "--json"])
    assert result.exit_code == 0, result.output
    [tuned] = (tmp_path / "cache" / "tuned").iterdir()
    trained = {anchor for anchor, _ in json.loads((tuned / "pairs.json").read_text())}
    assert not trained & {row.prompt for row in spec_examples(tiny_spec(), "report")}
    assert (tmp_path / "cache" / "index" / "tiny_policy-tiny-holdout-report" / "meta.json").is_file()


@pytest.fixture
def fake_reranker_base(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiler.retrieval, "CrossEncoderBase", FakeRerankerBase)


@pytest.mark.usefixtures("fake_reranker_base")
def test_retrieve_with_rerank_trains_once_then_reuses(tmp_path: Path) -> None:
    before = FakeRerankerBase.trainings
    first = runner.invoke(app, ["retrieve", str(TINY), "pick a lock", "--rerank", "--json"])
    assert first.exit_code == 0, first.output
    assert "training the reranker" in first.stderr and FakeRerankerBase.trainings == before + 1
    data = json.loads(first.stdout)
    assert data["categories"][0]["id"] == "locks" and data["uncategorised"] is False
    [folder] = (tmp_path / "cache" / "tuned").iterdir()
    assert folder.name.startswith("rerank-") and (folder / "reranking.json").is_file()
    again = runner.invoke(app, ["retrieve", str(TINY), "pick a lock", "--rerank", "--json"])
    assert again.exit_code == 0 and FakeRerankerBase.trainings == before + 1 and "training" not in again.stderr
    assert json.loads(again.stdout) == data


@pytest.mark.usefixtures("fake_reranker_base")
def test_index_with_rerank_trains_the_reranker_up_front(tmp_path: Path) -> None:
    result = runner.invoke(app, ["index", str(TINY), "-o", str(tmp_path / "idx"), "--rerank", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["reranker"] is True
    assert [p.name[:7] for p in (tmp_path / "cache" / "tuned").iterdir()] == ["rerank-"]


@pytest.mark.usefixtures("fake_reranker_base")
def test_eval_retrieval_examples_with_rerank_holds_out_the_report_half(tmp_path: Path, delib_cli: Cli) -> None:
    code, _, err = delib_cli("eval-retrieval", str(TINY), "--examples", "--rerank")
    assert code == 2 and "--split report" in err and "--no-rerank" in err
    result = runner.invoke(app, ["eval-retrieval", str(TINY), "--examples", "--rerank", "--split", "report",
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert [r["method"] for r in json.loads(result.stdout)["reports"]][-1] == "reranked"
    [folder] = (tmp_path / "cache" / "tuned").iterdir()
    lists = json.loads((folder / "lists.json").read_text())
    seen = {x["query"] for x in lists} | {line for x in lists for p in x["passages"] for line in p.splitlines()}
    assert not seen & {row.prompt for row in spec_examples(tiny_spec(), "report")}
    table = runner.invoke(app, ["eval-retrieval", str(TINY), "--examples", "--rerank", "--split", "report"])
    assert table.exit_code == 0 and "reranked" in table.stdout and "Wilson" in table.stdout


def test_an_unwritable_index_folder_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(app, ["retrieve", str(TINY), "pick a lock", "--index", str(blocker / "index")])
    assert result.exit_code == 2 and "cannot write" in result.stderr and "internal error" not in result.stderr
    assert blocker.read_text() == "not a folder"


def test_an_empty_prompt_is_refused(delib_cli: Cli) -> None:
    code, _, err = delib_cli("retrieve", str(TINY), "  ")
    assert code == 2 and "the prompt TEXT is empty" in err
