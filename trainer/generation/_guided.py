"""Guided generation: completions written in the format step by step, for models too small to follow it.

    1. reasoning   the assistant turn is prefilled with `<reasoning>` (and the guide's rule citation);
                   sampling stops at `Decision:` or the closing tag (`reasoning_tokens`, default half the
                   token budget)
    2. decision    comply / refuse / safe_complete, by the model's own probabilities after `Decision:`;
                   with a guide's expected responses, the most probable of those when the model's own
                   choice is not one of them (the candidate is then *rationalised*)
    3. answer      prefilled with everything so far, `<answer>` and the guide's opener for the decision;
                   sampling stops at `</answer>` (or, with `short_answers`, at the first blank line; an
                   answer the token limit cuts off then ends at its last full sentence, and one that
                   loops ends before the first line or sentence it says a second time)

The tags are the reasoning format's (`compiler.reasoning`): `tags` or `think` (`<think>`, then the answer
after `</think>`, which ends at the end of the turn). Not `harmony`: its channel markers are special tokens
that gpt-oss chat templates refuse in a prefilled message (and models that size follow the format unaided).

The result is always well-formed. Without guides every word is the model's and only the tags are ours;
a guide adds the spec's own words (a rule citation, the opening sentence of the spec's GOOD answers in
that style; `trainer.generation._guide`). The backend must continue a final assistant message (prefill):
local backends do, and so do vLLM and the llama.cpp server (`continue_final_message`). Three backend calls
replace one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from compiler.format import DECISION_PREFIX, format_completion
from compiler.reasoning import HARMONY, TAGS, ReasoningError, ReasoningFormat
from spec_lang.model import RESPONSES, Response
from trainer.backends import ChatBackend, ChatMessage, Conversation, Generation, SamplingParams
from trainer.generation._guide import Guide

_CHOICES = tuple(f" {r}" for r in RESPONSES)
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
MIN_TRIMMED = 40
"""Characters a trimmed answer keeps at least; a shorter one stays truncated (and is not kept)."""


def trim_to_sentence(answer: Generation) -> Generation:
    """A short answer cut off by the token limit, ended at its last full sentence (`short_answers`): the
    words are still the model's, and small models' answers rarely end within a CPU-sized budget."""
    if answer.finish_reason != "length":
        return answer
    ends = [m.end() for m in _SENTENCE_END.finditer(answer.text)]
    if not ends or ends[-1] < MIN_TRIMMED or "```" in answer.text[:ends[-1]]:
        return answer
    return answer.model_copy(update={"text": answer.text[:ends[-1]], "finish_reason": "stop"})


_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+|$)", re.MULTILINE)
MIN_REPEAT = 12
"""Characters a line or sentence needs before saying it again counts as a loop ("Yes." may recur)."""


def _key(unit: str) -> str:
    return " ".join(_LIST_MARK.sub("", unit).lower().split()).strip(" .!?")


def _first_repeat(text: str, units: list[tuple[int, str]]) -> int | None:
    seen: set[str] = set()
    for start, unit in units:
        key = _key(unit)
        if len(key) >= MIN_REPEAT and key in seen:
            return start
        seen.add(key)
    return None


def trim_repetition(answer: Generation) -> Generation:
    """An answer that loops (small models' commonest failure: "1. Practice. 2. Practice. 3. ..."), ended
    before the first line, or else sentence, it says a second time (`short_answers`). Code is left alone
    (lines like `}` repeat legitimately), and so is an answer whose first unit already repeats."""
    text = answer.text
    if "```" in text:
        return answer
    lines, offset = [], 0
    for line in text.split("\n"):
        lines.append((offset, line))
        offset += len(line) + 1
    cut = _first_repeat(text, lines)
    if cut is None:
        cut = _first_repeat(text, [(m.start(), m.group()) for m in _SENTENCE.finditer(text) if m.group().strip()])
    if cut is None or not text[:cut].strip():
        return answer
    return answer.model_copy(update={"text": text[:cut].rstrip(), "finish_reason": "stop"})


@dataclass(frozen=True)
class Guided:
    """One guided completion and how its decision was reached."""

    generation: Generation
    model_decision: Response | None
    """The decision the model's probabilities chose (None when the backend gave none)."""
    rationalised: bool
    """The decision was set to the prompt's expected response against the model's own choice."""


def _reasoning_prefix(reasoning: str, fmt: ReasoningFormat) -> str:
    return f"{fmt.reasoning_open}\n{reasoning.strip()}\n{DECISION_PREFIX}"


def _answer_head(reasoning: str, decision: Response, opener: str, fmt: ReasoningFormat) -> str:
    """Everything before the model's answer: the reasoning with its decision line, the closing tag, the answer's
    opening tag (`tags`) or the blank line (`think`), and the guide's opener."""
    answer_start = f"{fmt.answer_open}\n" if fmt.answer_open else "\n"
    return f"{_reasoning_prefix(reasoning, fmt)} {decision}\n{fmt.reasoning_close}\n{answer_start}{opener}"


def check_guidable(fmt: ReasoningFormat) -> None:
    """`ReasoningError` for a format guided generation cannot write (`harmony`)."""
    if fmt == HARMONY:
        raise ReasoningError("guided generation cannot write the harmony format: its channel markers are special "
                             "tokens a prefilled assistant message may not hold",
                             "drop --guided (gpt-oss models follow the format unaided), or compile the bundle "
                             "with --reasoning tags or think")


def _with_prefill(conversation: Conversation, text: str) -> list[ChatMessage]:
    return [*conversation, ChatMessage(role="assistant", content=text)]


def _decide(probs: dict[str, float] | None, guide: Guide) -> tuple[Response, Response | None, bool]:
    if probs is None:
        return (guide.expected[0] if guide.expected else "comply"), None, bool(guide.expected)
    ranked: list[Response] = [cast(Response, r) for r in RESPONSES if f" {r}" in probs]
    ranked.sort(key=lambda r: probs[f" {r}"], reverse=True)
    own: Response = ranked[0] if ranked else "comply"
    if not guide.expected or own in guide.expected:
        return own, own, False
    return next((r for r in ranked if r in guide.expected), guide.expected[0]), own, True


def _think(backend: ChatBackend, conversations: Sequence[Conversation], params: SamplingParams,
           guides: Sequence[Guide], reasoning_tokens: int | None, fmt: ReasoningFormat) -> list[Generation]:
    budget = reasoning_tokens if reasoning_tokens is not None else max(1, params.max_new_tokens // 2)
    if budget == 0:
        return [Generation(text="", prompt_tokens=0, completion_tokens=0, finish_reason="stop")] * len(guides)
    stops = tuple(s for s in (DECISION_PREFIX, fmt.reasoning_close, fmt.answer_open) if s)
    think = params.model_copy(update={"max_new_tokens": budget, "stop": stops})
    starts = [f"{fmt.reasoning_open}\n" + (f"{g.citation}\n" if g.citation else "") for g in guides]
    return backend.generate([_with_prefill(c, s) for c, s in zip(conversations, starts, strict=True)], think)


def guided_generate(backend: ChatBackend, conversations: Sequence[Conversation], params: SamplingParams,
                    guides: Sequence[Guide] | None = None, reasoning_tokens: int | None = None,
                    short_answers: bool = False,
                    answer_conversations: Sequence[Conversation] | None = None,
                    fmt: ReasoningFormat = TAGS) -> list[Guided]:
    """One well-formed completion per conversation in the reasoning format `fmt` (see the module docstring).
    `reasoning_tokens=0`: no model-written reasoning; `answer_conversations`: what the answer step sees
    instead (e.g. without the spec system prompt)."""
    check_guidable(fmt)
    guides = list(guides) if guides is not None else [Guide()] * len(conversations)
    budget = params.max_new_tokens
    first = _think(backend, conversations, params, guides, reasoning_tokens, fmt)
    reasonings = [(g.citation + "\n" if g.citation else "") + one.text.strip() for g, one in zip(guides, first,
                                                                                                  strict=True)]
    probs = backend.choice_probs(
        [_with_prefill(c, _reasoning_prefix(r, fmt)) for c, r in zip(conversations, reasonings, strict=True)], "",
        _CHOICES)
    decided = [_decide(p, g) for p, g in zip(probs, guides, strict=True)]
    openers = [(g.openers or {}).get(d[0], "") for g, d in zip(guides, decided, strict=True)]
    heads = [_answer_head(r, d[0], o, fmt) for r, d, o in zip(reasonings, decided, openers, strict=True)]
    ends = (fmt.answer_close,) if fmt.answer_close else ()
    left = max(1, budget - max((g.completion_tokens for g in first), default=0))
    answering = answer_conversations if answer_conversations is not None else conversations
    answers = backend.generate([_with_prefill(c, h) for c, h in zip(answering, heads, strict=True)],
                               params.model_copy(update={"max_new_tokens": left, "stop": (*ends, "\n\n")
                                                         if short_answers else ends}))
    if short_answers:
        answers = [trim_repetition(trim_to_sentence(a)) for a in answers]
    out = []
    for one, two, reasoning, (decision, own, forced), opener in zip(first, answers, reasonings, decided, openers,
                                                                     strict=True):
        failed = next((g for g in (one, two) if g.finish_reason == "error"), None)
        if failed is not None:
            out.append(Guided(failed, own, forced))
            continue
        answer = f"{opener} {two.text.lstrip()}" if opener and not opener[-1].isspace() else opener + two.text
        text = format_completion(reasoning, answer, decision, fmt)
        out.append(Guided(Generation(text=text, prompt_tokens=one.prompt_tokens + two.prompt_tokens,
                                     completion_tokens=one.completion_tokens + 1 + two.completion_tokens,
                                     finish_reason=two.finish_reason), own, forced))
    return out
