"""One command line: every command takes `--json`, one name per concept (and the `delib.toml` key of the
same name), the same `--limit` range, no short flag meaning two things, `--version`, completion, help
without type noise, and exit 1 for a run that produced nothing usable."""

from __future__ import annotations

import inspect
import json
import os
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from pydantic import BaseModel

from compiler import write_bundle
from tests.paths import POLICIES
from tests.trainer.tiny_policy import tiny_bundle
from trainer.cli import app
from trainer.project.config import GenerateSection, Project

Cli = Callable[..., tuple[int, str, str]]
ROOT = typer.main.get_command(app)


# typer runs on its own copy of click, so parameters are told apart by what they are, not by click's classes.


def _is_option(param: Any) -> bool:
    return bool(param.param_type_name == "option")


def _commands(group: Any = ROOT, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, command in getattr(group, "commands", {}).items():
        if hasattr(command, "commands"):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def _command(path: str) -> Any:
    command: Any = ROOT
    for part in path.split():
        command = command.commands[part]
    return command


def _names(command: Any, hidden: bool = False) -> set[str]:
    return {name for p in command.params if _is_option(p) and (hidden or not p.hidden)
            for name in (*p.opts, *p.secondary_opts)}


COMMANDS = sorted(name for name, _ in _commands())


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_takes_json(name: str) -> None:
    assert "--json" in _names(_command(name))


@pytest.mark.parametrize("name", COMMANDS)
def test_help_has_no_bool_noise(name: str, delib_cli: Cli) -> None:
    code, stdout, _ = delib_cli(*name.split(), "--help")
    assert code == 0 and "--json" in stdout and "<bool>" not in stdout


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_and_argument_says_what_it_is(name: str) -> None:
    assert [p.name for p in _command(name).params if not getattr(p, "hidden", False) and not p.help] == []


@pytest.mark.parametrize("name", COMMANDS)
def test_help_prints_its_text_as_written(name: str, delib_cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Brackets stay (`openai:URL[#MODEL]` is not rich markup) and a docstring's line breaks do not cut its
    sentences: each paragraph prints as one line on a wide terminal (the terminal wraps it)."""
    monkeypatch.setenv("COLUMNS", "2000")
    _, stdout, _ = delib_cli(*name.split(), "--help")
    command = _command(name)
    raw = [" ".join(p.split()) for p in inspect.cleandoc(_raw_help(name)).split("\n\n")]
    lines = [" ".join(line.strip(" │").split()) for line in stdout.splitlines()]
    assert [p for p in raw if p not in lines] == []
    shown = " ".join(lines)
    for param in command.params:
        for bracketed in re.findall(r"\[[^\]]*\]", getattr(param, "help", None) or ""):
            assert bracketed.replace("\\[", "[") in shown, (param.name, bracketed)


@pytest.mark.parametrize("group", ["", "train", "prompts"])
def test_command_lists_show_each_summary_on_one_line(group: str, delib_cli: Cli,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "2000")
    _, stdout, _ = delib_cli(*group.split(), "--help")
    lines = [" ".join(line.strip(" │").split()) for line in stdout.splitlines()]
    for name in (n for n in COMMANDS if n.startswith(group) and len(n.split()) == len(group.split()) + 1):
        summary = " ".join(inspect.cleandoc(_raw_help(name)).split("\n\n")[0].split())
        assert f"{name.split()[-1]} {summary}" in lines, name


def _raw_help(name: str) -> str:
    """The command's docstring, as written (before the app tidies it for `--help`)."""
    info = next(c for c in _typer_commands(app) if c[0] == name)[1]
    return str(info.help or inspect.getdoc(info.callback) or "")


def _typer_commands(typer_app: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for info in typer_app.registered_commands:
        yield f"{prefix}{info.name or info.callback.__name__.replace('_', '-')}", info
    for group in typer_app.registered_groups:
        yield from _typer_commands(group.typer_instance, f"{prefix}{group.name} ")


@pytest.mark.parametrize("name", COMMANDS)
def test_limit_accepts_the_same_range_everywhere(name: str) -> None:
    for param in _command(name).params:
        if param.name == "limit":
            assert (param.min, param.max) == (1, None), name


def test_no_visible_short_flag_means_two_things() -> None:
    meanings: dict[str, set[str]] = {}
    for _, command in _commands():
        for p in command.params:
            if _is_option(p) and not p.hidden:
                long = max(p.opts, key=len)
                for short in (o for o in p.opts if re.fullmatch(r"-[A-Za-z]", o)):
                    meanings.setdefault(short, set()).add(long)
    assert {short: longs for short, longs in meanings.items() if len(longs) > 1} == {}


def test_version_and_completion(delib_cli: Cli) -> None:
    from importlib.metadata import version

    assert delib_cli("--version") == (0, f"delib {version('deliberative')}\n", "")
    assert {"--install-completion", "--show-completion"} <= {n for p in ROOT.params for n in p.opts}


# ------------------------------------------------------------------------------------------------ toml keys

SECTION_COMMANDS = {"generate": "generate", "sft": "train sft", "rl": "train rl", "eval": "eval",
                    "spec": "compile"}
NOT_FLAGS = {
    "spec.paths": "the SPEC arguments",
    "eval.compare_base": "`delib eval --vs` names the model to compare with",
}
TOML_NAMES = {"rl.rewards.judge_tokens": "verdict_tokens"}
"""Fields whose `delib.toml` key is another name (the field's name is still read, as the old key)."""


def _keys(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, str]]:
    """(dotted key, flag stem) of every key of a project table; a nested table's keys are flags named
    `--TABLE-KEY` (`[sft.lora] r` is `--lora-r`), `[rl.rewards]` keys are flags as they are."""
    for name, field in model.model_fields.items():
        if field.exclude:  # not a key of the table (`GenerateSection.judge` is built from flat keys)
            continue
        key = f"{prefix}.{name}"
        inner = next((t for t in getattr(field.annotation, "__args__", (field.annotation,))
                      if isinstance(t, type) and issubclass(t, BaseModel)), None)
        if inner is not None:
            if name in ("lora", "vllm"):
                yield key, name  # the table's own switch (--lora) or its mode (--vllm-mode)
            for sub, stem in _keys(inner, key):
                yield sub, stem if name == "rewards" else f"{name}_{stem}"
            continue
        yield key, TOML_NAMES.get(key, name)


def _toml_keys() -> list[tuple[str, str, str]]:
    found = []
    for section, command in SECTION_COMMANDS.items():
        model = type(getattr(Project(root=Path(".")), section))
        found += [(key, stem, command) for key, stem in _keys(model, section)]
    found += [("backends.generator", "generator", "generate"), ("backends.judge", "judge", "generate")]
    return found


@pytest.mark.parametrize(("key", "stem", "command"), _toml_keys(), ids=lambda v: str(v))
def test_every_toml_key_has_a_flag_of_the_same_name(key: str, stem: str, command: str) -> None:
    if key in NOT_FLAGS:
        return
    names = _names(_command(command))
    flag = "--" + stem.replace("_", "-")
    assert flag in names or f"{flag}-mode" in names, f"{key}: no {flag} on `delib {command}`"


def test_generate_seed_defaults_to_the_toml_default() -> None:
    seed = next(p for p in _command("generate").params if p.name == "seed")
    assert seed.default == GenerateSection().seed == 0


def test_old_toml_names_are_still_read(tmp_path: Path) -> None:
    from trainer.project import load_project

    (tmp_path / "delib.toml").write_text("[generate]\njudge_tokens = 17\n[rl.rewards]\nverdict_tokens = 19\n")
    project = load_project(tmp_path)
    assert project.generate.verdict_tokens == 17 and project.rl.rewards.judge_tokens == 19
    assert project.generate.config().judge.max_new_tokens == 17


# ------------------------------------------------------------------------------------------------ old names


@pytest.fixture
def bundle_dir(tmp_path: Path) -> Path:
    write_bundle(tiny_bundle(), tmp_path / "bundle")
    return tmp_path / "bundle"


def _prompts(tmp_path: Path) -> Path:
    path = tmp_path / "prompts.jsonl"
    path.write_text("".join(json.dumps({"prompt": f"How do I roast a friend? ({i})", "category": "insults"}) + "\n"
                            for i in range(2)))
    return path


def test_deprecated_names_still_work_with_a_warning(tmp_path: Path, bundle_dir: Path, delib_cli: Cli) -> None:
    code, stdout, err = delib_cli("generate", str(bundle_dir), "-p", str(_prompts(tmp_path)), "-o",
                                  str(tmp_path / "out"), "--backend", "fake", "--judge", "fake", "-n", "1", "-k", "1",
                                  "--json")
    assert code == 0, err
    for old, new in (("--backend", "--generator"), ("-n", "--samples"), ("-k", "--judge-runs")):
        assert f"warning: {old} is deprecated; use {new}" in err
    report = json.loads(stdout)
    assert report["units"] == 2 and report["per_category"]["insults"]["kept"] == 2
    help_text = delib_cli("generate", "--help")[1]
    assert "--backend" not in help_text and "--generator" in help_text


# ------------------------------------------------------------------------------------------------ exit codes


def test_the_documented_fake_path_keeps_rows_with_default_settings(tmp_path: Path, bundle_dir: Path,
                                                                    delib_cli: Cli) -> None:
    out = tmp_path / "out"
    code, _, err = delib_cli("generate", str(bundle_dir), "-p", str(_prompts(tmp_path)), "-o", str(out),
                             "--generator", "fake", "--judge", "fake")
    assert code == 0, err
    assert len((out / "data.jsonl").read_text().splitlines()) == 2
    umask = os.umask(0)
    os.umask(umask)
    for folder in (out / "dataset", out / "dataset" / "train"):  # readable by teammates, as mkdir makes it
        assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~umask, folder


@pytest.mark.parametrize("name", ["lint", "diff", "fmt", "compile", "status", "build", "generate", "test"])
def test_commands_that_can_exit_1_say_when_in_their_help(name: str) -> None:
    assert re.search(r"\bExit\b[^.]*\b1\b", " ".join(_raw_help(name).split())), name


def test_generate_that_keeps_nothing_exits_1(tmp_path: Path, bundle_dir: Path, delib_cli: Cli) -> None:
    code, _, err = delib_cli("generate", str(bundle_dir), "-p", str(_prompts(tmp_path)), "-o",
                             str(tmp_path / "out"), "--generator", "fake", "--judge", "fake", "--samples", "1",
                             "--max-new-tokens", "3")  # every completion cut off: nothing keepable
    assert code == 1 and "error: the judge kept no row (2 candidates)" in err and "hint: lower --threshold" in err


def test_build_that_keeps_nothing_exits_1(tmp_path: Path, delib_cli: Cli) -> None:
    import shutil

    shutil.copytree(POLICIES, tmp_path / "policies")
    rows = [{"prompt": "How do I hurt someone?", "category": "violence"}]
    (tmp_path / "prompts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "delib.toml").write_text('[spec]\npaths = ["policies"]\ntokenizer = "approx"\n'
                                         '[backends]\ngenerator = "fake"\njudge = "fake"\n'
                                         '[generate]\nsamples = 1\njudge_runs = 1\nmax_new_tokens = 3\n')
    code, _, err = delib_cli("build", "-C", str(tmp_path), "--until", "generate")
    assert code == 1 and "the judge kept no row" in err
    code, stdout, _ = delib_cli("status", "-C", str(tmp_path), "--json")
    states = {s["stage"]: s["state"] for s in json.loads(stdout)["stages"]}
    assert code == 1 and states["compile"] == "up to date" and states["generate"] == "never built"


def test_emoji_codes_in_output_stay_text(capsys: pytest.CaptureFixture[str]) -> None:
    """`:smile:` in a spec's text is text: rich's emoji replacement is off on stdout and stderr."""
    from trainer.cli._app import err, print_json

    print_json({"title": "Say :smile: to the user"})
    err.print("rule :wave: here", markup=False)
    captured = capsys.readouterr()
    assert ":smile:" in captured.out and ":wave:" in captured.err
