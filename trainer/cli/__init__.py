"""`delib`: the command line. Each command module registers its commands on the shared app."""

from trainer.cli import _compile_cmds, _diff_cmds, _retrieval_cmds, _spec_cmds, _train_cmds  # noqa: F401  (register)
from trainer.cli._app import app, main

__all__ = ["app", "main"]
