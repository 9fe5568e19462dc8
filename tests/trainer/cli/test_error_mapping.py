"""One error type, mapped once: every domain error is a `DelibError`, and every command turns any of them
into its message and hint on stderr with the error's exit code (2, or 1 for training that failed), never
into "internal error" (70), which stays for bugs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from compiler.errors import BundleError, CompileError, TemplateError, TokenizerError
from compiler.prompt_files import PromptFileError
from compiler.retrieval import EmbedderError, RetrievalIndexError
from compiler.verdict import VerdictError
from spec_lang.errors import DelibError, OutputError
from spec_lang.loader import SpecLoadError
from trainer.backends import BackendError, ModelUnavailableError
from trainer.cli._app import CliError
from trainer.evaluation import EvalError
from trainer.evaluation.errors import InputFileError
from trainer.generation import RoutingError, WorkLogError
from trainer.judging import JudgeError
from trainer.project.config import ProjectError
from trainer.promptsets import PromptSetError
from trainer.retrain import RetrainError
from trainer.training import DataError, TrainingError, TrainingFailedError

Cli = Callable[..., tuple[int, str, str]]

DOMAIN_ERRORS = [SpecLoadError, CompileError, TemplateError, BundleError, TokenizerError, PromptFileError,
                 EmbedderError, RetrievalIndexError, VerdictError, BackendError, ModelUnavailableError, JudgeError,
                 WorkLogError, RoutingError, EvalError, InputFileError, PromptSetError, TrainingError, DataError,
                 ProjectError, RetrainError, TrainingFailedError, CliError, OutputError]


@pytest.mark.parametrize("error", DOMAIN_ERRORS, ids=lambda e: e.__name__)
def test_every_domain_error_is_a_delib_error(error: type[Exception]) -> None:
    assert issubclass(error, DelibError)


def test_exit_codes() -> None:
    assert EvalError("m").exit_code == 2 and TrainingFailedError("m").exit_code == 1
    assert CliError("m", 1).exit_code == 1 and CliError("m").exit_code == 2
    assert str(EvalError("what went wrong", "what to do")) == "what went wrong\n  hint: what to do"


# The library function each command calls first, patched to raise; and the command line that reaches it.
COMMANDS: dict[str, tuple[str, str]] = {
    "build": ("trainer.project.build", "build -C {project}"),
    "status": ("trainer.project.status", "status -C {project}"),
    "retrain": ("trainer.retrain.retrain", "retrain {tmp}/run --spec {tmp}/spec.md -o {tmp}/out"),
    "generate": ("compiler.bundle.load_bundle", "generate {tmp}/bundle --prompts {tmp}/p.jsonl -o {tmp}/out"),
    "eval": ("trainer.evaluation.sources.resolve", "eval fake -b {tmp}/bundle -p {tmp}/p.jsonl -o {tmp}/out"),
    "eval-judge": ("trainer.evaluation.sources.resolve", "eval-judge -l {tmp}/l.jsonl --bundle {tmp}/bundle"),
    "train-sft": ("trainer.training.train_sft", "train sft {tmp}/data -o {tmp}/run"),
    "retrieve": ("compiler.retrieval.read_prompts", "retrieve {tmp}/spec.md --queries {tmp}/q.jsonl"),
    "prompts-xstest": ("trainer.promptsets.xstest_rows", "prompts xstest {tmp}/x.csv -o {tmp}/out.jsonl"),
}
ERRORS = [EvalError, EmbedderError, RetrievalIndexError, JudgeError, BackendError, CompileError, PromptSetError,
          PromptFileError, WorkLogError, TrainingError, OutputError, TrainingFailedError]


def _error(kind: type[DelibError]) -> DelibError:
    if kind is OutputError:
        return OutputError(Path("report.html"), "Permission denied")
    return kind("the thing went wrong", "do this instead")


@pytest.mark.parametrize("kind", ERRORS, ids=lambda e: e.__name__)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_maps_every_error_once(command: str, kind: type[DelibError], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch, delib_cli: Cli) -> None:
    target, line = COMMANDS[command]
    error = _error(kind)

    def raise_it(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(target, raise_it)
    (tmp_path / "delib.toml").write_text('[spec]\npaths = ["spec.md"]\n', encoding="utf-8")
    code, stdout, stderr = delib_cli(*line.format(tmp=tmp_path, project=tmp_path).split())
    assert (code, stdout) == (error.exit_code, ""), stderr
    assert stderr == f"error: {error}\n"


def test_a_bug_is_still_an_internal_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, delib_cli: Cli) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("oops")

    monkeypatch.setattr("trainer.promptsets.xstest_rows", broken)
    code, _, stderr = delib_cli("prompts", "xstest", str(tmp_path / "x.csv"), "-o", str(tmp_path / "o.jsonl"))
    assert code == 70 and "internal error: KeyError: 'oops'" in stderr and "This is a bug" in stderr


def test_a_spec_load_error_prints_its_diagnostic(tmp_path: Path, delib_cli: Cli) -> None:
    code, _, stderr = delib_cli("show", str(tmp_path / "nope.md"))
    assert code == 2 and stderr.startswith(f"{tmp_path / 'nope.md'}:1:1: SPEC001 no such file")
