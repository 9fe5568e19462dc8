"""The `delib` Typer application and what every command shares: consoles, errors, exit codes.

Exit codes: 0 success; 1 the command ran and found problems (lint errors, a semantic diff, a stale
bundle, failed policy tests, training that failed part-way) or produced nothing usable (`EmptyResultError`:
generate and build when the judge kept no row); 2 bad usage or unreadable input; 130 interrupted; 70 a
bug. Commands raise `spec_lang.errors.DelibError` subclasses and the app's command group maps every one
of them, once, to its message and `exit_code` (so `app` run by a test maps them too): no command keeps
its own list of errors. `main()` adds Ctrl-C (130) and bugs (70).
"""

from __future__ import annotations

import inspect
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from spec_lang.errors import DelibError

T = TypeVar("T")
out = Console(highlight=False, soft_wrap=True, emoji=False)  # `:name:` in spec text stays text
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def report(exc: DelibError) -> None:
    """Print an error for the user: a spec diagnostic as `path:line:col: CODE message`, else `error: ...`."""
    from spec_lang.loader import SpecLoadError

    if isinstance(exc, SpecLoadError):
        err.print(exc.diagnostic.format(), markup=False)
    else:
        err.print(f"[red]error:[/red] {escape(str(exc))}", markup=True)  # `[#MODEL]` in a message is text


def _paragraphs(text: str) -> str:
    """Help text as typer's rich mode should show it: each paragraph on one line (the terminal wraps it; a
    docstring's own line breaks would cut sentences short), and `[` escaped, so that `openai:URL[#MODEL]`
    prints as written instead of being read as rich markup. A paragraph starting with `\\b` is kept as is."""
    parts = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(p if p.startswith("\b") else escape(" ".join(p.split())) for p in parts)


def _quiet(params: list[Any]) -> list[Any]:
    """Parameters as `--help` should show them: a flag without typer's `<bool>` label (an on/off flag takes
    no value, so a type there is noise), an argument by its upper-case name (`SPEC`, not `{spec} <str>`),
    help text as `_paragraphs` makes it."""
    from typer.core import TyperArgument, TyperOption

    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
        elif isinstance(param, TyperArgument) and param.metavar is None and param.name:
            param.metavar = param.name.upper()
        if getattr(param, "help", None) and not getattr(param, "_delib_help", False):
            param.help, param._delib_help = _paragraphs(param.help), True  # once: get_params runs per help
    return params


def _quiet_flags(command: Any) -> None:
    """Apply `_quiet` to `command` and every subcommand, including the options click adds when it builds
    the help (`--help`, completion), and `_paragraphs` to their help texts."""
    get_params = command.get_params
    command.get_params = lambda ctx: _quiet(get_params(ctx))
    if command.help:
        command.help = _paragraphs(command.help)
    for sub in getattr(command, "commands", {}).values():
        _quiet_flags(sub)


class _DelibGroup(TyperGroup):
    """The `delib` command group: the one place a `DelibError` becomes a message and an exit code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _quiet_flags(self)

    def invoke(self, ctx: Any) -> Any:  # a `click.Context` (typer's own copy of click)
        try:
            return super().invoke(ctx)
        except DelibError as exc:
            report(exc)
            raise typer.Exit(exc.exit_code) from exc


app = typer.Typer(
    name="delib",
    cls=_DelibGroup,
    help="deliberative: write behaviour policies as structured Markdown and turn them into trained models.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        out.print(f"delib {version('deliberative')}", markup=False)
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print delib's version and exit.")] = False,
) -> None:
    """deliberative: write behaviour policies as structured Markdown and turn them into trained models."""


MODEL_ADDRESSES = "embedded, hf:PATH or a run folder, openai:URL[#MODEL], fake"
"""The forms of a model address (`trainer.backends.parse_address`), as every option that takes one says."""

JudgeOpt = Annotated[str, typer.Option("--judge", help=f"The judge: a model address ({MODEL_ADDRESSES}) or "
                                       "rm:RUN, a reward model from `delib train judge`.")]
"""`--judge`, as every command that grades takes it."""

PanelOpt = Annotated[bool, typer.Option("--panel/--no-panel", help="Judge with the judge panel (the answer's style "
                                         "by the opening detector against the prompts' expected responses, with "
                                         "the --judge model as its LLM member; what `make demo` filters, rewards "
                                         "and evaluates with); --no-panel: that judge alone.")]
"""`--panel/--no-panel` of `generate`, `eval` and `train rl` (on by default there)."""

PanelLlmOpt = Annotated[bool, typer.Option("--panel-llm/--no-panel-llm", help="With the panel: include the LLM "
                                           "judge (off: no judge model is opened).")]
"""`--panel-llm/--no-panel-llm`, wherever the panel is an option."""

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON instead of text (for scripts).")]
"""`--json`, which every command takes: its result as JSON on stdout, messages on stderr."""


def print_json(value: Any) -> None:
    """Print `value` as indented JSON on stdout (no markup, no wrapping)."""
    out.print(json.dumps(value, indent=2, ensure_ascii=False, default=str), markup=False, soft_wrap=True)


def alias(value: T | None, old: str, new: str, current: T) -> T:
    """The value given under a deprecated option name `old` (still accepted, hidden from `--help`), with a
    warning that it is now `new`; else `current`, the value of `new`."""
    if value is None:
        return current
    err.print(f"warning: {old} is deprecated; use {new}", markup=False)
    return value


@contextmanager
def library_messages(path: Path | None = None) -> Iterator[None]:
    """Run a block with library warnings, logging and progress bars sent to a log file (`path`, default
    `$DELIB_CACHE/logs/library.log`), saying where on stderr when there were any."""
    from trainer._library_log import library_log
    from trainer.backends import default_cache_dir

    with library_log(path or default_cache_dir() / "logs" / "library.log") as log:
        try:
            yield
        finally:
            if log.messages:
                err.print(f"note: {log.messages} library message(s) (warnings, logs) written to {log.path}",
                          markup=False)


class CliError(DelibError):
    """An error a command finds itself (bad usage, no rows): one message and an exit code (2 unless said)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = code


def fail(message: str, code: int = 2) -> NoReturn:
    raise CliError(message, code)


def main() -> None:
    """Console-script entry point: run the app (whose group maps every `DelibError`), mapping Ctrl-C to 130
    and anything else, a bug, to one line and 70."""
    try:
        app()  # standalone: click handles usage errors (exit 2) and typer.Exit, raising SystemExit
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug: say so in one line, traceback only on request
        if os.environ.get("DELIB_DEBUG"):
            raise
        err.print(f"[red]internal error:[/red] {type(exc).__name__}: {escape(str(exc))}\n"
                  "This is a bug in delib; rerun with DELIB_DEBUG=1 for the traceback and report it.", markup=True)
        sys.exit(70)
