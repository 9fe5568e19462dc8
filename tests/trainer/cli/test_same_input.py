"""One way to do each thing, end to end: the same input gets the same answer from every command that reads
it (`delib generate`, `eval`, `eval-judge`, `retrieve`, `train rl`, `build`), run as a user runs them.

A prompt file with a byte-order mark, `\\r\\n` line ends and a multi-turn `messages` column is read by all;
a bad model address is refused by all, before any model loads, with the same message; a category the
bundle lacks is refused by all that read categories with `trainer.routing.unknown_categories`' message,
naming `path:line`. Nothing ends in a traceback. (The readers agree at the library level too:
tests/fuzz/test_readers_agree.py.)"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

import compiler.retrieval
from compiler import write_bundle
from tests.trainer.evaluation.eval_helpers import HashEmbedder
from tests.trainer.tiny_policy import TINY_POLICY, tiny_bundle
from trainer.cli._app import CliError

Cli = Callable[..., tuple[int, str, str]]

COMMANDS = ("generate", "eval", "eval-judge", "retrieve", "train rl", "build")
READ_CATEGORIES = tuple(c for c in COMMANDS if c != "retrieve")  # `retrieve` ranks categories; it reads none
TURNS = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Roast me, gently."}]
NOT_LOADED = "stopped before loading the model (this test loads none)"
"""What `delib train rl` says here once its inputs are read: training itself is other tests' business."""


@pytest.fixture(autouse=True)
def _no_models(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No model loads: retrieval embeds with a hashing stand-in, `train rl` stops where it would load the model."""

    def stop(*args: object, **kwargs: object) -> None:
        raise CliError(NOT_LOADED)

    monkeypatch.setattr(compiler.retrieval, "SentenceTransformerEmbedder", lambda path=None: HashEmbedder())
    monkeypatch.setattr("trainer.training.rl.load_model", stop)
    monkeypatch.setenv("DELIB_CACHE", str(tmp_path / "cache"))


def _command_line(command: str, tmp: Path, category: str = "insults", model: str | None = None) -> list[str]:
    """The command line of `command` over the same prompt file (a byte-order mark, `\\r\\n`, `messages`),
    written into `tmp` with `category`; `model`: the address given to the command's model option, else
    the cheapest that works (`fake`, or for `train rl` a folder that looks like a model)."""
    bundle = tmp / "bundle"
    write_bundle(tiny_bundle(), bundle)
    row = {"messages": TURNS, "category": category, "response": "Sure: your plants are thriving."}
    if command == "eval-judge":
        row["label"] = "comply"  # its labels are styles; a prompt file's `label` is safe/unsafe
    prompts = tmp / "prompts.jsonl"
    prompts.write_bytes(("\ufeff" + json.dumps(row) + "\r\n").encode())
    folder = tmp / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}", encoding="utf-8")
    given = model or ("fake" if command != "train rl" else str(folder))
    (tmp / "delib.toml").write_text(f'[spec]\npaths = ["{TINY_POLICY}"]\ntokenizer = "approx"\n'
                                    f'[backends]\ngenerator = "{given}"\njudge = "fake"\n'
                                    '[generate]\nprompts = "prompts.jsonl"\nsamples = 1\njudge_runs = 1\n',
                                    encoding="utf-8")
    lines = {
        "generate": f"generate {bundle} -p {prompts} -o {tmp}/out --generator {given} --judge fake --samples 1 "
                    "--judge-runs 1",
        "eval": f"eval {given} -b {bundle} -p {prompts} -o {tmp}/out --judge fake --max-new-tokens 8",
        "eval-judge": f"eval-judge -l {prompts} --bundle {bundle} --judge {given}",
        "retrieve": f"retrieve {TINY_POLICY} --queries {prompts}" + (f" --llm-rerank {model}" if model else ""),
        "train rl": f"train rl {bundle} -p {prompts} --model {given} -o {tmp}/run --judge fake",
        "build": f"build -C {tmp} --until generate",
    }
    return lines[command].split()


def _error(stderr: str) -> tuple[str, str]:
    """`(message, hint)` of the error a command printed: its first line without `error: ` and without a
    command's own `--option 'VALUE': ` prefix, and its hint line ("" without one)."""
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    lines = stderr.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("error: "))
    message = re.sub(r"^--[\w-]+ '[^']*': ", "", lines[first].removeprefix("error: "))
    hint = next((line.strip() for line in lines[first + 1:] if line.startswith("  hint: ")), "")
    return message, hint


@pytest.mark.parametrize("command", COMMANDS)
def test_a_bom_multi_turn_file_is_read(command: str, tmp_path: Path, delib_cli: Cli) -> None:
    code, _, stderr = delib_cli(*_command_line(command, tmp_path))
    if command == "train rl":  # data, bundle and model address were all accepted; only training is left
        assert (code, _error(stderr)) == (2, (NOT_LOADED, "")), stderr
    else:
        assert code == 0, stderr
    assert "unreadable" not in stderr and "Traceback" not in stderr


BAD_ADDRESSES = {
    "nonsense:foo": "invalid model address 'nonsense:foo': unknown address",
    "hf:/does/not/exist": "model folder /does/not/exist does not exist",
}


@pytest.mark.parametrize("address", sorted(BAD_ADDRESSES))
def test_a_bad_model_address_gets_one_message(address: str, tmp_path: Path, delib_cli: Cli) -> None:
    """The message is the same up to its first `;`; what follows is advice, and `train rl` lists only the
    forms a model can be trained from."""
    messages = {}
    for command in COMMANDS:
        folder = tmp_path / command.replace(" ", "-")
        folder.mkdir()
        code, _, stderr = delib_cli(*_command_line(command, folder, model=address))
        assert code == 2, (command, stderr)
        assert NOT_LOADED not in stderr, command  # refused before anything would load
        messages[command] = _error(stderr)[0].partition(";")[0]
    assert messages == dict.fromkeys(COMMANDS, BAD_ADDRESSES[address])


def test_an_unknown_category_gets_one_message(tmp_path: Path, delib_cli: Cli) -> None:
    """One message everywhere; the hint offers routing by retrieval only where a prompt may go without a
    category (`train rl` needs one on every row)."""
    errors = {}
    for command in READ_CATEGORIES:
        folder = tmp_path / command.replace(" ", "-")
        folder.mkdir()
        code, _, stderr = delib_cli(*_command_line(command, folder, category="sharks"))
        assert code == 2 and NOT_LOADED not in stderr, (command, stderr)
        message, hint = _error(stderr)
        errors[command] = (message.replace(str(folder), "DIR"), hint)
    message = "1 prompt(s) name a category the bundle does not have (DIR/prompts.jsonl:1: 'sharks')"
    hint = "hint: the bundle's categories are weapons, insults; fix the category"
    expected = {command: (message, hint + (" (every RL prompt needs one: the reward grades by its rubric)"
                                           if command == "train rl" else
                                           ", or leave it out to route the prompt by retrieval"))
                for command in READ_CATEGORIES}
    assert errors == expected
