"""`delib generate` as a user runs it: exit codes, messages without tracebacks, dry runs, and a real process
killed mid-run and resumed (no duplicate, no missing row, only the remaining calls)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from compiler import write_bundle
from compiler.bundle import load_bundle
from tests.trainer.generation.gen_helpers import GUN, KILL, ROAST
from tests.trainer.scripted_models import completion, verdict_json
from tests.trainer.tiny_policy import TINY_POLICY, tiny_bundle
from trainer.generation import candidate_log, read_jsonl, read_recipe

DelibCli = Callable[..., tuple[int, str, str]]
DELIB = str(Path(sys.executable).parent / "delib")


@pytest.fixture
def bundle_dir(tmp_path: Path) -> Path:
    write_bundle(tiny_bundle(), tmp_path / "bundle")
    return tmp_path / "bundle"


def prompts_file(tmp_path: Path, n: int = 3, category: bool = True) -> Path:
    texts = [KILL, ROAST, GUN]
    path = tmp_path / "prompts.jsonl"
    with path.open("w") as handle:
        for i in range(n):
            text = f"{texts[i % 3]} (#{i})"
            row = {"prompt": text, "category": "insults" if "Roast" in text else "weapons"} if category else \
                {"prompt": text}
            handle.write(json.dumps(row) + "\n")
    return path


@pytest.mark.parametrize(("case", "message"), [
    ("missing_bundle", "no bundle here (manifest.json is missing)"),
    ("bad_prompts", "prompts.jsonl:1: not JSON (Expecting property name enclosed in double quotes at column 2)"),
    ("missing_column", "no column 'text'"),
    ("bad_backend", "invalid model address 'gpt4'"),
    ("no_category", "have no category (first: "),
    ("unknown_category", "name a category the bundle does not have"),
    ("wrong_spec", "is not one the bundle was compiled from"),
])
def test_bad_input_exits_2_without_traceback(case: str, message: str, tmp_path: Path, bundle_dir: Path,
                                             delib_cli: DelibCli) -> None:
    prompts = prompts_file(tmp_path)
    args = [str(bundle_dir), "--prompts", str(prompts), "-o", str(tmp_path / "out"), "--generator", "fake",
            "--judge", "fake"]
    if case == "missing_bundle":
        args[0] = str(tmp_path / "nope")
    elif case == "bad_prompts":
        prompts.write_text("{oops\n")
    elif case == "missing_column":
        args += ["--prompt-column", "text"]
    elif case == "bad_backend":
        args[args.index("--generator") + 1] = "gpt4"
    elif case == "no_category":  # a bundle without its spec snapshot (older delib), and no --spec
        prompts_file(tmp_path, category=False)
        shutil.copytree(bundle_dir, tmp_path / "old-bundle")
        shutil.rmtree(tmp_path / "old-bundle" / "sources")
        args[0] = str(tmp_path / "old-bundle")
    elif case == "unknown_category":
        prompts.write_text(json.dumps({"prompt": "x", "category": "nope"}) + "\n")
    elif case == "wrong_spec":
        other = tmp_path / "other.md"
        other.write_text(TINY_POLICY.read_text()
                         .replace("Answer directly.", "Answer at once."))
        prompts_file(tmp_path, category=False)
        args += ["--spec", str(other)]
    code, _, err = delib_cli("generate", *args)
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "out" / "data.jsonl").exists()


def test_fake_run_then_dry_run(tmp_path: Path, bundle_dir: Path, delib_cli: DelibCli) -> None:
    out = tmp_path / "out"
    base = [str(bundle_dir), "--prompts", str(prompts_file(tmp_path)), "-o", str(out), "--generator", "fake",
            "--judge", "fake", "--samples", "2"]
    code, stdout, err = delib_cli("generate", *base, "--dry-run")
    assert code == 0 and not out.exists() and "prompts per category: weapons 2, insults 1" in stdout
    code, stdout, err = delib_cli("generate", *base)
    assert code == 0, err
    assert "6 units: 0 cached, 6 to generate, 0 to judge again" in err and "total" in stdout
    # the `fake` backend answers in the format and its judge passes every answer: one kept row per prompt
    assert len(read_jsonl(out / "candidates.jsonl")) == 6 and len(read_jsonl(out / "data.jsonl")) == 3
    assert (out / "README.md").exists() and (out / "dataset" / "dataset_dict.json").exists()
    recipe = read_recipe(out)
    assert recipe is not None and recipe.backend == recipe.judge == "fake" and recipe.config.samples == 2
    assert recipe.config.panel and recipe.config.panel_llm  # the judge panel by default, the LLM judge a member
    assert {r["judge_model"] for r in read_jsonl(out / "candidates.jsonl")} == {"panel:fake+opening"}
    assert recipe.prompts.path == str((tmp_path / "prompts.jsonl").resolve())
    assert load_bundle(out / "bundle").manifest == load_bundle(bundle_dir).manifest  # the bundle used, copied
    code, stdout, _ = delib_cli("generate", *base, "--dry-run", "--samples", "3")
    assert code == 0 and "3 prompts (0 still to route by retrieval), 9 units: 6 cached, 3 to generate" in stdout
    assert read_recipe(out).config.samples == 2  # type: ignore[union-attr]  # a dry run records nothing


@pytest.mark.slow
def test_prompts_without_category_are_routed_by_the_bundles_own_spec(
        tmp_path: Path, bundle_dir: Path, monkeypatch: pytest.MonkeyPatch, delib_cli: DelibCli,
        delib_model_cache: Path) -> None:
    monkeypatch.setenv("DELIB_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    code, _, err = delib_cli("generate", str(bundle_dir), "--prompts", str(prompts_file(tmp_path, category=False)),
                             "-o", str(out), "--generator", "fake", "--judge", "fake", "--samples", "1")
    assert code == 0, err
    rows = read_jsonl(out / "candidates.jsonl")
    routed = {row["prompt"][0]["content"].split(" (#")[0]: row["category"] for row in rows}  # type: ignore[index]
    assert routed == {KILL: "weapons", ROAST: "insults", GUN: "weapons"}


def _slow_script(fake: ModuleType, delay: float) -> Any:
    def reply(request: Any) -> Any:
        body = request.body
        if "logprobs" in body:
            return fake.chat_reply("5", top_logprobs=[("5", -0.05)], delay_s=delay)
        if "response_format" in body:
            return fake.chat_reply(verdict_json(5), delay_s=delay)
        return fake.chat_reply(completion(answer=body["messages"][-1]["content"]), delay_s=delay)

    return reply


def _kinds(requests: list[Any]) -> dict[str, int]:
    out = {"generate": 0, "judge": 0, "probs": 0}
    for r in requests:
        out["probs" if "logprobs" in r.body else "judge" if "response_format" in r.body else "generate"] += 1
    return out


def test_killed_run_resumes_without_duplicates_or_losses(tmp_path: Path, bundle_dir: Path, fake_openai: ModuleType,
                                                        fake_openai_server: Any) -> None:
    server = fake_openai_server(_slow_script(fake_openai, 0.25))
    out = tmp_path / "out"
    spec = f"openai:{server.url}#fake-model"
    args = [DELIB, "generate", str(bundle_dir), "--prompts", str(prompts_file(tmp_path, n=8)), "-o", str(out),
            "--generator", spec, "--judge", spec, "--samples", "2", "--judge-runs", "1", "--batch-size", "1"]
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    log = out / ".work" / "candidates.log.jsonl"
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if log.exists() and len(log.read_bytes().splitlines()) >= 3:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run finished before it could be killed; slow the server down"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert not (out / "data.jsonl").exists()
    saved = candidate_log(out).load()
    generated = sum(c.generated for c in saved.values())
    judged = sum(c.judgement is not None for c in saved.values())
    assert 0 < generated < 16
    first = _kinds(server.chat_requests)
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    second = {k: v - first[k] for k, v in _kinds(server.chat_requests).items()}
    assert second["generate"] == 16 - generated
    assert second["judge"] == 16 - judged and second["probs"] <= second["judge"]
    rows = read_jsonl(out / "candidates.jsonl")
    keys = [r["key"] for r in rows]
    assert len(rows) == 16 and len(set(keys)) == 16
    kept = read_jsonl(out / "data.jsonl")
    assert len(kept) == 8 and len({r["prompt_key"] for r in kept}) == 8
    assert all(r["status"] == "kept" and r["judge_score"] is not None for r in kept)
    again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and _kinds(server.chat_requests) == {k: first[k] + second[k] for k in first}
    assert "16 units: 16 cached, 0 to generate" in again.stderr
