"""The `Progress` protocol: how a generation run reports what it is doing (the CLI draws rich bars)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Receives a run's progress; every method is called from the run's own thread."""

    def start(self, units: int, cached: int, to_generate: int, to_judge: int) -> None:
        """The plan: all units, those reused from the work log, and those left to sample or to judge."""
        ...

    def generated(self, units: int, completion_tokens: int) -> None:
        """A round of completions was sampled (and saved)."""
        ...

    def judged(self, units: int, completion_tokens: int) -> None:
        """A round of candidates was judged (and saved)."""
        ...

    def finish(self) -> None:
        """The outputs are written."""
        ...


class NullProgress:
    """Reports nothing."""

    def start(self, units: int, cached: int, to_generate: int, to_judge: int) -> None:
        pass

    def generated(self, units: int, completion_tokens: int) -> None:
        pass

    def judged(self, units: int, completion_tokens: int) -> None:
        pass

    def finish(self) -> None:
        pass
