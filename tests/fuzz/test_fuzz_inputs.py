"""A fuzz corpus of bad input files, run through every command that reads a file (spec files and bundle
manifests are fuzzed in tests/spec_lang and tests/compiler).

Each file in `tests/fuzz/inputs/` (plus the few large ones `GENERATED` writes) is fed to the commands of
its folder, as a user runs them (`main()`, its error mapping included). Every case must:

- exit 1 or 2, never 70 ("internal error") and never with a traceback;
- name the file, and `path:LINE` when its name says `.L<LINE>.` (the line the problem is on);
- write nothing outside `-o`: the folder holding the inputs, the working folder, `$HOME` and
  `$DELIB_CACHE` all lie in one sentinel folder that must be unchanged afterwards.

Folders: `jsonl/` (JSONL problems every JSONL reader must report: prompt files, labelled answers, SFT
data), `prompts/` (prompt-file rows and formats), `labelled/` (`delib eval-judge`), `sft_data/` (a
generation folder's `data.jsonl`), `toml/` (`delib.toml`), `specbench/` (one SpecBench folder per case)
and `xstest/` (XSTest's CSV). Only fake backends and a fake model folder are used: nothing loads a model.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler import write_bundle
from tests.trainer.tiny_policy import TINY_POLICY, tiny_bundle

INPUTS = Path(__file__).parent / "inputs"
DEEP = 100_000
GENERATED: dict[str, str] = {
    "jsonl/deep_array.L1.jsonl": '{"prompt": ' + "[" * DEEP + "]" * DEEP + "}\n",
    "jsonl/deep_object.L1.jsonl": '{"prompt": "x", "m": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}\n",
    "prompts/deep_messages_cell.L2.csv": 'messages,category\n"' + "[" * DEEP + "]" * DEEP + '",weapons\n',
    "toml/deep_array.L1.toml": "x = " + "[" * DEEP + "1" + "]" * DEEP + "\n",
    "toml/deep_table.L1.toml": "x = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n",
    "toml/deep_in_section.L3.toml": "[spec]\npaths = ['policies']\ntokenizer = " + "[" * 500 + "]" * 500 + "\n",
    "specbench/deep/Biochem/prompts.json": "[" * DEEP + "]" * DEEP + "\n",
}
"""Cases too large to keep as files (name -> content), written beside the others."""

PROMPT_COMMANDS = {
    "generate": "generate {bundle} --prompts {file} -o {out} --generator fake --judge fake",
    "eval": "eval fake -b {bundle} -p {file} -o {out} --judge fake",
    "retrieve": "retrieve {spec} --queries {file}",
    "eval-retrieval": "eval-retrieval {spec} --labeled {file}",
    "train-rl": "train rl {bundle} --prompts {file} --model hf:{model} -o {out}",
}
COMMANDS: dict[str, dict[str, str]] = {
    "jsonl": {**PROMPT_COMMANDS, "eval-judge": "eval-judge -l {file} --bundle {bundle} --judge fake",
              "train-sft": "train sft {data} -o {out} --model hf:{model}"},
    "prompts": PROMPT_COMMANDS,
    "labelled": {"eval-judge": "eval-judge -l {file} --bundle {bundle} --judge fake"},
    "sft_data": {"train-sft": "train sft {data} -o {out} --model hf:{model}"},
    "toml": {"status": "status -C {file}", "build": "build -C {file}"},
    "specbench": {"specbench": "prompts specbench {file} -o {out}/prompts.jsonl --policy {out}/policy.md"},
    "xstest": {"xstest": "prompts xstest {file} -o {out}/prompts.jsonl"},
}


def _cases() -> list[tuple[str, str, str]]:
    """`(folder, case name, command)` for every input and every command of its folder."""
    names = {p.relative_to(INPUTS).parts[:2] for p in INPUTS.rglob("*") if p.is_file()}
    names |= {tuple(name.split("/")[:2]) for name in GENERATED}
    return [(folder, name, command) for folder, name in sorted(names) for command in COMMANDS[folder]]


def _snapshot(root: Path, skip: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))
            if skip not in p.parents and p != skip}


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny policy, its compiled bundle, and a folder that passes for a transformers model."""
    root = tmp_path_factory.mktemp("fuzz-fixtures")
    write_bundle(tiny_bundle(), root / "bundle")
    (root / "model").mkdir()
    (root / "model" / "config.json").write_text("{}\n", encoding="utf-8")
    return {"bundle": root / "bundle", "spec": TINY_POLICY, "model": root / "model"}


@pytest.mark.parametrize(("folder", "name", "command"), _cases())
def test_bad_input_is_one_clear_error(folder: str, name: str, command: str, fixtures: dict[str, Path],
                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      delib_cli: Callable[..., tuple[int, str, str]]) -> None:
    sentinel, out = tmp_path / "sentinel", tmp_path / "sentinel" / "out"
    inputs = sentinel / "inputs"
    for sub in ("cwd", "home", "cache"):
        (sentinel / sub).mkdir(parents=True)
    shutil.copytree(INPUTS / folder, inputs / folder)
    for generated, content in GENERATED.items():
        if generated.startswith(f"{folder}/{name}"):
            (inputs / generated).parent.mkdir(parents=True, exist_ok=True)
            (inputs / generated).write_text(content, encoding="utf-8")
    file = inputs / folder / name
    data = sentinel / "gen"
    if folder in ("jsonl", "sft_data"):  # `delib train sft` reads a generation folder's data.jsonl
        data.mkdir()
        shutil.copy(file, data / "data.jsonl")
    monkeypatch.chdir(sentinel / "cwd")
    monkeypatch.setenv("HOME", str(sentinel / "home"))
    monkeypatch.setenv("DELIB_CACHE", str(sentinel / "cache"))
    before = _snapshot(sentinel, out)

    args = COMMANDS[folder][command].format(file=file, out=out, data=data, **fixtures).split()
    code, stdout, stderr = delib_cli(*args)

    assert code in (1, 2), f"exit {code}\n{stdout}\n{stderr}"
    assert "internal error" not in stderr and "Traceback" not in stdout + stderr, stderr
    line = re.search(r"\.L(\d+)\.", name)
    named = (data / "data.jsonl" if line else data) if command == "train-sft" else file
    where = f"{named}:{line[1]}" if line else str(named)
    assert where in stderr, f"expected {where!r} in:\n{stderr}"
    assert _snapshot(sentinel, out) == before, "a file outside -o was written or changed"
