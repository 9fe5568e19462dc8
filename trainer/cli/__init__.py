"""`delib`: the command line. Each command module registers its commands on the shared app."""

from trainer.cli import _spec_cmds  # noqa: F401  (registers commands)
from trainer.cli._app import app, main

__all__ = ["app", "main"]
