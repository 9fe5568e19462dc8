"""`Candidate`: one sampled completion with its provenance and judgement (a work-log line, a candidates row).

A candidate is written to the work log twice at most: once generated (judgement pending) and once judged;
the later line replaces the earlier one on reload.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from spec_lang.model import Response
from trainer.backends import SamplingParams
from trainer.judging import Grade, MemberVote, Message

_FROZEN = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

Status = Literal["kept", "rejected", "unscored", "error"]
"""A candidate's outcome: kept (the prompt's training row), rejected (judged or not eligible), unscored
(the judge's replies could not be read), error (the generation or the judge's request failed: the next
run retries it)."""


class Sampling(BaseModel):
    """The generator's sampling parameters, as recorded."""

    model_config = _FROZEN

    temperature: float
    """Softmax temperature."""
    top_p: float
    """Nucleus mass."""
    max_new_tokens: int
    """Completion token limit."""
    seed: int | None
    """Seed of this sample (None: unseeded)."""

    @classmethod
    def of(cls, params: SamplingParams) -> Sampling:
        return cls(temperature=params.temperature, top_p=params.top_p, max_new_tokens=params.max_new_tokens,
                   seed=params.seed)


class Judgement(BaseModel):
    """The judge's grade of a candidate, flattened for JSONL and Arrow."""

    model_config = _FROZEN

    key: str
    """The judge key (unit, judge identity and settings, rubric)."""
    model: str
    """The judge backend's model id."""
    score: float | None
    """Minimum over the k runs that scored; None = unscored."""
    run_scores: tuple[float | None, ...]
    """Each run's score."""
    rationales: tuple[str | None, ...]
    """Each run's rationale (None where its verdict was unreadable)."""
    raw: tuple[str, ...]
    """Each run's raw output."""
    unscored_reason: str | None
    """Why no run scored."""
    errors: tuple[str | None, ...]
    """Per run, the backend error when the request failed (the judgement is redone on the next run)."""
    problems: tuple[str | None, ...] = ()
    """Per run, why its verdict could not be read (None when it was): such a run's score, if any, came
    from the choice probabilities alone."""
    violated_rules: tuple[str, ...]
    """Ids the deciding verdict says the completion breaks."""
    style: Response | None
    """The response type the deciding verdict reads in the answer."""
    members: tuple[MemberVote, ...] = ()
    """The judge panel's member verdicts (empty when a single judge graded)."""

    @classmethod
    def of(cls, key: str, model: str, grade: Grade) -> Judgement:
        return cls(key=key, model=model, score=grade.score, run_scores=grade.run_scores,
                   rationales=tuple(v.rationale if v is not None else None for v in grade.verdicts),
                   raw=grade.raw, unscored_reason=grade.unscored_reason, errors=grade.run_errors,
                   problems=grade.run_problems,
                   violated_rules=grade.violated_rules, style=grade.style, members=grade.members)

    @property
    def failed(self) -> bool:
        """A run failed in the backend: redo the judgement."""
        return any(e is not None for e in self.errors)

    @property
    def complete(self) -> bool:
        """Every run scored and its verdict was read: the score is the minimum over all k runs."""
        return (self.score is not None and all(s is not None for s in self.run_scores)
                and not any(self.problems) and not self.failed)

    def why_incomplete(self, limit: int = 300) -> str:
        """Which runs failed or could not be read (for a judgement that is not `complete`)."""
        runs = len(self.run_scores)
        errors = self.errors + (None,) * (runs - len(self.errors))
        problems = self.problems + (None,) * (runs - len(self.problems))
        parts = []
        for i, (score, error, problem) in enumerate(zip(self.run_scores, errors, problems, strict=False)):
            if error is not None or problem is not None or score is None:
                why = problem or (f"backend error: {error}" if error is not None else "no score")
                parts.append(f"run {i + 1}: {why}")
        text = "; ".join(parts) or self.unscored_reason or "the judge gave no score"
        return text if len(text) <= limit else text[: limit - 3] + "..."


class Candidate(BaseModel):
    """One sampled completion of one prompt."""

    model_config = _FROZEN

    key: str
    """The unit's content key (`_keys.unit_key`)."""
    prompt_key: str
    """The prompt's key (conversation and category)."""
    prompt: tuple[Message, ...]
    """The conversation, without the spec system prompt."""
    source: str
    """Where the prompt came from (`FILE:ROW`)."""
    category: str
    """The category whose system prompt and rubric were used."""
    retrieval_score: float | None
    """The retriever's score for the category (None when the input gave the category)."""
    uncategorised: bool
    """Retrieval was not confident (the prompt went to its best category anyway)."""
    sample_index: int
    """Which of the prompt's N samples this is."""
    spec_revision: str
    """The bundle's spec revision."""
    category_hash: str
    """The category's content hash when generated."""
    template_hash: str
    """Hash of the bundle's templates."""
    system_prompt_hash: str
    """Hash of the compiled system prompt used (and dropped from the saved example)."""
    generator_model: str
    """The generator's model id."""
    sampling: Sampling
    """The generator's sampling parameters."""
    completion: str
    """The raw completion (reasoning and answer, in `compiler.format`)."""
    finish_reason: Literal["stop", "length", "error"]
    """How the generation ended."""
    generation_error: str | None
    """The backend's error when the generation failed."""
    prompt_tokens: int
    """Prompt tokens of the generation (system prompt included)."""
    completion_tokens: int
    """Completion tokens."""
    well_formed: bool
    """Whether the completion follows the format (`compiler.format.parse_completion`)."""
    format_problems: tuple[str, ...]
    """What deviates from the format."""
    decision: Response | None
    """The reasoning's `Decision:` line."""
    judgement: Judgement | None = None
    """The judge's grade; None when not (yet) judged."""
    expected: tuple[Response, ...] = ()
    """The prompt's expected responses (from the prompt set); empty when unknown."""
    model_decision: Response | None = None
    """Guided generation: the decision the model's own probabilities chose."""
    rationalised: bool = False
    """Guided, label-aware generation: the decision was set to the expected response against the model's
    own choice (STaR-style rationalisation); the reasoning's end and the answer are still the model's."""

    @property
    def generated(self) -> bool:
        return self.generation_error is None and self.finish_reason != "error"

    @property
    def keepable(self) -> bool:
        """Could be a training row: generated, in the format and not cut off by the token limit."""
        return self.generated and self.well_formed and self.finish_reason == "stop"
