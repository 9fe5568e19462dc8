"""`delib`: the command line. Each command module registers its commands on the shared app."""

from trainer.cli import (  # noqa: F401  (each module registers its commands)
    _chat_cmds,
    _compile_cmds,
    _diff_cmds,
    _eval_cmds,
    _fmt_cmds,
    _generate_cmds,
    _project_cmds,
    _prompts_cmds,
    _retrain_cmds,
    _retrieval_cmds,
    _spec_cmds,
    _train_cmds,
)
from trainer.cli._app import app, main

__all__ = ["app", "main"]
