"""`delib generate --judge rm:RUN`: a reward model (`delib train judge`) as the data filter, opened by
`open_judge` like every other judge: rows judged by it, the work log reused, a retrained run re-scoring,
nothing loaded when nothing is to be judged, and a folder without a model refused before any work."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compiler import write_bundle
from tests.trainer.generation.gen_helpers import GUN, KILL, ROAST, candidates, config, data, three_rows
from tests.trainer.scripted_models import generator
from tests.trainer.tiny_policy import tiny_bundle
from tests.trainer.tiny_reward_model import tiny_encoder, tiny_reward_run
from trainer.generation import GenerationRecipe, PromptSource, generate_from_recipe, read_recipe, run_generation
from trainer.judging import JudgeConfig, JudgeError, RewardModelJudge, open_judge


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_encoder(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture
def rm_run(tmp_path: Path, encoder: Path) -> Path:
    return tiny_reward_run(tmp_path / "judge", encoder)


@pytest.fixture
def prompts(tmp_path: Path) -> Path:
    path = tmp_path / "prompts.jsonl"
    rows = [{"prompt": KILL, "category": "weapons"}, {"prompt": ROAST, "category": "insults"},
            {"prompt": GUN, "category": "weapons"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _recipe(prompts: Path, address: str, **overrides: Any) -> GenerationRecipe:
    """Threshold 1: the untrained head scores near 3, so every prompt keeps its best sample."""
    return GenerationRecipe(config=config(threshold=1.0, **overrides), backend="fake", judge=address,
                            prompts=PromptSource(path=str(prompts)))


def _judged(out: Path) -> list[dict[str, Any]]:
    return [r for r in candidates(out) if r["judge_score"] is not None]


def test_a_reward_model_filters_the_data_and_a_rerun_scores_nothing(
        rm_run: Path, encoder: Path, prompts: Path, tmp_path: Path) -> None:
    out, judge_id = tmp_path / "out", f"rm:{rm_run / 'final'}"
    report = generate_from_recipe(_recipe(prompts, f"rm:{rm_run}"), tiny_bundle(), out, backend=generator())
    judged = _judged(out)
    assert len(judged) == 6 and {r["judge_model"] for r in judged} == {judge_id}
    assert all(1.0 < r["judge_score"] < 5.0 and r["judge_raw"][0].startswith("reward ") for r in judged)
    assert len(data(out)) == 3 and {r["judge_model"] for r in data(out)} == {judge_id}
    # usage: the items it scored, no tokens
    j = report.judge
    assert (j.items, j.prompt_tokens, j.completion_tokens) == (6, 0, 0) and j.calls >= 1
    card = (out / "README.md").read_text()
    assert f"Judge `{judge_id}`: a reward model" in card and "1 judge run(s)" in card
    recipe = read_recipe(out)
    assert recipe is not None and recipe.judge == f"rm:{rm_run}"  # recorded as given, for `delib retrain`

    # An unchanged rerun reuses the work log: nothing generated, nothing scored.
    before = candidates(out)
    again = generate_from_recipe(_recipe(prompts, f"rm:{rm_run}"), tiny_bundle(), out, backend=generator())
    assert (again.cached, again.generator.items, again.judge.items, again.judge.calls) == (6, 0, 0, 0)
    assert candidates(out) == before
    # The reward model grades once whatever `judge.runs` says, so more runs change no key either.
    runs = _recipe(prompts, f"rm:{rm_run}", judge=JudgeConfig(runs=3, use_choice_probs=False))
    assert generate_from_recipe(runs, tiny_bundle(), out, backend=generator()).judge.items == 0

    # The run retrained in place (a new fingerprint) is another judge: the saved completions are re-scored.
    tiny_reward_run(rm_run, encoder, fingerprint="tiny-run-2")
    rescored = generate_from_recipe(_recipe(prompts, f"rm:{rm_run}"), tiny_bundle(), out, backend=generator())
    assert (rescored.to_judge, rescored.generator.items, rescored.judge.items) == (6, 0, 6)


def test_nothing_to_judge_loads_no_reward_model(rm_run: Path, tmp_path: Path) -> None:
    bundle, out = tiny_bundle(), tmp_path / "out"

    def lazy() -> RewardModelJudge:
        judge = open_judge(f"rm:{rm_run}", bundle, JudgeConfig(), lazy=True)
        assert isinstance(judge, RewardModelJudge) and not judge.loaded
        return judge

    judge = lazy()
    planned = run_generation(config(threshold=1.0), bundle, three_rows(), out, generator(), judge, dry_run=True)
    assert planned.dry_run and planned.to_generate == 6 and not judge.loaded and not out.exists()
    assert planned.planned_calls == 4  # 2 rounds of generation, 2 of scoring (one call each: no k runs)
    run_generation(config(threshold=1.0), bundle, three_rows(), out, generator(), judge)
    assert judge.loaded and judge.usage.verdicts == 6
    cached = lazy()
    rerun = run_generation(config(threshold=1.0), bundle, three_rows(), out, generator(), cached)
    assert rerun.cached == 6 and not cached.loaded


def test_the_panel_takes_the_reward_model_as_its_model_member(rm_run: Path, prompts: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate_from_recipe(_recipe(prompts, f"rm:{rm_run}", panel=True), tiny_bundle(), out, backend=generator())
    judged = _judged(out)
    assert judged and {r["judge_model"] for r in judged} == {f"panel:rm:{rm_run / 'final'}+opening"}
    assert all(r["judge_panel"][0]["name"] == "llm" for r in judged)
    assert "a reward model" in (out / "README.md").read_text()  # the card names the panel's model member


def test_a_folder_without_a_reward_model_is_refused_before_any_work(
        prompts: Path, tmp_path: Path, delib_cli: Any) -> None:
    out, missing = tmp_path / "out", f"rm:{tmp_path / 'none'}"
    gen = generator()
    with pytest.raises(JudgeError, match="no reward model there.*delib train judge"):
        generate_from_recipe(_recipe(prompts, missing), tiny_bundle(), out, backend=gen)
    assert gen.calls == [] and not out.exists()

    write_bundle(tiny_bundle(), tmp_path / "bundle")
    base = ("generate", str(tmp_path / "bundle"), "--prompts", str(prompts), "-o", str(out), "--generator", "fake")
    for extra in ((), ("--dry-run",)):
        code, _, err = delib_cli(*base, "--judge", missing, *extra)
        assert code == 2 and "delib train judge" in err and "Traceback" not in err and not out.exists()


def test_the_cli_generates_with_a_reward_model(rm_run: Path, prompts: Path, tmp_path: Path, delib_cli: Any) -> None:
    write_bundle(tiny_bundle(), tmp_path / "bundle")
    out = tmp_path / "out"
    base = ("generate", str(tmp_path / "bundle"), "--prompts", str(prompts), "-o", str(out), "--generator", "fake",
            "--judge", f"rm:{rm_run}", "--no-panel", "--samples", "2", "--threshold", "1", "--json")
    code, stdout, err = delib_cli(*base, "--dry-run")
    assert code == 0 and json.loads(stdout)["to_generate"] == 6 and not out.exists(), err
    code, stdout, err = delib_cli(*base)
    assert code == 0, err
    report = json.loads(stdout)
    assert report["judge"]["items"] == 6 and report["judge"]["completion_tokens"] == 0
    assert {r["judge_model"] for r in data(out)} == {f"rm:{rm_run / 'final'}"}
