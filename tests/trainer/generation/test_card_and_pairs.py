"""The dataset card's YAML metadata (read by `datasets.load_dataset` and the Hub), no unset value printed as
None, and `pairs.jsonl`: kept vs rejected candidates of one prompt in TRL's preference format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.trainer.generation.gen_helpers import GUN, KILL, config, run
from tests.trainer.scripted_models import verdict_json
from trainer.backends import FakeBackend
from trainer.generation import PAIRS, read_jsonl
from trainer.generation._card import metadata
from trainer.generation._pairs import preference_pairs


def _row(key: str, prompt_key: str, status: str, score: float | None, reason: str | None = None) -> dict[str, Any]:
    return {"prompt": [{"role": "user", "content": prompt_key}], "completion": [{"role": "assistant", "content": key}],
            "category": "weapons", "prompt_key": prompt_key, "key": key, "status": status, "judge_score": score,
            "reject_reason": reason}


@pytest.mark.parametrize(("rows", "expected"), [
    ([_row("a", "p", "kept", 5.0), _row("b", "p", "rejected", 3.0, "sample 0 was kept")], [("a", "b")]),
    ([_row("a", "p", "kept", 5.0), _row("b", "p", "rejected", 5.0, "sample 0 was kept")], []),  # a tie
    ([_row("a", "p", "kept", 4.0), _row("b", "p", "rejected", None, "not in the completion format")], [("a", "b")]),
    ([_row("a", "p", "kept", 4.0), _row("b", "p", "unscored", None), _row("c", "p", "error", None)], []),
    ([_row("b", "p", "rejected", 2.0), _row("c", "q", "kept", 5.0)], []),  # another prompt's kept row
    ([_row("b", "p", "rejected", 2.0), _row("a", "p", "kept", 4.5), _row("c", "p", "rejected", 1.0)],
     [("a", "b"), ("a", "c")]),
])
def test_pairs_put_the_kept_row_against_each_worse_rejected_one(rows: list[dict[str, Any]],
                                                                 expected: list[tuple[str, str]]) -> None:
    pairs = preference_pairs(rows)
    assert [(p["chosen_key"], p["rejected_key"]) for p in pairs] == expected
    for pair in pairs:
        assert pair["chosen"] == [{"role": "assistant", "content": pair["chosen_key"]}]
        assert pair["rejected"] == [{"role": "assistant", "content": pair["rejected_key"]}]
        assert pair["prompt"] == [{"role": "user", "content": "p"}]


def _scripted(tmp_path: Path) -> Path:
    scores = iter([3, 5, 2, 2, 4, 4])
    grader = FakeBackend(lambda conv, params: verdict_json(next(scores)), probs=lambda *_: None)
    run(tmp_path, grader=grader, cfg=config(threshold=4, batch_size=3, seed=1))
    return tmp_path


def test_a_run_writes_pairs_in_trl_preference_format(tmp_path: Path) -> None:
    from trl.data_utils import is_conversational

    pairs = read_jsonl(_scripted(tmp_path) / PAIRS)
    assert [(p["prompt"][0]["content"], p["chosen_score"], p["rejected_score"]) for p in pairs] == [(KILL, 5.0, 3.0)]
    assert is_conversational(pairs[0]) and pairs[0]["chosen"] != pairs[0]["rejected"]
    assert GUN not in str(pairs)  # 4 against 4: a tie, no preference
    assert "Preference pairs: 1." in (tmp_path / "README.md").read_text()


def test_the_card_opens_with_metadata_that_datasets_reads(tmp_path: Path) -> None:
    from datasets import load_dataset

    out = _scripted(tmp_path)
    card = (out / "README.md").read_text()
    assert card.startswith("---\n")
    meta = yaml.safe_load(card.split("---\n")[1])
    assert meta == metadata(2) and meta["license"] and meta["task_categories"] == ["text-generation"]
    assert meta["size_categories"] == ["n<1K"] and "tags" in meta
    default = load_dataset(str(out))
    assert {name: split.num_rows for name, split in default.items()} == {"train": 2}
    assert default["train"][0]["completion"][0]["role"] == "assistant"
    candidates = load_dataset(str(out), "candidates")["train"]
    assert candidates.num_rows == 6 and sorted(set(candidates["status"])) == ["kept", "rejected"]
    pairs = load_dataset(str(out), "pairs")
    assert pairs["train"].num_rows == 1 and {"prompt", "chosen", "rejected"} <= set(pairs["train"].column_names)


@pytest.mark.parametrize(("seed", "shown"), [(None, None), (7, "seed 7")])
def test_an_unset_seed_is_left_out_of_the_card(tmp_path: Path, seed: int | None, shown: str | None) -> None:
    run(tmp_path, cfg=config(seed=seed))
    card = (tmp_path / "README.md").read_text()
    assert "None" not in card
    assert (shown in card) if shown else ("seed" not in card.split("## Counts")[0])


@pytest.mark.parametrize(("kept", "size"), [(0, "n<1K"), (999, "n<1K"), (1000, "1K<n<10K"), (250_000, "100K<n<1M"),
                                            (5_000_000, "1M<n<10M")])
def test_the_size_category_follows_the_kept_rows(kept: int, size: str) -> None:
    assert metadata(kept)["size_categories"] == [size]
