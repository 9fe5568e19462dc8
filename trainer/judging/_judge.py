"""`Judge`: grades responses against a compiled bundle's rubrics with any `ChatBackend`, in batches.

Every request is graded k times (`JudgeConfig.runs`): all requests x runs go to the backend in one
`generate` call (one per run when seeded, so seeded runs differ), with the verdict JSON schema for
backends that decode under it. With `use_choice_probs`, one `choice_probs` call for all requests
scores them from the probabilities of the digits after `{"score": `; those are deterministic, so every
run of a request shares that score and the runs differ only in the verdict text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from compiler.bundle import Bundle
from compiler.reasoning import get_format
from compiler.verdict import SCORE_TOKENS, verdict_schema
from trainer.backends import ChatBackend, ChatMessage, Generation, SamplingParams
from trainer.judging._aggregate import combine, read_run
from trainer.judging._models import Grade, JudgeConfig, JudgeError, JudgeRequest, JudgeUsage
from trainer.judging._render import judge_conversation

SCORE_PREFIX = '{"score": '
"""The start of every verdict; the score digit follows it."""


def style_prefix(score: int) -> str:
    """The start of a verdict up to its `style` value, given its score digit: `{"score": 4, "style": "`
    (the field order and separators of `compiler.verdict.Verdict` as the rubrics show it)."""
    return f'{SCORE_PREFIX}{score}, "style": "'


class Judge:
    """The spec-aware judge of a bundle: `Judge(backend, bundle, JudgeConfig()).grade(requests)`."""

    def __init__(self, backend: ChatBackend, bundle: Bundle, config: JudgeConfig | None = None) -> None:
        self.backend = backend
        self.bundle = bundle
        self.config = config or JudgeConfig()
        self._usage = JudgeUsage()
        self._valid_ids: dict[str, frozenset[str]] = {}

    @property
    def model_id(self) -> str:
        """The judge model's id (recorded in provenance)."""
        return self.backend.model_id

    @property
    def usage(self) -> JudgeUsage:
        """Backend calls, verdicts and tokens spent by every `grade` call so far."""
        return self._usage

    def rubric(self, category: str) -> str:
        """The rubric the judge reads for `category` (the variant `show_reasoning` picks)."""
        self._check(category)
        return self.bundle.rubric(category, show_reasoning=self.config.show_reasoning)

    def conversation(self, request: JudgeRequest) -> list[ChatMessage]:
        """The conversation the judge model sees for one request."""
        return judge_conversation(self.rubric(request.category), request.prompt, request.completion,
                                  self.config.show_reasoning, get_format(self.config.reasoning))

    def grade(self, requests: Sequence[JudgeRequest]) -> list[Grade]:
        """One `Grade` per request, in order. Raises `JudgeError` for a category the bundle does not have
        (before any backend call); an unreadable reply or a failed request leaves that run unscored."""
        if not requests:
            return []
        for request in requests:
            self._check(request.category)
        conversations = [self.conversation(r) for r in requests]
        probs = self._probs(conversations)
        generations = self._verdicts(conversations, requests)
        runs = self.config.runs
        grades = []
        for i, request in enumerate(requests):
            valid = self._ids(request.category)
            results = [read_run(g.text, g.error if g.finish_reason == "error" else None, probs[i], valid)
                       for g in generations[i * runs:(i + 1) * runs]]
            grades.append(combine(results))
        return grades

    # ----------------------------------------------------------------- backend calls

    def _probs(self, conversations: Sequence[Sequence[ChatMessage]]) -> list[Mapping[str, float] | None]:
        if not self.config.use_choice_probs:
            return [None] * len(conversations)
        found = self.backend.choice_probs(conversations, SCORE_PREFIX, SCORE_TOKENS)
        self._count(calls=1)
        if len(found) != len(conversations):  # a broken backend: do not guess which answer is whose
            return [None] * len(conversations)
        return list(found)

    def _verdicts(self, conversations: Sequence[Sequence[ChatMessage]],
                  requests: Sequence[JudgeRequest]) -> list[Generation]:
        """Generations in request-major order: request i's runs are at i*k .. i*k+k-1."""
        runs, seed = self.config.runs, self.config.seed
        temperature = 0.0 if runs == 1 else self.config.temperature
        schema = verdict_schema(sorted({i for r in requests for i in self._ids(r.category)}))

        def params(run_seed: int | None) -> SamplingParams:
            return SamplingParams(temperature=temperature, max_new_tokens=self.config.max_new_tokens, seed=run_seed)

        if seed is None or runs == 1:
            repeated = [c for c in conversations for _ in range(runs)]
            return self._generate(repeated, params(seed), schema)
        per_run = [self._generate(conversations, params(seed + run), schema) for run in range(runs)]
        return [per_run[run][i] for i in range(len(conversations)) for run in range(runs)]

    def _generate(self, conversations: Sequence[Sequence[ChatMessage]], params: SamplingParams,
                  schema: dict[str, object]) -> list[Generation]:
        out = self.backend.generate(conversations, params, json_schema=schema)
        self._count(calls=1, verdicts=len(conversations), prompt_tokens=sum(g.prompt_tokens for g in out),
                    completion_tokens=sum(g.completion_tokens for g in out))
        if len(out) != len(conversations):
            missing = Generation(text="", prompt_tokens=0, completion_tokens=0, finish_reason="error",
                                 error=f"the backend returned {len(out)} generations for {len(conversations)}")
            return [missing] * len(conversations)
        return out

    # ----------------------------------------------------------------- helpers

    def _check(self, category: str) -> None:
        if category not in self.bundle.categories:
            known = ", ".join(self.bundle.categories) or "(none)"
            raise JudgeError(f"no category {category!r} in the bundle (spec revision {self.bundle.revision}); "
                             f"the judge can grade these categories: {known}")

    def _ids(self, category: str) -> frozenset[str]:
        if category not in self._valid_ids:
            self._valid_ids[category] = frozenset(self.bundle.valid_ids(category))
        return self._valid_ids[category]

    def _count(self, **more: int) -> None:
        now = self._usage.model_dump()
        self._usage = JudgeUsage(**{k: now[k] + more.get(k, 0) for k in now})
