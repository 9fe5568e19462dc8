"""`delib train judge`: a reward model trained from a spec's own example pairs, usable as `--judge rm:RUN`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spec_lang import load_clean
from tests.paths import REPO
from trainer.cli import app
from trainer.judging import (
    JudgeConfig,
    JudgeError,
    JudgeRequest,
    PanelJudge,
    RewardModelJudge,
    open_judge,
    rm_render_pair,
)
from trainer.judging._reward_model import score_of
from trainer.training import DataError, RunStateError
from trainer.training.reward_model import (
    PreferencePair,
    RewardModelConfig,
    accuracy,
    preference_pairs,
    read_run,
    train_reward_model,
)
from trainer.training.runs import RunLayout

DEMO = REPO / "policies" / "_demo" / "demo.md"
SAFETY = REPO / "policies" / "safety.md"


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer random BERT (hidden 32) with the embedded MiniLM's tokenizer: trains in seconds."""
    from tests.trainer.tiny_reward_model import tiny_encoder as save_tiny_encoder

    return save_tiny_encoder(tmp_path_factory.mktemp("tiny-bert"))


def _config(base: Path, **fields: object) -> RewardModelConfig:
    return RewardModelConfig(base=str(base), epochs=2, learning_rate=1e-3, batch_size=4, max_length=64,
                             **fields)  # type: ignore[arg-type]


def test_pairs_rank_every_better_candidate_above_every_worse_one_and_split_by_example() -> None:
    pairs = preference_pairs(list(load_clean([str(SAFETY)])[0]))
    assert len(pairs) == 66  # the pairs `delib test policies/` ranks
    assert {p.kinds for p in pairs} <= {"GOOD>BAD", "GOOD>OK", "OK>BAD"}
    by_example: dict[str, set[str]] = {}
    for pair in pairs:
        by_example.setdefault(pair.example.split(".")[0], set()).add(pair.split)
        assert pair.chosen != pair.rejected and pair.prompt and pair.prompt[0]["role"] != "assistant"
    assert all(len(splits) == 1 for splits in by_example.values())  # an example is never on both sides
    assert {"train", "eval"} == {s for splits in by_example.values() for s in splits}
    assert preference_pairs(list(load_clean([str(SAFETY)])[0])) == pairs  # the split is deterministic


def test_accuracy_counts_ties_as_wrong() -> None:
    pair = PreferencePair(example="s:a/1", where="x:1", split="eval", prompt=({"role": "user", "content": "q"},),
                          chosen="good", rejected="bad", kinds="GOOD>BAD")
    result = accuracy([pair, pair, pair], [1.0, 0.5, 0.2], [0.0, 0.5, 0.9])
    assert (result.correct, result.pairs, result.by_kinds) == (1, 3, {"GOOD>BAD": (1, 3)})
    assert result.share == pytest.approx(1 / 3)
    assert accuracy([], [], []).share is None


def test_render_pair_drops_system_turns_and_keeps_the_conversation_order() -> None:
    prompt = ({"role": "system", "content": "secret"}, {"role": "user", "content": " hi "},
              {"role": "assistant", "content": "hello"}, {"role": "user", "content": "how?"})
    assert rm_render_pair(prompt, " answer ") == ("user: hi\nassistant: hello\nuser: how?", "answer")
    assert score_of(0.0) == pytest.approx(3.0) and 1.0 < score_of(-3) < score_of(3) < 5.0


def test_train_writes_a_run_that_reruns_as_nothing_and_grades_as_a_judge(tiny_encoder: Path, tmp_path: Path) -> None:
    specs = list(load_clean([str(DEMO)])[0])
    run_dir = tmp_path / "rm"
    run, trained = train_reward_model(specs, run_dir, _config(tiny_encoder))
    assert trained and (run_dir / "final" / "config.json").is_file()
    assert run.train.pairs + run.held_out.pairs == len(preference_pairs(specs))
    assert read_run(RunLayout(run_dir)) == run
    again, trained_again = train_reward_model(specs, run_dir, _config(tiny_encoder))
    assert not trained_again and again == run
    judge = open_judge(f"rm:{run_dir}", None, JudgeConfig(runs=3))  # type: ignore[arg-type]
    assert isinstance(judge, RewardModelJudge) and judge.model_id == f"rm:{run_dir / 'final'}"
    request = JudgeRequest(category="anything", prompt=({"role": "user", "content": "How do I pick a lock?"},),
                           completion="<reasoning>r</reasoning>\n<answer>Sorry, I can't help with that.</answer>")
    first, second = judge.grade([request, request.model_copy(update={"category": "other"})])
    assert first.score == pytest.approx(second.score, abs=1e-5)  # the category is not read
    assert judge.grade([request]) == judge.grade([request])  # deterministic
    assert first.score is not None and 1.0 < first.score < 5.0
    assert first.style == "refuse" and first.run_scores == (first.score,)
    panel = open_judge(f"rm:{run_dir}", None, JudgeConfig(), panel=True)  # type: ignore[arg-type]
    assert isinstance(panel, PanelJudge) and panel.grade([request])[0].members[0].name == "llm"


def test_a_changed_setting_retrains_and_a_foreign_folder_is_refused(tiny_encoder: Path, tmp_path: Path) -> None:
    specs = list(load_clean([str(DEMO)])[0])
    run_dir = tmp_path / "rm"
    first, _ = train_reward_model(specs, run_dir, _config(tiny_encoder))
    second, trained = train_reward_model(specs, run_dir, _config(tiny_encoder, seed=1))
    assert trained and second.fingerprint != first.fingerprint
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(RunStateError, match="holds no reward-model run"):
        train_reward_model(specs, foreign, _config(tiny_encoder))
    assert (foreign / "notes.txt").read_text() == "mine"


def test_specs_without_train_pairs_and_missing_models_are_clean_errors(tmp_path: Path) -> None:
    spec = tmp_path / "plain.md"
    spec.write_text("---\nid: plain\ntitle: Plain\nversion: 1\n---\n"
                    "# Plain {#plain kind=category}\n\nNo examples here.\n")
    with pytest.raises(DataError, match="no example comparison to train on"):
        train_reward_model(list(load_clean([str(spec)])[0]), tmp_path / "rm")
    with pytest.raises(JudgeError, match="delib train judge"):
        open_judge(f"rm:{tmp_path / 'nothing'}", None, JudgeConfig())  # type: ignore[arg-type]


def test_an_unwritable_run_folder_fails_before_training(tiny_encoder: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(app, ["train", "judge", str(REPO / "policies"), "-o", str(blocker / "rm"),
                                      "--base", str(tiny_encoder)])
    assert result.exit_code == 2 and "cannot write" in result.stderr and "internal error" not in result.stderr


def test_cli_trains_a_judge_that_delib_test_uses(tiny_encoder: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    run_dir = tmp_path / "rm"
    trained = runner.invoke(app, ["train", "judge", str(DEMO), "-o", str(run_dir), "--base", str(tiny_encoder),
                                  "--epochs", "1", "--lr", "1e-3", "--max-length", "64", "--json"])
    assert trained.exit_code == 0, trained.output
    manifest = json.loads(trained.stdout)
    assert manifest["kind"] == "judge" and manifest["train"]["pairs"] > 0
    tested = runner.invoke(app, ["test", str(DEMO), "--judge", f"rm:{run_dir}", "--json", "--no-route"])
    assert tested.exit_code in (0, 1), tested.output
    report = json.loads(tested.stdout)
    assert report["judge"] == f"rm:{run_dir / 'final'}" and report["summary"]["pairs_scored"] > 0
    missing = runner.invoke(app, ["test", str(DEMO), "--judge", f"rm:{tmp_path / 'none'}"])
    assert missing.exit_code == 2 and "delib train judge" in missing.output


def test_the_grpo_reward_opens_a_reward_model_and_names_a_missing_one(tiny_encoder: Path, tmp_path: Path) -> None:
    from trainer.training import RewardSettings, TrainingError
    from trainer.training.rl import _open_judge

    run_dir = tmp_path / "rm"
    train_reward_model(list(load_clean([str(DEMO)])[0]), run_dir, _config(tiny_encoder))
    from tests.trainer.tiny_policy import tiny_bundle

    bundle = tiny_bundle()
    closed: list[object] = []
    judge = _open_judge(RewardSettings(judge=f"rm:{run_dir}", panel=False), bundle, closed.append)
    assert isinstance(judge, RewardModelJudge) and not closed  # nothing opened that needs closing
    panel = _open_judge(RewardSettings(judge=f"rm:{run_dir}"), bundle, closed.append)  # the panel: the default
    assert isinstance(panel, PanelJudge) and isinstance(panel.judge, RewardModelJudge)
    with pytest.raises(TrainingError, match="rm:RUN"):
        _open_judge(RewardSettings(judge=f"rm:{tmp_path / 'none'}"), bundle, closed.append)
