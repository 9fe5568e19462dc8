"""The `delib` Typer application and what every command shares: consoles, errors, exit codes.

Exit codes: 0 success; 1 the command ran and found problems (lint errors, a semantic diff, a stale
bundle, failed policy tests); 2 bad usage or unreadable input; 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(
    name="delib",
    help="deliberative: write behaviour policies as structured Markdown and turn them into trained models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class CliError(Exception):
    """An error to show the user as one message and an exit code (2 unless said otherwise)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 2) -> NoReturn:
    raise CliError(message, code)


def main() -> None:
    """Console-script entry point: run the app, mapping every error to a message and an exit code."""
    from spec_lang.loader import SpecLoadError

    try:
        app()  # standalone: click handles usage errors (exit 2) and typer.Exit, raising SystemExit
    except CliError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", markup=True)  # `[#MODEL]` in a message is text
        sys.exit(exc.code)
    except SpecLoadError as exc:
        err.print(exc.diagnostic.format(), markup=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug: say so in one line, traceback only on request
        if os.environ.get("DELIB_DEBUG"):
            raise
        err.print(f"[red]internal error:[/red] {type(exc).__name__}: {escape(str(exc))}\n"
                  "This is a bug in delib; rerun with DELIB_DEBUG=1 for the traceback and report it.", markup=True)
        sys.exit(70)
