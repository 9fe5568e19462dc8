"""Reading training data, resolving `--model`, run-folder planning and the manifest file (no training)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.trainer.training.training_helpers import generation_rows, write_generation, write_prompts
from trainer.training import (
    DataError,
    ModelSourceError,
    RunManifest,
    RunStateError,
    SFTStageConfig,
    load_prompts,
    load_sft_data,
    read_manifest,
    resolve_model,
)
from trainer.training._lifecycle import summarize_metrics
from trainer.training.data import DataSource, cut_to_decline_share, decline_share_rows
from trainer.training.manifest import TemplateRecord, write_manifest
from trainer.training.models import ModelSource
from trainer.training.runs import RunLayout, RunPlan, last_checkpoint, plan_run


def test_sft_data_from_a_generation_folder(gen_dir: Path, tmp_path: Path) -> None:
    dataset, source = load_sft_data(gen_dir)
    assert len(dataset) == source.rows == 8 and source.format == "datasets"
    assert source.fingerprint == dataset._fingerprint  # of the `train` split (the kept rows), not `candidates`
    assert source.categories == {"advice": 4, "violence": 4}
    assert source.spec_revisions == ("rev-test",)
    assert source.category_hashes == {"advice": "hash-advice", "violence": "hash-violence"}
    jsonl_only = write_generation(tmp_path / "gen", generation_rows(), saved=False)
    dataset, source = load_sft_data(jsonl_only)
    assert source.format == "jsonl" and source.fingerprint.startswith("sha256:") and len(dataset) == 8


@pytest.mark.parametrize(("rows", "message"), [
    ([], "the dataset is empty"),
    ([{"prompt": "text", "completion": [{"role": "assistant", "content": "x"}]}],
     "data.jsonl:1: `prompt` is not a list of messages ending with a user message"),  # path:line from JSONL
    ([{"prompt": [{"role": "user", "content": "q"}], "completion": [{"role": "user", "content": "x"}]}],
     "data.jsonl:1: `completion` is not one assistant message"),
    ([{"messages": [{"role": "user", "content": "q"}]}], "the dataset has no 'prompt' or 'completion' column"),
])
def test_bad_sft_data(tmp_path: Path, rows: list[dict[str, object]], message: str) -> None:
    folder = tmp_path / "gen"
    folder.mkdir()
    (folder / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(DataError, match=message):
        load_sft_data(folder)


def test_missing_sft_data(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such folder"):
        load_sft_data(tmp_path / "nowhere")
    with pytest.raises(DataError, match="neither dataset/ nor data.jsonl is here"):
        load_sft_data(tmp_path)
    (tmp_path / "data.jsonl").write_text('{"prompt": 1}\nnot json\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"data.jsonl:2: not JSON"):
        load_sft_data(tmp_path)


def test_rl_prompts(tmp_path: Path) -> None:
    dataset, source = load_prompts(write_prompts(tmp_path / "p.jsonl"), ["advice", "violence"])
    assert dataset[0] == {"prompt": [{"role": "user", "content": "How do I bake bread, take 0?"}],
                          "category": "violence", "expected": ""}
    assert (source.rows, source.format, source.categories) == (4, "prompts", {"advice": 2, "violence": 2})
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a"}\n{"prompt": "b", "category": "weather"}\n{"category": "advice"}\n',
                   encoding="utf-8")
    with pytest.raises(DataError, match=r"(?s)2 unreadable row\(s\).*bad.jsonl:1: no `category`.*"
                                        r"bad.jsonl:3: no `prompt` \(or `messages`\)"):
        load_prompts(bad, ["advice", "violence"])
    bad.write_text('{"prompt": "a", "category": "advice"}\n{"prompt": "b", "category": "weather"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"1 prompt\(s\) name a category the bundle does not have \(\S*bad.jsonl:2: "
                                        r"'weather'\)\n  hint: the bundle's categories are advice, violence"):
        load_prompts(bad, ["advice", "violence"])
    with pytest.raises(DataError, match="no such file"):
        load_prompts(tmp_path / "missing.jsonl", ["advice"])


def test_resolve_model(tiny_model_dir: Path, tmp_path: Path) -> None:
    source = resolve_model(f"hf:{tiny_model_dir}")
    assert (source.loaded_as, source.path, source.parent_run) == ("hf", str(tiny_model_dir.resolve()), None)
    assert resolve_model(str(tiny_model_dir)).loaded_as == "hf"
    with pytest.raises(ModelSourceError, match="invalid model address 'gpt-17': no such model folder"):
        resolve_model("gpt-17")
    with pytest.raises(ModelSourceError, match="a openai model cannot be trained here"):
        resolve_model("openai:http://localhost:1/v1#m")
    with pytest.raises(ModelSourceError, match="does not exist"):
        resolve_model(f"hf:{tmp_path / 'missing'}")
    with pytest.raises(ModelSourceError, match="holds neither a transformers model"):
        resolve_model(f"hf:{tmp_path}")


def _manifest(status: str = "running", fingerprint: str = "fp", model: str = "/m", kind: str = "sft") -> RunManifest:
    return RunManifest.model_validate({
        "kind": kind, "status": status, "created_at": "t0", "updated_at": "t1",
        "data": DataSource(path="/d", format="jsonl", fingerprint=fingerprint, rows=1),
        "base_model": ModelSource(spec=f"hf:{model}", path=model, loaded_as="hf", model_id=f"hf:{model}"),
        "config": SFTStageConfig(), "final_format": "full",
        "chat_template": TemplateRecord(source="model", name="model", sha256="0" * 64),
    })


def _checkpoint(root: Path, step: int, complete: bool = True) -> Path:
    folder = root / "checkpoints" / f"checkpoint-{step}"
    folder.mkdir(parents=True)
    if complete:
        (folder / "trainer_state.json").write_text("{}", encoding="utf-8")
    return folder


def test_plan_run(tmp_path: Path) -> None:
    layout = RunLayout(tmp_path / "run")

    def plan(force: bool = False) -> RunPlan:
        return plan_run(layout, "sft", data_fingerprint="fp", model_path="/m", force=force)

    assert plan().action == "start"  # no folder yet
    write_manifest(layout.manifest, _manifest())
    assert plan().action == "start"  # a manifest but no checkpoint yet
    _checkpoint(layout.root, 2)
    _checkpoint(layout.root, 10)
    _checkpoint(layout.root, 12, complete=False)  # interrupted while saving: ignored
    resume = plan()
    assert (resume.action, resume.checkpoint) == ("resume", layout.checkpoints / "checkpoint-10")
    assert last_checkpoint(layout.checkpoints) == layout.checkpoints / "checkpoint-10"
    write_manifest(layout.manifest, _manifest("completed"))
    assert plan().action == "resume"  # completed, but final/ was deleted
    (layout.final).mkdir()
    (layout.final / "config.json").write_text("{}", encoding="utf-8")
    assert plan().action == "done"
    assert plan(force=True).action == "start"


@pytest.mark.parametrize(("manifest", "message"), [
    (_manifest(fingerprint="other"), "holds an unfinished run on another data"),
    (_manifest(model="/other"), "holds an unfinished run on another base model"),
    (_manifest(kind="rl"), "holds a rl run, not a sft run"),
])
def test_plan_run_refuses_another_run(tmp_path: Path, manifest: RunManifest, message: str) -> None:
    layout = RunLayout(tmp_path)
    write_manifest(layout.manifest, manifest)
    with pytest.raises(RunStateError, match=message):
        plan_run(layout, "sft", data_fingerprint="fp", model_path="/m")


def test_plan_run_refuses_a_folder_with_other_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(RunStateError, match="is not empty and holds no run"):
        plan_run(RunLayout(tmp_path), "sft", data_fingerprint="fp", model_path="/m")


def test_manifest_round_trip_and_corruption(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    assert read_manifest(path) is None
    write_manifest(path, _manifest())
    assert read_manifest(path) == _manifest()
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]  # no temporary file left behind
    path.write_text('{"kind": "sft"}', encoding="utf-8")
    with pytest.raises(RunStateError, match="not a valid run manifest"):
        read_manifest(path)
    with pytest.raises(ModelSourceError, match="has not completed"):
        write_manifest(path, _manifest())
        resolve_model(str(tmp_path))


def test_train_loss_is_the_mean_over_every_logged_step() -> None:
    """Each logged loss covers the steps since the previous log; a resumed run's history starts with the one
    its checkpoint saved, and TRL's own figure (this session's steps only: 0.0 when none was left) is ignored."""
    history: list[dict[str, Any]] = [{"loss": 4.0, "step": 2, "num_tokens": 40.0}, {"loss": 1.0, "step": 3},
                                     {"train_loss": 0.0, "step": 3}]
    metrics = summarize_metrics(history, {"train_loss": 0.0}, 3)
    assert (metrics["train_loss"], metrics["final_loss"], metrics["num_tokens"]) == (3.0, 1.0, 40.0)
    assert summarize_metrics([{"train_loss": 2.5, "step": 1}], {"train_loss": 2.5}, 1)["train_loss"] == 2.5


def test_summarize_metrics() -> None:
    history: list[dict[str, Any]] = [
        {"loss": 2.0, "reward": 0.5, "rewards/judge/mean": 0.4, "rewards/judge/std": 0.1,
         "rewards_by_category/advice/judge": 0.2, "step": 1},
        {"loss": 1.0, "reward": 0.7, "rewards/judge/mean": 0.6, "rewards_by_category/advice/judge": None, "step": 2},
        {"train_loss": 1.5, "step": 2},
    ]
    assert summarize_metrics(history, {"train_loss": 1.5}, 2) == {
        "global_step": 2.0, "train_loss": 1.5, "final_loss": 1.0, "reward": pytest.approx(0.6),
        "rewards/judge/mean": pytest.approx(0.5), "rewards_by_category/advice/judge": 0.2,
    }


# ------------------------------------------------------------------------------------------------ decline share


def test_decline_share_cuts_the_larger_side_to_a_seeded_subset() -> None:
    decisions = ["refuse"] * 6 + ["safe_complete"] * 2 + ["comply"] * 8 + [None] * 2
    keys = [f"k{i}" for i in range(len(decisions))]
    kept = decline_share_rows(decisions, keys, 0.4)
    declining = [i for i in kept if decisions[i] in ("refuse", "safe_complete")]
    answering = [i for i in kept if decisions[i] == "comply"]
    assert len(answering) == 8 and len(declining) == round(8 * 0.4 / 0.6) == 5  # 5 of 13 with a decision: 0.38
    assert {16, 17} <= set(kept) and kept == sorted(kept)  # rows without a decision stay, in order
    assert decline_share_rows(decisions, keys, 0.4) == kept  # deterministic
    assert decline_share_rows(decisions, keys, 0.4, seed=1) != kept  # another seed, another subset, same size
    assert len(decline_share_rows(decisions, keys, 0.4, seed=1)) == len(kept)
    more = decline_share_rows(decisions, keys, 0.8)  # now the answers are cut: 8 declining, 2 answering
    assert sum(decisions[i] == "comply" for i in more) == 2 and sum(decisions[i] in ("refuse", "safe_complete")
                                                                    for i in more) == 8


def test_decline_share_needs_both_sides_and_a_decision_column() -> None:
    from datasets import Dataset

    with pytest.raises(DataError, match="0 decline, 3 answer"):
        decline_share_rows(["comply"] * 3, ["a", "b", "c"], 0.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        decline_share_rows(["comply", "refuse"], ["a", "b"], 1.0)
    with pytest.raises(DataError, match="`decision` column"):
        cut_to_decline_share(Dataset.from_list(generation_rows()), 0.5)
    rows = [r | {"decision": "refuse" if i < 6 else "comply", "key": f"k{i}"} for i, r in enumerate(generation_rows())]
    cut = cut_to_decline_share(Dataset.from_list(rows), 0.5)
    assert [r["decision"] for r in cut].count("refuse") == 2 and len(cut) == 4
