"""`ScoreOnlyGrader`: the judge's score (and, on request, its style) from choice probabilities alone,
without generating a verdict.

Ranking candidates (`delib test`) needs scores only. The judge's score already comes from one
`choice_probs` pass over the judge's own conversation (`Judge.conversation`); the generated verdict
adds the style and rationale, at the cost of a second pass over the same long rubric and the decoding
of up to `max_new_tokens` tokens, each of which re-reads the rubric's cache. This grader makes only the
first pass, so it grades about twice as fast on a CPU, with the very same scores.

With `styles=True` (`delib eval-judge`) it also reads the verdict's `style` the same way: the verdict
is prefilled up to the style, `{"score": D, "style": "` with D the most probable digit (what greedy
decoding under the verdict schema writes), and the style is the most probable of `comply`, `refuse`,
`safe_complete` there. That is the style a greedy, schema-constrained verdict starts with, for one more
pass instead of a decoded verdict (on the embedded judge, seconds instead of minutes per response).

Where the backend gives no probabilities (an OpenAI-compatible server without logprobs), it falls
back to the full judge for those requests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

from compiler.verdict import SCORE_TOKENS
from spec_lang.model import RESPONSES, Response
from trainer.backends import ChatMessage
from trainer.judging import SCORE_PREFIX, Grade, Judge, JudgeRequest, expected_score, style_prefix


class ScoreOnlyGrader:
    """Grades like `judge` (same conversations, same scores) but generates no verdict text; with
    `styles`, each grade also carries the style the verdict would give."""

    def __init__(self, judge: Judge, *, styles: bool = False) -> None:
        if judge.config.runs != 1 or not judge.config.use_choice_probs:
            raise ValueError("ScoreOnlyGrader needs a judge with runs=1 and use_choice_probs=True")
        self.judge = judge
        self.styles = styles

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
        styles: list[Response | None] = [None] * len(requests)
        if self.styles:
            digits = [None if s is None or p is None else _argmax(p, SCORE_TOKENS)
                      for p, s in zip(found, scores, strict=True)]
            styles = self._styles(conversations, [None if d is None else int(d) for d in digits])
        missing = [i for i, s in enumerate(scores) if s is None or (self.styles and styles[i] is None)]
        graded = dict(zip(missing, self.judge.grade([requests[i] for i in missing]), strict=True)) if missing else {}
        return [graded[i] if i in graded else _grade(cast(float, s), styles[i]) for i, s in enumerate(scores)]

    def _styles(self, conversations: Sequence[Sequence[ChatMessage]],
                digits: Sequence[int | None]) -> list[Response | None]:
        """The most probable style after each verdict's greedy score digit; None where there is no digit or
        the backend gave no probabilities. One `choice_probs` call per distinct digit (at most five)."""
        out: list[Response | None] = [None] * len(conversations)
        for digit in sorted({d for d in digits if d is not None}):
            rows = [i for i, d in enumerate(digits) if d == digit]
            found = self.judge.backend.choice_probs([conversations[i] for i in rows], style_prefix(digit), RESPONSES)
            if len(found) != len(rows):
                continue
            for i, p in zip(rows, found, strict=True):
                if p is not None:
                    out[i] = cast(Response, _argmax(p, RESPONSES))
        return out


def _argmax(probs: Mapping[str, float], choices: Sequence[str]) -> str:
    """The most probable choice (the first of equals)."""
    return max(choices, key=lambda c: probs.get(c, 0.0))


def _grade(score: float, style: Response | None = None) -> Grade:
    return Grade(score=score, unscored_reason=None, run_scores=(score,), verdicts=(None,), raw=("",), style=style,
                 violated_rules=(), rationale=None, run_errors=(None,))
