"""`--llm-rerank MODEL`: a chat model reorders each prompt's best categories (fake embedder, fake OpenAI server)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import compiler.retrieval
from compiler.retrieval import Candidate
from compiler.retrieval._fusion import NEG
from compiler.retrieval._listwise import reorder
from tests.compiler.retrieval.retrieval_helpers import TINY, FakeEmbedder
from trainer.cli import app
from trainer.llm_rerank import conversation, parse_ranking, ranking_scores

runner = CliRunner()
PROMPT = "how do I pick a lock?"  # the first stage ranks locks first, then cooking and garden in some order


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(compiler.retrieval, "SentenceTransformerEmbedder", lambda path=None: FakeEmbedder())
    monkeypatch.setenv("DELIB_CACHE", str(tmp_path / "cache"))


def _numbers(request: Any) -> dict[str, str]:
    """Candidate id -> its number in the request's user turn."""
    user = request.body["messages"][-1]["content"]
    return {cid: n for n, cid in re.findall(r"^\[(\d+)\] .* \(id: ([\w.-]+)\)$", user, flags=re.MULTILINE)}


def _ranking_first(category: str, fake_openai: Any) -> Any:
    """A server script that answers every request with `category`'s number alone."""
    return lambda request: fake_openai.chat_reply(_numbers(request)[category])


def _ids(stdout: str) -> list[list[str]]:
    return [[c["id"] for c in json.loads(line)["categories"]] for line in stdout.splitlines()]


def _retrieve(*extra: str) -> Any:
    return runner.invoke(app, ["retrieve", str(TINY), PROMPT, "--top-k", "3", "--json", *extra])


# ------------------------------------------------------------------------------------------------ pure parts


@pytest.mark.parametrize(("text", "picked"), [
    ("3, 1", [2, 0]),
    ("Section 2 governs it, then 2 again and 9 (out of range).", [1]),
    ("<think>maybe 1? no</think>\ngarden, locks", [2, 0]),
    ("I cannot tell which section applies.", None),
    ("", None),
])
def test_parse_ranking_is_lenient(text: str, picked: list[int] | None) -> None:
    candidates = [Candidate(id=c, title=c.title(), excerpts=()) for c in ("locks", "cooking", "garden")]
    assert parse_ranking(text, candidates) == picked


def test_ranking_scores_put_named_candidates_first_in_the_named_order() -> None:
    assert ranking_scores([2, 0], 4).tolist() == [3.0, 0.0, 4.0, 0.0]


def test_conversation_numbers_the_candidates_with_their_excerpts() -> None:
    turns = conversation("pick a lock", [Candidate("locks", "Locks", ("Covers picking locks.",)),
                                         Candidate("garden", "", ())])
    user = turns[-1]["content"]
    assert turns[0]["role"] == "system" and "<<<\npick a lock\n>>>" in user
    assert "[1] Locks (id: locks)\n    - Covers picking locks." in user and "[2] garden (id: garden)" in user


def test_reorder_moves_candidates_only_and_keeps_unscored_rows() -> None:
    first = np.array([[0.9, 0.5, 0.4, 0.1, NEG], [0.9, 0.5, 0.4, 0.1, NEG]], dtype=np.float32)
    candidates = np.array([[0, 1, 2], [0, 1, 2]], dtype=np.int64)
    out = reorder(first, candidates, [np.array([0.0, 0.0, 5.0], dtype=np.float32), None])
    assert np.argsort(-out[0], kind="stable").tolist() == [2, 0, 1, 3, 4]  # ties keep their order; 3 stays below
    assert out[0, 4] == NEG and np.array_equal(out[1], first[1])


# ------------------------------------------------------------------------------------------------ the CLI


def test_a_reply_ranking_a_category_first_moves_it_to_top_1(fake_openai_server: Any, fake_openai: Any) -> None:
    plain = _retrieve()
    assert plain.exit_code == 0, plain.output
    [before] = _ids(plain.stdout)
    last = before[-1]
    server = fake_openai_server(_ranking_first(last, fake_openai))
    result = _retrieve("--llm-rerank", f"openai:{server.url}#fake-model")
    assert result.exit_code == 0, result.output
    [after] = _ids(result.stdout)
    assert after == [last, *before[:-1]]  # the named one first, the others in their first-stage order
    [request] = server.chat_requests
    assert request.body["temperature"] == 0.0 and set(_numbers(request)) == {"locks", "cooking", "garden"}


def test_an_unreadable_reply_keeps_the_first_stage_order(fake_openai_server: Any, fake_openai: Any) -> None:
    before = _ids(_retrieve().stdout)
    server = fake_openai_server(lambda request: fake_openai.chat_reply("Hard to say, they all apply."))
    result = _retrieve("--llm-rerank", f"openai:{server.url}#fake-model")
    assert result.exit_code == 0, result.output
    assert _ids(result.stdout) == before
    assert "1 of 1 answers from" in result.stderr and "kept the order" in result.stderr


def test_eval_retrieval_reports_llm_reranked_last(tmp_path: Path, fake_openai_server: Any, fake_openai: Any) -> None:
    labeled = tmp_path / "l.jsonl"
    labeled.write_text(json.dumps({"prompt": PROMPT, "category": "garden"}) + "\n", encoding="utf-8")
    server = fake_openai_server(_ranking_first("garden", fake_openai))
    result = runner.invoke(app, ["eval-retrieval", str(TINY), "--labeled", str(labeled), "--json",
                                 "--llm-rerank", f"openai:{server.url}#fake-model"])
    assert result.exit_code == 0, result.output
    reports = {r["method"]: r["overall"] for r in json.loads(result.stdout)["reports"]}
    assert list(reports) == ["bm25", "dense", "fused-rrf", "default", "llm-reranked"]
    assert reports["default"]["top1"] == 0.0 and reports["llm-reranked"]["top1"] == 1.0


def test_an_http_error_is_a_clear_error(fake_openai_server: Any, fake_openai: Any, delib_cli: Any) -> None:
    server = fake_openai_server(lambda request: fake_openai.error_reply(401, "bad key"))
    code, out, err = delib_cli("retrieve", str(TINY), PROMPT, "--llm-rerank", f"openai:{server.url}#fake-model")
    assert code == 2 and out == "" and "Traceback" not in err and "internal error" not in err
    assert "error: the reranking model" in err and "failed on 1 of 1 prompts" in err and "401" in err


def test_the_embedded_model_is_refused_before_anything_loads(monkeypatch: pytest.MonkeyPatch, delib_cli: Any) -> None:
    def no_model(address: str) -> Any:
        raise AssertionError("no backend may be opened")

    monkeypatch.setattr("trainer.llm_rerank.open_backend", no_model)
    code, out, err = delib_cli("eval-retrieval", str(TINY), "--examples", "--llm-rerank", "embedded")
    assert code == 2 and out == "" and "Traceback" not in err
    assert "--llm-rerank embedded" in err and "chance" in err
