"""The completion format: what a model trained on a compiled bundle writes, and how it is read back.

Generation, judging and training all parse the same format, so it is fixed here once, and the
system-prompt template renders it from these constants:

    <reasoning>
    The user asks for ... This falls under `violence`; `violence.r2` forbids ..., so I refuse,
    following `style_refuse`.
    Decision: refuse
    </reasoning>
    <answer>
    Sorry, I can't help with making an untraceable firearm. ...
    </answer>

- The reasoning block comes first. It cites section and rule ids in backticks (`violence.r2`) and
  ends with one line `Decision: comply|refuse|safe_complete`.
- The answer block follows: the text the user sees. It never mentions rule ids or the policy.

Plain ASCII tags on lines of their own are easy for a 135M model to copy and for a parser to find.
`parse_completion` is lenient where it can be without guessing (a missing `<answer>` tag, a missing
closing tag at the very end, a truncated generation) and says what was wrong in `problems`; callers
that train on completions should keep only `well_formed` ones.

This is the `tags` reasoning format. Where the reasoning and the answer go is a `ReasoningFormat`
(`compiler.reasoning`: `tags`, `think`, `harmony`); the decision line and the citations are the same in
every format, so `parse_completion` and `format_completion` take the format (default `tags`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from compiler.reasoning import TAGS, ReasoningFormat
from spec_lang.model import RESPONSES, Response

COMPLETION_FORMAT = TAGS.completion_format
"""Name and version of this format; recorded in every bundle manifest (`+think`, `+harmony` for the others)."""

REASONING_OPEN = TAGS.reasoning_open
REASONING_CLOSE = TAGS.reasoning_close
ANSWER_OPEN = TAGS.answer_open
ANSWER_CLOSE = TAGS.answer_close
DECISION_PREFIX = "Decision:"
"""The reasoning block's last line: `Decision: comply`, `Decision: refuse` or `Decision: safe_complete`."""

DECISIONS: tuple[str, ...] = RESPONSES
"""The values a decision line may take (the spec's response types)."""

_DECISION = re.compile(r"^[ \t]*decision[ \t]*:[ \t]*\**[ \t]*`?([a-z_ -]+?)`?\**[ \t]*\.?[ \t]*$", re.I | re.M)
_CITED = re.compile(r"`#?([A-Za-z0-9_][A-Za-z0-9_.:-]*)`")


@dataclass(frozen=True)
class ParsedCompletion:
    """A completion split into its parts. `problems` is empty for a well-formed completion."""

    reasoning: str
    """The text inside the reasoning block, stripped (the decision line included)."""
    answer: str
    """The text the user sees, stripped; empty when there is none."""
    cited_ids: tuple[str, ...]
    """Ids cited in the reasoning, in first-seen order, without duplicates."""
    decision: Response | None
    """The decision line's value, or None when the reasoning has no readable decision line."""
    problems: tuple[str, ...]
    """What deviates from the format, e.g. `missing </reasoning>`."""

    @property
    def well_formed(self) -> bool:
        return not self.problems


def format_completion(reasoning: str, answer: str, decision: Response | None = None,
                      fmt: ReasoningFormat = TAGS) -> str:
    """Write a completion in the format `fmt`. With `decision`, a decision line is appended to the reasoning
    unless it already ends with one."""
    body = reasoning.strip()
    if decision is not None and parse_decision(body) is None:
        body = f"{body}\n{DECISION_PREFIX} {decision}".strip()
    return fmt.render(body, answer)


def parse_decision(reasoning: str) -> Response | None:
    """The value of the last `Decision:` line (`safe-complete` and `safe complete` read as `safe_complete`)."""
    found = _DECISION.findall(reasoning)
    if not found:
        return None
    value = re.sub(r"[ -]+", "_", found[-1].strip().lower())
    for response in RESPONSES:
        if value == response:
            return response  # type: ignore[return-value]
    return None


def cited_ids(reasoning: str, known_ids: Iterable[str] = ()) -> tuple[str, ...]:
    """Ids cited in backticks (`` `violence.r2` ``, `` `#violence` ``), first-seen order, no duplicates.

    With `known_ids`, a bare mention of a known id counts too when the id cannot be an ordinary word
    (it contains `.`, `_`, `:`, `-` or a digit, like `violence.r2` or `style_refuse`): a bare `violence`
    in prose is a topic, not a citation."""
    hits: list[tuple[int, str]] = [(m.start(), m.group(1)) for m in _CITED.finditer(reasoning)]
    for ident in known_ids:
        if ident.isalpha():
            continue
        pattern = re.compile(rf"(?<![A-Za-z0-9_.:-]){re.escape(ident)}(?![A-Za-z0-9_:-]|\.[A-Za-z0-9_])")
        hits.extend((m.start(), ident) for m in pattern.finditer(reasoning))
    seen: dict[str, None] = {}
    for _, ident in sorted(hits):
        seen.setdefault(ident.rstrip(".:-"), None)
    return tuple(seen)


def parse_completion(text: str, known_ids: Iterable[str] = (), fmt: ReasoningFormat = TAGS) -> ParsedCompletion:
    """Split a completion in the format `fmt` into reasoning, answer, cited ids and decision, noting every
    deviation.

    A completion without a reasoning block is read as an answer alone; in `tags`, one without `<answer>`
    takes the text after `</reasoning>` as the answer. A truncated block is kept as far as it goes. The
    closing `</answer>` may be left out (generators often stop on it), so truncation inside the answer is
    for the generator to report (its finish reason), not visible here.
    """
    split = fmt.split(text)
    problems = list(split.problems)
    body = (split.reasoning or "").strip()
    decision = parse_decision(body)
    if split.reasoning is not None and decision is None:
        problems.append(f"no `{DECISION_PREFIX} <{'|'.join(DECISIONS)}>` line in the reasoning")
    return ParsedCompletion(
        reasoning=body,
        answer=split.answer.strip(),
        cited_ids=cited_ids(body, known_ids),
        decision=decision,
        problems=tuple(dict.fromkeys(problems)),
    )
