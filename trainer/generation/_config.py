"""`GenerationConfig`: what the data pipeline samples, how the judge grades, and what it keeps."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from compiler.verdict import SCORE_MAX, SCORE_MIN
from trainer.backends import SamplingParams
from trainer.judging import JudgeConfig


class GenerationConfig(BaseModel):
    """One generation run's settings (the CLI's options map onto these one to one)."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    samples: int = Field(default=4, ge=1)
    """N: completions sampled per prompt (sample indices 0..N-1)."""
    threshold: float = Field(default=4.0, ge=SCORE_MIN, le=SCORE_MAX)
    """A candidate is kept only with a judge score >= this (1..5); the best such candidate per prompt wins."""
    temperature: float = Field(default=0.8, ge=0.0)
    """Sampling temperature of the generator."""
    top_p: float = Field(default=0.95, gt=0.0, le=1.0)
    """Nucleus sampling mass of the generator."""
    max_new_tokens: int = Field(default=512, ge=1)
    """Token limit of a completion (reasoning and answer together); a completion that hits it is not kept."""
    seed: int | None = None
    """Generator seed; sample `i` is drawn with `seed + i`, so the N samples of a prompt differ on servers too."""
    batch_size: int = Field(default=8, ge=1)
    """Prompts per round: each round's N x batch_size completions go to the backend together, then to the
    judge, and are saved to the work log before the next round starts."""
    judge: JudgeConfig = JudgeConfig()
    """The judge's settings: k runs (`runs`) and the rubric that sees the reasoning (`show_reasoning=True`)."""
    judge_malformed: bool = False
    """Also judge completions that cannot be kept (not in the format, or truncated): more judge calls, but
    scores for every candidate of the preference data. Off: they are rejected without a judge call."""
    guided: bool = False
    """Write completions in the format step by step (reasoning, decision by probability, answer), for models
    too small to follow it unaided (`trainer.generation._guided`); needs a backend that continues a prefilled
    assistant message (local backends, vLLM, llama.cpp server)."""
    label_aware: bool = False
    """Guided only: when a prompt carries an expected response (`expected`, or its safe/unsafe `label`) and
    the model's own decision is not one of them, decide the expected one and let the model write the
    reasoning's end and the answer (STaR-style rationalisation; the candidate is marked `rationalised`)."""
    cite_rules: bool = False
    """Guided only: prefill the reasoning with the citation of the category's best-matching rule, and the
    answer of a refuse/safe_complete decision with the opening sentence of the spec's GOOD answers in that
    style (`trainer.generation._guide`)."""
    reasoning_tokens: int | None = Field(default=None, ge=0)
    """Guided only: token limit of the model's own reasoning (default: half of `max_new_tokens`); 0: the
    reasoning is the rule citation alone (`cite_rules`) and the decision, no model-written text."""
    answer_with_spec: bool = True
    """Guided only: the answer step sees the spec system prompt. Off: it sees the conversation and the
    reasoning so far without the spec, as the trained model will (for small models, which copy a long
    spec instead of answering)."""
    short_answers: bool = False
    """Guided only: the answer ends at its first blank line (one paragraph), so a small model's answers finish
    instead of running into the token limit."""
    panel: bool = True
    """Grade with the judge panel (`trainer.judging.PanelJudge`): the LLM judge plus the refusal detector
    checked against the prompt's expected response and the completion's own decision; a mismatch scores 1."""
    panel_llm: bool = True
    """With `panel`: include the LLM judge as a member. Off: the deterministic members alone decide (no judge
    model call; for a judge measured to add nothing, as the embedded 135M one is)."""
    skip_uncategorised: bool = False
    """Skip prompts that retrieval could not route confidently; off: they go to their best-scoring category,
    flagged `uncategorised` in the output so they can be filtered later."""

    def sampling(self, sample_index: int = 0) -> SamplingParams:
        """The generator's sampling parameters for one sample index."""
        seed = None if self.seed is None else self.seed + sample_index
        return SamplingParams(temperature=self.temperature, top_p=self.top_p, max_new_tokens=self.max_new_tokens,
                              seed=seed)
