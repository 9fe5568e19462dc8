"""Process coordination under `accelerate launch`: one process writes run files, all wait for it.

Without a launcher there is one process, which is the main one, and waiting returns at once.
"""

from __future__ import annotations


def is_main_process() -> bool:
    """Whether this is the process that writes run files (rank 0 of the launch)."""
    from accelerate import PartialState

    return bool(PartialState().is_main_process)


def wait_for_everyone() -> None:
    """A barrier across the launched processes."""
    from accelerate import PartialState

    PartialState().wait_for_everyone()


def num_processes() -> int:
    """How many processes the launch started (1 without a launcher)."""
    from accelerate import PartialState

    return int(PartialState().num_processes)
