"""Grading in chunks: grouped by category on the way to the judge, back in the caller's order."""

from __future__ import annotations

from tests.trainer.evaluation.eval_helpers import FakeGrader
from trainer.evaluation._batches import grade_all
from trainer.judging import JudgeRequest


def test_grade_all_groups_by_category_and_keeps_the_callers_order() -> None:
    categories = ["b", "a", "b", "c", "a", "b", "a"]
    requests = [JudgeRequest(category=c, prompt=({"role": "user", "content": "q"},), completion=str(i))
                for i, c in enumerate(categories)]
    grader = FakeGrader(lambda r: (float(r.completion), None))
    seen: list[tuple[str, int, int]] = []
    grades = grade_all(grader, requests, chunk=3, progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert [g.score for g in grades] == [float(i) for i in range(len(categories))]
    assert [(r.category, r.completion) for r in grader.requests] == [
        ("a", "1"), ("a", "4"), ("a", "6"), ("b", "0"), ("b", "2"), ("b", "5"), ("c", "3")]
    assert seen == [("grading", 3, 7), ("grading", 6, 7), ("grading", 7, 7)]
    assert grade_all(grader, []) == []
