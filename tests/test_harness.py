"""The test harness itself: the suite runs under pytest's options as well as without them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.paths import REPO


def test_model_cache_is_a_folder(delib_model_cache: Path) -> None:
    assert delib_model_cache.is_dir()


def test_fixtures_work_without_the_cache_plugin() -> None:
    """`-p no:cacheprovider` (read-only checkouts, some CI set-ups) removes `config.cache` altogether."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                           f"{Path(__file__).name}::test_model_cache_is_a_folder"],
                          cwd=REPO / "tests", capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
