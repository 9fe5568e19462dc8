"""Calls to the model under test and to the judge, in chunks, with progress: the I/O edge of evaluation.

Everything here goes through two small protocols, `Grader` (a `trainer.judging.Judge`, or a fake) and
`trainer.backends.ChatBackend`, so the rest of the package is tested without a model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from trainer.backends import ChatBackend, Conversation, Generation, SamplingParams
from trainer.judging import Grade, JudgeRequest

Progress = Callable[[str, int, int], None]
"""`progress(stage, done, total)`, called after every chunk."""

CHUNK = 16
"""Requests per backend call: small enough for steady progress, and the local backends' batch size
(`trainer.backends.DEFAULT_BATCH_SIZE`), so that each call fills one batch (8 left half of it idle)."""


class Grader(Protocol):
    """What evaluation needs of a judge: `grade(requests) -> grades`, one per request, in order."""

    def grade(self, requests: Sequence[JudgeRequest]) -> list[Grade]: ...


def _quiet(stage: str, done: int, total: int) -> None:
    del stage, done, total


def grade_all(grader: Grader, requests: Sequence[JudgeRequest], *, stage: str = "grading",
              progress: Progress | None = None, chunk: int = CHUNK) -> list[Grade]:
    """Every request graded, `chunk` at a time; the grades come back in the order of `requests`.

    Requests are sent grouped by category (in their order within each): every judge prompt of one
    category starts with the same rubric, which a backend that keeps a shared prefix's cache (the
    embedded one) then computes once per category instead of once per chunk."""
    report = progress or _quiet
    order = sorted(range(len(requests)), key=lambda i: requests[i].category)  # stable: keeps order inside one
    grades: list[Grade] = []
    for start in range(0, len(order), chunk):
        grades.extend(grader.grade([requests[i] for i in order[start:start + chunk]]))
        report(stage, len(grades), len(requests))
    placed: dict[int, Grade] = dict(zip(order, grades, strict=True))
    return [placed[i] for i in range(len(requests))]


def generate_all(backend: ChatBackend, conversations: Sequence[Conversation], params: SamplingParams, *,
                 stage: str = "answering", progress: Progress | None = None, chunk: int = CHUNK) -> list[Generation]:
    """Every conversation answered, in order, `chunk` at a time (seeded chunks stay reproducible: each
    chunk's seed is `seed + its first index`)."""
    report = progress or _quiet
    out: list[Generation] = []
    for start in range(0, len(conversations), chunk):
        seeded = params if params.seed is None else params.model_copy(update={"seed": params.seed + start})
        out.extend(backend.generate(conversations[start:start + chunk], seeded))
        report(stage, len(out), len(conversations))
    return out
