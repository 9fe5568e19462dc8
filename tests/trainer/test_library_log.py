"""Library noise goes to a log file: warnings and library logging are written there, not to the terminal,
progress bars are off inside the block, and everything is as before afterwards."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest

from trainer._library_log import library_log


def test_warnings_and_library_logs_go_to_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from datasets.utils import logging as datasets_logging
    from transformers.utils import logging as transformers_logging

    transformers_logging.get_logger()  # transformers installs its own stderr handler on first use
    transformers_logger = logging.getLogger("transformers")
    handlers_before = list(transformers_logger.handlers)
    level_before = transformers_logger.level
    transformers_logging.set_verbosity_error()  # as loading the embedder does: library warnings still reach the file
    with library_log(tmp_path / "logs" / "library.log") as log:
        # a message of its own: a warning already shown from this line in this process would be shown once only
        warnings.warn(f"`past_key_values` is deprecated ({tmp_path.name})", FutureWarning, stacklevel=1)
        logging.getLogger("transformers.generation").warning("a library record")
        assert not datasets_logging.is_progress_bar_enabled()
    captured = capsys.readouterr()
    assert "past_key_values" not in captured.err + captured.out and "a library record" not in captured.err
    text = log.path.read_text(encoding="utf-8")
    assert log.messages == 2 and "FutureWarning: `past_key_values` is deprecated" in text and "a library record" in text
    assert datasets_logging.is_progress_bar_enabled() and transformers_logger.handlers == handlers_before
    assert transformers_logger.level == logging.ERROR  # restored as it was
    transformers_logger.setLevel(level_before)
    with pytest.warns(FutureWarning):  # warnings reach their usual destination again
        warnings.warn("after", FutureWarning, stacklevel=1)


def test_no_message_no_file(tmp_path: Path) -> None:
    with library_log(tmp_path / "logs" / "library.log") as log:
        pass
    assert log.messages == 0 and not (tmp_path / "logs").exists()  # nothing written, not even the folder
