"""The judge's data: its configuration, what it is asked to grade, and the grade it gives."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from compiler.prompt_files import Turn
from compiler.reasoning import ReasoningName
from compiler.verdict import SCORE_MAX, SCORE_MIN, Verdict
from spec_lang.errors import DelibError
from spec_lang.model import Response

_FROZEN = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


Message = Turn
"""One chat turn (`compiler.prompt_files.Turn`, the one message type; `trainer.backends.ChatMessage` too)."""


class JudgeError(DelibError):
    """A request the judge cannot grade at all (e.g. an unknown category); the message says what to fix.

    A reply the judge cannot read is not an error: that run is *unscored* (see `Grade`)."""


class JudgeConfig(BaseModel):
    """How the spec-aware judge grades (one per judge)."""

    model_config = _FROZEN

    runs: int = Field(default=3, ge=1)
    """k: independent judge runs per response; the grade's score is the minimum over them (as in the paper)."""
    show_reasoning: bool = True
    """True: the judge sees the reasoning and the answer (`rubric.md`, SFT filtering). False: only the final
    answer, read with `compiler.format.parse_completion`, graded with `rubric_answer_only.md` (RL reward)."""
    temperature: float = Field(default=0.7, ge=0.0)
    """Sampling temperature when `runs > 1`; a single run decodes greedily."""
    max_new_tokens: int = Field(default=256, ge=1)
    """Token limit of each generated verdict."""
    use_choice_probs: bool = True
    """When the backend gives choice probabilities, a run's score is the probability-weighted mean of the
    digits 1..5 after `{"score": ` (the other verdict fields still come from the generated verdict)."""
    seed: int | None = None
    """Seed of the verdict sampling; run `i` uses `seed + i` so that seeded runs still differ."""
    reasoning: ReasoningName = "tags"
    """The reasoning format the graded completions are written in (`compiler.reasoning`); the judge is shown
    them as tags whatever the format, so the rubric reads the same."""


class JudgeRequest(BaseModel):
    """One response to grade."""

    model_config = _FROZEN

    category: str
    """The bundle category whose rubric applies."""
    prompt: tuple[Message, ...]
    """The conversation the response answers, WITHOUT the spec system prompt."""
    completion: str
    """The raw completion, in `compiler.format` (reasoning, then answer, in the `JudgeConfig.reasoning` format)."""
    expected: tuple[Response, ...] = ()
    """The responses that count as right for the prompt (from the prompt set); empty: unknown. Only the
    judge panel reads it."""


class MemberVote(BaseModel):
    """One judge-panel member's verdict on a response (recorded in provenance)."""

    model_config = _FROZEN

    name: str
    """The member: `llm`, `expected` (detected style vs the prompt's expected response) or `decision`
    (detected style vs the completion's own decision line)."""
    score: float | None
    """Its score on the 1..5 scale (None: the member had nothing to judge)."""
    note: str
    """What it saw, e.g. `style refuse, expected comply`."""


class Grade(BaseModel):
    """The judge's grade of one response over its k runs.

    A run is *unscored* when its reply cannot be read as a verdict (and no choice probabilities scored it)
    or the backend failed; it is recorded with its raw text, never counted as a zero. `score` is the
    minimum over the runs that scored; it is None only when no run scored, and then `unscored_reason` says
    why. `style`, `violated_rules` and `rationale` come from the verdict of the run that set the score.
    """

    model_config = _FROZEN

    score: float | None
    """Minimum over the scored runs, on the 1..5 scale; None = unscored."""
    unscored_reason: str | None
    """Why no run scored (None when the grade has a score)."""
    run_scores: tuple[float | None, ...]
    """Each run's score (None where that run is unscored)."""
    verdicts: tuple[Verdict | None, ...]
    """Each run's parsed verdict (None where its reply could not be read)."""
    raw: tuple[str, ...]
    """Each run's raw judge output, kept for provenance."""
    style: Response | None
    """The response type the deciding verdict says the answer gives."""
    violated_rules: tuple[str, ...]
    """Rule and section ids the deciding verdict says the response breaks (only ids valid for the category)."""
    rationale: str | None
    """The deciding verdict's rationale."""
    run_errors: tuple[str | None, ...] = ()
    """Per run, the backend's error when the request itself failed (worth retrying later), else None."""
    run_problems: tuple[str | None, ...] = ()
    """Per run, why its verdict could not be read (the backend's error included), else None. A run the
    choice probabilities scored can still have one: its score is known, its verdict is not."""
    members: tuple[MemberVote, ...] = ()
    """The judge panel's member verdicts (empty for a single judge); `score` is their minimum."""

    @property
    def normalised(self) -> float | None:
        """The score mapped onto 0..1: (score - 1) / 4."""
        if self.score is None:
            return None
        return (self.score - SCORE_MIN) / (SCORE_MAX - SCORE_MIN)

    @property
    def backend_failed(self) -> bool:
        """Whether any run failed in the backend (as opposed to an unreadable reply)."""
        return any(e is not None for e in self.run_errors)

    @property
    def complete(self) -> bool:
        """Whether every run scored and its verdict was read: the minimum is over all k runs."""
        return all(s is not None for s in self.run_scores) and not any(self.run_problems)


class JudgeUsage(BaseModel):
    """What a judge has spent so far (all `grade` calls together)."""

    model_config = _FROZEN

    calls: int = 0
    """Backend calls (`generate` and `choice_probs`)."""
    verdicts: int = 0
    """Verdicts requested (responses x runs)."""
    prompt_tokens: int = 0
    """Prompt tokens of the generated verdicts, as the backend reported them."""
    completion_tokens: int = 0
    """Completion tokens of the generated verdicts."""
