"""`OUT/build.json`: each stage's outputs read back as a typed record, the file's JSON layout unchanged (so a
build state written before the records existed still loads, and `stages.<stage>.outputs.<key>` still reads)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trainer.project import STATE_FILE, ProjectError
from trainer.project._state import (
    BuildState,
    CompileOutputs,
    EvalOutputs,
    GenerateOutputs,
    LintOutputs,
    RunOutputs,
    read_state,
    write_state,
)

OUTPUTS: dict[str, dict[str, Any]] = {
    "lint": {},
    "compile": {"bundle": "out/bundle", "revision": "f33ab1cfe6e9baeb", "categories": {"violence": "55a689a524732ced"}},
    "generate": {"data": "out/data", "fingerprint": "63bd749797e30da0", "routed_prompts": "ba1594f84bf9fccc"},
    "sft": {"run": "out/runs/sft-be2d35de"},
    "rl": {"run": "out/runs/rl-ccd55f43"},
    "eval": {"report": "out/eval/b187164b/report.html", "json": "out/eval/b187164b/eval.json"},
}
"""What each stage wrote to `build.json` before the typed records (copied from a demo build)."""


def _state_file(folder: Path, outputs: dict[str, dict[str, Any]]) -> str:
    stages = {name: {"key": "257f7bd6b4441b72", "inputs": {"model": None}, "outputs": value, "summary": f"{name} done",
                     "finished_at": "2026-12-05T03:10:45+00:00"} for name, value in outputs.items()}
    text = json.dumps({"format": "delib-build/1", "stages": stages}, indent=2) + "\n"
    (folder / STATE_FILE).write_text(text, encoding="utf-8")
    return text


def test_an_existing_build_state_reads_typed_and_writes_back_the_same_bytes(tmp_path: Path) -> None:
    before = _state_file(tmp_path, OUTPUTS)
    state = read_state(tmp_path)
    assert state.outputs("lint", LintOutputs) == LintOutputs()
    compiled = state.outputs("compile", CompileOutputs)
    assert compiled is not None and compiled.categories == {"violence": "55a689a524732ced"}
    generated = state.outputs("generate", GenerateOutputs)
    assert generated is not None and generated.routed_prompts == "ba1594f84bf9fccc"
    rl = state.outputs("rl", RunOutputs)
    assert rl is not None and rl.run == "out/runs/rl-ccd55f43" and rl.paths() == ("out/runs/rl-ccd55f43",)
    evaluated = state.outputs("eval", EvalOutputs)
    assert evaluated is not None and evaluated.eval_json == "out/eval/b187164b/eval.json"
    assert state.outputs("eval", RunOutputs) is None  # another kind of record: not read as one
    write_state(tmp_path, state)
    assert (tmp_path / STATE_FILE).read_text(encoding="utf-8") == before
    assert json.loads(before)["stages"]["rl"]["outputs"]["run"] == "out/runs/rl-ccd55f43"


def test_a_stage_not_yet_built_has_no_outputs() -> None:
    assert BuildState().outputs("sft", RunOutputs) is None


@pytest.mark.parametrize(("stage", "outputs", "message"), [
    ("sft", OUTPUTS["compile"], "stages.sft.outputs: not what the sft stage produces"),
    ("rl", {"run": "out/runs/rl", "extra": 1}, "stages.rl.outputs"),
    ("eval", {"report": "out/eval/report.html"}, "stages.eval.outputs"),
])
def test_outputs_that_do_not_fit_their_stage_are_an_unreadable_state(
        tmp_path: Path, stage: str, outputs: dict[str, Any], message: str) -> None:
    _state_file(tmp_path, {stage: outputs})
    with pytest.raises(ProjectError, match="unreadable build state") as caught:
        read_state(tmp_path)
    assert message in str(caught.value) and f"delete {tmp_path / STATE_FILE}" in (caught.value.hint or "")
