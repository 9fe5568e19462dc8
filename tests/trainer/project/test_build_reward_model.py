"""`delib build` with `[backends] judge = "rm:RUN"`: the generate stage filters with the reward model, is up
to date while the run is unchanged, rebuilds (re-scoring, not regenerating) when the run is retrained in
place, and stops cleanly, before generating, when the folder holds no reward model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.paths import POLICIES
from tests.trainer.tiny_reward_model import tiny_encoder, tiny_reward_run
from trainer.generation import read_jsonl
from trainer.judging import JudgeError
from trainer.project import build, load_project, status

CATEGORIES = ("violence", "privacy", "cyber")


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_encoder(tmp_path_factory.mktemp("tiny-bert"))


def _project(root: Path, judge: str) -> Path:
    """policies/, six prompts, the fake generator; lint, compile and generate only. Threshold 1: the untrained
    head scores near 3, so every prompt keeps its best sample."""
    shutil.copytree(POLICIES, root / "policies")
    rows = [{"prompt": f"Question {i} about {c}?", "category": c} for c in CATEGORIES for i in range(2)]
    (root / "prompts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (root / "delib.toml").write_text(f'''
[spec]
paths = ["policies"]
tokenizer = "approx"

[build]
stages = ["lint", "compile", "generate"]

[backends]
generator = "fake"
judge = "{judge}"

[generate]
prompts = "prompts.jsonl"
samples = 2
judge_runs = 1
batch_size = 6
threshold = 1.0
''', encoding="utf-8")
    return root


def test_the_generate_stage_filters_with_a_reward_model(encoder: Path, tmp_path: Path) -> None:
    run = tiny_reward_run(tmp_path / "judge", encoder)
    project = load_project(_project(tmp_path / "project", f"rm:{run}"))
    build(project, echo=lambda _: None)
    data = project.out / "data"
    judged = [r for r in read_jsonl(data / "candidates.jsonl") if r["judge_score"] is not None]
    assert len(judged) == 12 and {r["judge_model"] for r in judged} == {f"panel:rm:{run / 'final'}+opening"}
    assert len(read_jsonl(data / "data.jsonl")) == 6

    lines: list[str] = []
    build(project, echo=lines.append)
    assert lines and all(": up to date (" in line for line in lines)

    # Retrained in place: the stage is stale for that reason alone, and its rerun re-scores the saved
    # completions without generating any.
    tiny_reward_run(run, encoder, fingerprint="tiny-run-2")
    [generate] = [s for s in status(project) if s.stage == "generate"]
    assert generate.state == "stale" and generate.why == "changed: reward-model judge run", generate.why
    lines.clear()
    build(project, echo=lines.append)
    assert any(line.startswith("generate: 6 rows kept of 12 candidates (0 reused, 0 generated)") for line in lines), \
        lines


def test_a_folder_without_a_reward_model_stops_the_build_before_generating(tmp_path: Path, delib_cli: Any) -> None:
    root = _project(tmp_path, f"rm:{tmp_path / 'none'}")
    with pytest.raises(JudgeError, match="no reward model there"):
        build(load_project(root), echo=lambda _: None)
    assert not (tmp_path / "build" / "data").exists()
    code, _, err = delib_cli("build", "-C", str(root))
    assert code == 2 and "delib train judge" in err and "Traceback" not in err
    assert not (tmp_path / "build" / "data").exists()
