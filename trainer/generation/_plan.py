"""The plan: which units of work a run has, and which of them the work log already holds. Pure functions.

A prompt row becomes N units (its samples). A unit is *done* when the log has its key with a successful
generation and, if the candidate is to be judged, a judgement under the current judge key that did not
fail in the backend. Otherwise it is *to generate* (no record, or the generation failed) or *to judge*
(the completion is reused, only the judgement is redone).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from compiler.bundle import Bundle
from spec_lang.model import Response
from spec_lang.versions import digest
from trainer.generation._config import GenerationConfig
from trainer.generation._guide import Guide, cite, spec_openers
from trainer.generation._keys import judge_key, prompt_key, unit_key
from trainer.generation._records import Candidate, Sampling
from trainer.generation._routing import route_text
from trainer.judging import Message


@dataclass(frozen=True)
class RoutedRow:
    """A prompt with its category, deduplicated by `key`."""

    prompt: tuple[Message, ...]
    category: str
    source: str
    retrieval_score: float | None = None
    uncategorised: bool = False
    expected: tuple[Response, ...] = ()
    """The responses that count as right for the prompt (from its `expected` or `label`); empty: unknown."""

    @property
    def key(self) -> str:
        return prompt_key(self.prompt, self.category)


@dataclass(frozen=True)
class Unit:
    """One sample of one prompt: what to generate and under which keys."""

    key: str
    judge_key: str
    row: RoutedRow
    sample_index: int
    sampling: Sampling
    guide: Guide = Guide()
    """What guided generation is given for this prompt (`_guide`); part of the key."""


@dataclass(frozen=True)
class Plan:
    """The units of a run, split by what is left to do."""

    rows: tuple[RoutedRow, ...]
    units: tuple[Unit, ...]
    done: Mapping[str, Candidate]
    to_generate: tuple[Unit, ...]
    to_judge: tuple[tuple[Unit, Candidate], ...]

    @property
    def cached(self) -> int:
        return len(self.done)


def text_hash(text: str) -> str:
    """sha256 of a text, 16 hex digits (the bundle manifest's file hash)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def bundle_templates_hash(bundle: Bundle) -> str:
    """One hash of every template the bundle was rendered with."""
    return digest(dict(sorted(bundle.manifest.templates.items())))


def rubric_hash(bundle: Bundle, category: str, show_reasoning: bool) -> str:
    return text_hash(bundle.rubric(category, show_reasoning=show_reasoning))


def needs_judging(candidate: Candidate, config: GenerationConfig) -> bool:
    """Whether the candidate is to be judged: it could be kept, or `judge_malformed` asks for all."""
    return candidate.generated and (candidate.keepable or config.judge_malformed)


def _how(config: GenerationConfig, sampling: Sampling, guide: Guide) -> dict[str, object]:
    how = sampling.model_dump(mode="json") | ({"guided": True} if config.guided else {})
    if config.guided and config.reasoning_tokens is not None:
        how["reasoning_tokens"] = config.reasoning_tokens
    if config.guided and config.short_answers:
        how["short_answers"] = "paragraph, trimmed to a sentence, loops cut"
    if config.guided and not config.answer_with_spec:
        how["answer_with_spec"] = False
    if guide != Guide():
        how["guide"] = guide.settings()
    return how


def units_of(rows: Sequence[RoutedRow], config: GenerationConfig, bundle: Bundle, generator: str,
             judge: str) -> list[Unit]:
    """Every unit of the rows, row by row, sample by sample."""
    guides = guides_for(rows, config, bundle)
    units = []
    for row, guide in zip(rows, guides, strict=True):
        system = text_hash(bundle.system_prompt(row.category))
        rubric = rubric_hash(bundle, row.category, config.judge.show_reasoning)
        panel = {"panel": list(row.expected), "llm": config.panel_llm} if config.panel else {}
        for index in range(config.samples):
            sampling = Sampling.of(config.sampling(index))
            key = unit_key(row.key, bundle.category_hash(row.category), system, generator,
                           _how(config, sampling, guide), index)
            units.append(Unit(key=key, judge_key=judge_key(key, judge, config.judge, rubric, **panel), row=row,
                              sample_index=index, sampling=sampling, guide=guide))
    return units


def guides_for(rows: Sequence[RoutedRow], config: GenerationConfig, bundle: Bundle) -> list[Guide]:
    """The guide of every row: empty unless generation is guided with `cite_rules` or `label_aware`."""
    if not config.guided or not (config.cite_rules or config.label_aware):
        return [Guide()] * len(rows)
    expected = [row.expected if config.label_aware else () for row in rows]
    if not config.cite_rules:
        return [Guide(expected=e) for e in expected]
    specs = bundle.specs()
    citations = cite([route_text(r.prompt) for r in rows], [r.category for r in rows],
                     [r.expected for r in rows], specs)
    openers = spec_openers(specs)
    return [Guide(citation=c, expected=e, openers=openers) for c, e in zip(citations, expected, strict=True)]


def make_plan(rows: Sequence[RoutedRow], config: GenerationConfig, bundle: Bundle, generator: str, judge: str,
              log: Mapping[str, Candidate]) -> Plan:
    """Split the rows' units into done, to generate and to judge, given the work log's records."""
    units = units_of(rows, config, bundle, generator, judge)
    done: dict[str, Candidate] = {}
    to_generate: list[Unit] = []
    to_judge: list[tuple[Unit, Candidate]] = []
    for unit in units:
        found = log.get(unit.key)
        if found is None or not found.generated:
            to_generate.append(unit)
            continue
        verdict = found.judgement
        stale = verdict is None or verdict.key != unit.judge_key or verdict.failed
        if needs_judging(found, config) and stale:
            to_judge.append((unit, found))
        else:
            done[unit.key] = found
    return Plan(rows=tuple(rows), units=tuple(units), done=done, to_generate=tuple(to_generate),
                to_judge=tuple(to_judge))


def dedupe(rows: Sequence[RoutedRow]) -> tuple[list[RoutedRow], int]:
    """The rows without repeats of the same prompt and category (first wins), and how many were dropped."""
    seen: dict[str, RoutedRow] = {}
    for row in rows:
        seen.setdefault(row.key, row)
    return list(seen.values()), len(rows) - len(seen)
