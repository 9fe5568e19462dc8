"""`library_log(path)`: what libraries print for their developers goes to a log file, not to the user.

transformers, datasets, TRL and torch write deprecation warnings (`past_key_values` is deprecated ...),
logging records and progress bars (tokenising a dataset, writing model shards) to the terminal. Inside
`library_log`, warnings and those libraries' logging records are appended to `path`, and their progress
bars are off; delib's own progress and summary are all the user sees. Everything is restored on exit.

    with library_log(out / "library.log") as log:
        build(project, ...)
    if log.messages: print(f"library messages: {log.path}")
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

LIBRARY_LOGGERS = ("py.warnings", "transformers", "datasets", "trl", "accelerate", "peft", "huggingface_hub",
                   "torch", "sentence_transformers")
"""The loggers whose records go to the file (`py.warnings` is where `logging.captureWarnings` sends warnings)."""


@dataclass
class LibraryLog:
    """Where library messages went, and how many there were."""

    path: Path
    messages: int = 0


class _Counter(logging.FileHandler):
    """A file handler that counts the records it writes."""

    def __init__(self, log: LibraryLog) -> None:
        logging.FileHandler.__init__(self, log.path, encoding="utf-8", delay=True)  # no file until a message
        self.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        if self.log.messages == 0:
            self.log.path.parent.mkdir(parents=True, exist_ok=True)
        self.log.messages += 1
        super().emit(record)


def _progress_bars_off(stack: ExitStack) -> None:
    """Turn off the progress bars of the libraries already importable, to be turned on again on exit."""
    from datasets.utils import logging as datasets_logging
    from transformers.utils import logging as transformers_logging

    if datasets_logging.is_progress_bar_enabled():
        datasets_logging.disable_progress_bar()
        stack.callback(datasets_logging.enable_progress_bar)
    if transformers_logging.is_progress_bar_enabled():
        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        stack.callback(transformers_logging.enable_progress_bar)
    transformers_logging.get_logger()  # transformers adds its own stderr handler on first use: before ours


@contextmanager
def library_log(path: Path) -> Iterator[LibraryLog]:
    """Send warnings and library logging to `path` (appended; created on the first message) and turn
    library progress bars off, for the duration of the block."""
    log = LibraryLog(path)
    with ExitStack() as stack:
        _progress_bars_off(stack)
        handler = _Counter(log)
        stack.callback(handler.close)
        for name in LIBRARY_LOGGERS:
            logger = logging.getLogger(name)
            stack.callback(_restore, logger, list(logger.handlers), logger.propagate, logger.level)
            logger.handlers, logger.propagate = [handler], False
            logger.setLevel(min(logger.getEffectiveLevel(), logging.WARNING))  # whatever verbosity others set
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("default")  # each warning once per place, as Python does by default
        logging.captureWarnings(True)
        stack.callback(logging.captureWarnings, False)
        yield log


def _restore(logger: logging.Logger, handlers: list[logging.Handler], propagate: bool, level: int) -> None:
    logger.handlers, logger.propagate = handlers, propagate
    logger.setLevel(level)
