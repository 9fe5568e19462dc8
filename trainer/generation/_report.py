"""`GenerationReport`: what a generation run planned, did and produced (also what `--dry-run` shows)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from trainer.generation._select import Outcome

_FROZEN = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class Counts(BaseModel):
    """Candidates of one category (or all) by outcome."""

    model_config = _FROZEN

    prompts: int = 0
    """Prompts routed to the category."""
    candidates: int = 0
    """Sampled completions (prompts x N)."""
    kept: int = 0
    """Candidates kept as training rows (at most one per prompt)."""
    rejected: int = 0
    """Judged below the threshold or beaten by a sibling, or not keepable (malformed, truncated)."""
    unscored: int = 0
    """The judge could not score them."""
    errors: int = 0
    """Generations or judge requests that failed (retried on the next run)."""


def count(outcomes: Sequence[Outcome]) -> dict[str, Counts]:
    """Counts per category, in first-seen order."""
    tallies: dict[str, dict[str, int]] = {}
    prompts: dict[str, set[str]] = {}
    for o in outcomes:
        c = o.candidate
        tally = tallies.setdefault(c.category, {"candidates": 0, "kept": 0, "rejected": 0, "unscored": 0,
                                                "errors": 0})
        prompts.setdefault(c.category, set()).add(c.prompt_key)
        tally["candidates"] += 1
        tally["errors" if o.status == "error" else o.status] += 1
    return {cat: Counts(prompts=len(prompts[cat]), **tally) for cat, tally in tallies.items()}


def total(per_category: dict[str, Counts]) -> Counts:
    fields = Counts.model_fields
    return Counts(**{name: sum(getattr(c, name) for c in per_category.values()) for name in fields})


class Usage(BaseModel):
    """Model calls and tokens of one backend during a run."""

    model_config = _FROZEN

    calls: int = 0
    """Backend calls made."""
    items: int = 0
    """Completions (generator) or verdicts (judge) produced."""
    prompt_tokens: int = 0
    """Prompt tokens, as the backend reported them."""
    completion_tokens: int = 0
    """Completion tokens."""


class GenerationReport(BaseModel):
    """The result of `run_generation` (or of its dry run)."""

    model_config = _FROZEN

    out_dir: str
    """The output folder."""
    dry_run: bool
    """True: nothing was generated or written; the counts say what a run would do."""
    prompts: int
    """Distinct prompts in the plan (after routing, skipping and deduplication)."""
    duplicates: int = 0
    """Input rows dropped as repeats of the same prompt and category."""
    categories: dict[str, int] = Field(default_factory=dict)
    """Prompts per category in the plan."""
    retrieved: int = 0
    """Prompts whose category came from retrieval."""
    uncategorised: tuple[str, ...] = ()
    """Sources of prompts retrieval was not confident about (generated under their best category)."""
    skipped: tuple[str, ...] = ()
    """Sources of uncategorised prompts skipped (`skip_uncategorised`)."""
    unrouted: int = 0
    """Dry run only: prompts that need retrieval first (their units are counted as to generate)."""
    units: int = 0
    """Completions the plan holds (prompts x N)."""
    cached: int = 0
    """Units the work log already had, complete: no model call."""
    to_generate: int = 0
    """Units sampled (or, in a dry run, to sample)."""
    to_judge: int = 0
    """Saved completions judged again only (a new judge or a judgement that failed)."""
    planned_calls: int = 0
    """Backend calls the plan needs at most (generator and judge; `choice_probs` included)."""
    generator: Usage = Usage()
    """What the generator did."""
    judge: Usage = Usage()
    """What the judge did."""
    per_category: dict[str, Counts] = Field(default_factory=dict)
    """Outcomes per category (empty in a dry run)."""
    seconds: float = 0.0
    """Wall-clock time of the run."""
    outputs: dict[str, str] = Field(default_factory=dict)
    """Paths of the outputs by file name."""
    log_skipped: int = 0
    """Work-log lines that could not be read (a torn last line from a killed run): those units were redone."""

    @property
    def totals(self) -> Counts:
        return total(self.per_category)

    @property
    def errors(self) -> int:
        """Units whose generation or judgement failed in this run's outputs (a rerun retries them)."""
        return self.totals.errors
