"""`delib init`, `delib build`, `delib status`: the whole pipeline as an incremental build, on the tiny
Llama (training) and a local fake OpenAI-compatible server (generation and judging, over real HTTP)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import tomllib

from tests.paths import POLICIES
from tests.trainer.policy_edits import edit_privacy
from tests.trainer.scripted_models import completion, verdict_json
from trainer.project import TEMPLATE, ProjectError, build, load_project, status
from trainer.project.config import Project
from trainer.training import read_manifest

CATEGORIES = ("violence", "privacy", "cyber")


def _script(fake: ModuleType) -> Any:
    def reply(request: Any) -> Any:
        body = request.body
        if "logprobs" in body:
            return fake.chat_reply("5", top_logprobs=[("5", -0.05)])
        if "response_format" in body:
            return fake.chat_reply(verdict_json(5))
        return fake.chat_reply(completion(answer=body["messages"][-1]["content"]))

    return reply


def _generation_requests(server: Any) -> list[str]:
    return [r.body["messages"][-1]["content"] for r in server.chat_requests
            if "logprobs" not in r.body and "response_format" not in r.body]


def _project(root: Path, url: str, model_dir: Path) -> Path:
    shutil.copytree(POLICIES, root / "policies")
    rows = [{"prompt": f"Question {i} about {c}?", "category": c} for c in CATEGORIES for i in range(2)]
    (root / "prompts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    backend = f"openai:{url}#fake-model"
    (root / "delib.toml").write_text(f'''
[spec]
paths = ["policies"]
tokenizer = "approx"

[backends]
generator = "{backend}"
judge = "{backend}"

[generate]
prompts = "prompts.jsonl"
samples = 2
judge_runs = 1
batch_size = 6

[sft]
model = "hf:{model_dir}"
max_steps = 1
batch_size = 2
max_length = 256
learning_rate = 1e-3
bf16 = false

[rl]
max_steps = 1
batch_size = 2
num_generations = 2
max_completion_length = 8
bf16 = false

[eval]
limit = 3
max_new_tokens = 8
''', encoding="utf-8")
    return root / "delib.toml"


def test_template_is_valid_and_documents_every_table() -> None:
    project = Project(root=Path("."), **tomllib.loads(TEMPLATE))
    assert project == Project(root=Path("."))  # the template shows the defaults
    for table in ("[spec]", "[build]", "[backends]", "[generate]", "[sft]", "[rl]", "[eval]"):
        assert table in TEMPLATE


def test_init_writes_the_template_once(tmp_path: Path, delib_cli: Any) -> None:
    code, stdout, _ = delib_cli("init", str(tmp_path))
    assert code == 0 and (tmp_path / "delib.toml").read_text() == TEMPLATE
    code, _, err = delib_cli("init", str(tmp_path))
    assert code == 2 and "exists already" in err
    assert delib_cli("init", str(tmp_path), "--force")[0] == 0


@pytest.mark.parametrize(("text", "message"), [
    ("[spec\n", "invalid TOML"),
    ("[sft]\nmax_stepz = 3\n", "sft.max_stepz: Extra inputs are not permitted"),
    ("[build]\nstages = ['lint', 'deploy']\n", "build.stages.1: Input should be"),
    ("x = 1\ny = = 2\n", "delib.toml:2: invalid TOML"),
    ("\ufeff[sft]\nmax_stepz = 3\n", "sft.max_stepz: Extra inputs"),  # a byte-order mark is fine
    ("x = " + "[" * 100_000 + "1" + "]" * 100_000 + "\n", "delib.toml:1: arrays or tables nested too deeply"),
    ("x = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n", "delib.toml:1: arrays or tables nested too deeply"),
    ("[spec]\npaths = ['p']\ntokenizer = " + "[" * 40 + "]" * 40 + "\n", "delib.toml:3: arrays or tables nested"),
    ("[generate]\nseed = 1" + "0" * 5000 + "\n", "delib.toml:2: a number too long to read"),
])
def test_bad_project_files_exit_2(text: str, message: str, tmp_path: Path, delib_cli: Any) -> None:
    (tmp_path / "delib.toml").write_text(text)
    with pytest.raises(ProjectError, match=message.replace("[", r"\[").replace(".", r"\.")):
        load_project(tmp_path)
    for command in ("build", "status"):
        code, _, err = delib_cli(command, "-C", str(tmp_path))
        assert code == 2 and message in err and "Traceback" not in err
    code, _, err = delib_cli("status", "-C", str(tmp_path / "nowhere"))
    assert code == 2 and "no project file" in err and "delib init" in err


def test_build_runs_every_stage_then_only_what_a_spec_change_touches(
        tmp_path: Path, tiny_model_dir: Path, fake_openai: ModuleType, fake_openai_server: Any,
        delib_cli: Any) -> None:
    server = fake_openai_server(_script(fake_openai))
    project = load_project(_project(tmp_path, server.url, tiny_model_dir))
    assert {s.state for s in status(project)} <= {"never built", "blocked"}

    first = build(project, echo=lambda _: None)
    assert [s.stage for s in first] == ["lint", "compile", "generate", "sft", "rl", "eval"]
    out = tmp_path / "build"
    state = json.loads((out / "build.json").read_text())["stages"]
    sft_run, rl_run = tmp_path / state["sft"]["outputs"]["run"], tmp_path / state["rl"]["outputs"]["run"]
    assert state["sft"]["outputs"]["run"].startswith("build/runs/sft-")  # relative to the project folder
    assert (rl_run / "final" / "config.json").is_file() and (tmp_path / state["eval"]["outputs"]["report"]).is_file()
    assert not any(str(tmp_path) in json.dumps(record) for record in state.values())
    # nor does the SFT data (its rows name their prompt file relative to the project), so the run keys of the
    # same training are the same wherever the project lies
    data = (tmp_path / state["generate"]["outputs"]["data"] / "data.jsonl").read_text()
    assert str(tmp_path) not in data and '"source": "prompts.jsonl:1"' in data
    assert len(_generation_requests(server)) == 12  # 6 prompts x 2 samples
    code, stdout, _ = delib_cli("status", "-C", str(tmp_path))
    assert code == 0 and stdout.count("up to date") == 6

    # Nothing changed: nothing runs, no model is called.
    before = len(server.chat_requests)
    lines: list[str] = []
    build(project, echo=lines.append)
    assert all(line.endswith(")") and ": up to date (" in line for line in lines)
    assert len(server.chat_requests) == before

    # One category edited: status says why; the build regenerates only that category's prompts and
    # continues SFT from the previous run.
    edit_privacy(tmp_path / "policies")
    code, stdout, _ = delib_cli("status", "-C", str(tmp_path))
    assert code == 1 and "stale" in stdout and "spec file policies/safety.md" in stdout and "spec revisions" in stdout
    assert "delib.toml" in stdout and "\n.\n" not in stdout  # the table is titled by the project file
    sent = len(_generation_requests(server))
    build(project, echo=lambda _: None)
    regenerated = _generation_requests(server)[sent:]
    assert sorted(regenerated) == sorted(f"Question {i} about privacy?" for i in range(2) for _ in range(2))
    state = json.loads((out / "build.json").read_text())["stages"]
    new_sft = tmp_path / state["sft"]["outputs"]["run"]
    manifest = read_manifest(new_sft / "run.json")
    assert new_sft != sft_run and manifest is not None and manifest.parent_run == str(sft_run)
    assert tmp_path / state["rl"]["outputs"]["run"] != rl_run

    # A moved checkout (or CI at another path) is still up to date: build.json holds no absolute path.
    moved = tmp_path.parent / f"{tmp_path.name}-moved"
    shutil.copytree(tmp_path, moved)
    code, stdout, _ = delib_cli("status", "-C", str(moved), "--json")
    assert code == 0 and {s["state"] for s in json.loads(stdout)["stages"]} == {"up to date"}, stdout


def test_the_generate_table_is_generation_config_with_flat_judge_keys(tmp_path: Path) -> None:
    from trainer.generation import GenerationConfig
    from trainer.project.config import GenerateSection

    section = GenerateSection(top_p=0.5, judge_runs=2, verdict_tokens=64, guided=True)
    config = section.config()
    assert isinstance(config, GenerationConfig) and (config.top_p, config.guided, config.seed) == (0.5, True, 0)
    assert (config.judge.runs, config.judge.max_new_tokens) == (2, 64)
    # every generation setting is a key of the table, under the same name (one definition, not a copy)
    assert set(GenerationConfig.model_fields) - {"judge"} <= set(GenerateSection.model_fields)
    with pytest.raises(ValueError, match="judge_runs"):
        GenerateSection.model_validate({"judge": {"runs": 2}})
