"""`ScoreOnlyGrader`: the judge's score from the digit probabilities alone, without generating a verdict.

Ranking candidates (`delib test`) needs scores only. The judge's score already comes from one
`choice_probs` pass over the judge's own conversation (`Judge.conversation`); the generated verdict
adds the style and rationale, at the cost of a second pass over the same long rubric (and the decoding).
This grader makes only the first pass, so it grades about twice as fast on a CPU, with the very same
scores. Where the backend gives no probabilities (an OpenAI-compatible server without logprobs), it
falls back to the full judge for those requests.
"""

from __future__ import annotations

from collections.abc import Sequence

from compiler.verdict import SCORE_TOKENS
from trainer.judging import SCORE_PREFIX, Grade, Judge, JudgeRequest, expected_score


class ScoreOnlyGrader:
    """Grades like `judge` (same conversations, same scores) but generates no verdict text."""

    def __init__(self, judge: Judge) -> None:
        if judge.config.runs != 1 or not judge.config.use_choice_probs:
            raise ValueError("ScoreOnlyGrader needs a judge with runs=1 and use_choice_probs=True")
        self.judge = judge

    @property
    def model_id(self) -> str:
        return self.judge.model_id

    def grade(self, requests: Sequence[JudgeRequest]) -> list[Grade]:
        if not requests:
            return []
        conversations = [self.judge.conversation(r) for r in requests]
        found = self.judge.backend.choice_probs(conversations, SCORE_PREFIX, SCORE_TOKENS)
        if len(found) != len(requests):
            return self.judge.grade(requests)
        scores = [expected_score(p) for p in found]
        fallback = [r for r, s in zip(requests, scores, strict=True) if s is None]
        graded = iter(self.judge.grade(fallback)) if fallback else iter(())
        return [next(graded) if s is None else _grade(s) for s in scores]


def _grade(score: float) -> Grade:
    return Grade(score=score, unscored_reason=None, run_scores=(score,), verdicts=(None,), raw=("",), style=None,
                 violated_rules=(), rationale=None, run_errors=(None,))
