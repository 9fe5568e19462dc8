"""Reasoning formats: where a model writes its reasoning and where its answer. One closed set, one definition.

Every stage reads the format from here: the compiler's instructions (`instructions`), generation's parser
(`split`, via `compiler.format.parse_completion`), a server's separate reasoning field (`join`), the judge's
view (`judge_view`), the rewards, and the SFT rendering (`message`, what the chat template receives).

    tags      <reasoning>...</reasoning> <answer>...</answer>      our own tags (any instruction-tuned model;
                                                                   the default, and the embedded SmolLM2's)
    think     <think>...</think> then the answer                   Qwen3, QwQ, DeepSeek-R1 and its distills
    harmony   <|channel|>analysis<|message|>...<|end|>             gpt-oss (OpenAI's harmony format)
              <|start|>assistant<|channel|>final<|message|>...<|return|>

In every format the reasoning cites ids in backticks and ends with the `Decision:` line
(`compiler.format`); only where the reasoning and the answer go differs. `auto` picks the format from a
model's chat template (`detect`); a stage that reads a bundle follows the bundle (`resolve`).

A completion is stored (data rows, candidates, RL samples) as the text the model writes, `render`'s
output. `split` is lenient where it can be without guessing: a `<think>` the chat template already put in
the prompt (R1-style templates), harmony text whose special tokens were skipped when decoding
(`analysis...assistantfinal...`), a missing closing tag at the end.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from compiler.errors import CompileError

ReasoningName = Literal["tags", "think", "harmony"]
"""A reasoning format."""
REASONING_NAMES: tuple[ReasoningName, ...] = get_args(ReasoningName)
REASONING_CHOICES: tuple[str, ...] = ("auto", *REASONING_NAMES)
"""What `--reasoning` and `reasoning = ...` in delib.toml accept."""
BASE_COMPLETION_FORMAT = "delib-completion/1"
_HARMONY_TURN = "<|start|>assistant"
"""Harmony starts a new assistant message between the analysis and the final channel."""


class ReasoningError(CompileError):
    """An unknown reasoning format, or one that contradicts the bundle it is used with."""


@dataclass(frozen=True)
class Split:
    """A completion cut into its reasoning and answer, before the decision line and citations are read."""

    reasoning: str | None
    """The reasoning text (not stripped); None when the completion has no reasoning at all."""
    answer: str
    """The answer text (not stripped)."""
    problems: tuple[str, ...]
    """What deviates from the format, e.g. `missing </think>`."""


@dataclass(frozen=True)
class ReasoningFormat:
    """One reasoning format: its markers, how the compiler asks for it, and how a completion is cut."""

    name: ReasoningName
    reasoning_open: str
    reasoning_close: str
    answer_open: str
    """Empty when the answer simply follows the reasoning (`think`)."""
    answer_close: str
    reasoning_intro: str
    """Where to reason, for the compiler's instructions: `inside a reasoning block`."""
    reasoning_block: str
    """The reasoning as a noun phrase: `the reasoning block`."""
    answer_intro: str
    """Where to answer: `inside an answer block`."""
    reminder: str
    """The closing reminder's `{where to reason}` / `{where to answer}` pair, as `reason|answer`."""

    @property
    def completion_format(self) -> str:
        """What a bundle's manifest records (`delib-completion/1`, `delib-completion/1+think`, ...)."""
        return BASE_COMPLETION_FORMAT if self.name == "tags" else f"{BASE_COMPLETION_FORMAT}+{self.name}"

    @property
    def markers(self) -> tuple[str, ...]:
        return tuple(m for m in (self.reasoning_open, self.reasoning_close, self.answer_open, self.answer_close) if m)

    def render(self, reasoning: str, answer: str) -> str:
        """The completion text a model in this format writes for `reasoning` and `answer`."""
        r, a = reasoning.strip(), answer.strip()
        if self.name == "tags":
            return f"{self.reasoning_open}\n{r}\n{self.reasoning_close}\n{self.answer_open}\n{a}\n{self.answer_close}"
        if self.name == "think":
            return f"{self.reasoning_open}\n{r}\n{self.reasoning_close}\n\n{a}"
        return f"{self.reasoning_open}{r}{self.reasoning_close}{_HARMONY_TURN}{self.answer_open}{a}{self.answer_close}"

    def split(self, text: str) -> Split:
        """The reasoning and the answer of a completion in this format, with every deviation noted."""
        if self.name == "harmony":
            text = _unskipped_harmony(text)
        reasoning, rest, problems = _block(text, self.reasoning_open, self.reasoning_close,
                                           implicit_open=self.name == "think")
        if self.name == "think":
            answer = rest
        else:
            if self.name == "harmony":
                rest = rest.lstrip().removeprefix(_HARMONY_TURN)
            answer_part, after, answer_problems = _block(rest, self.answer_open, self.answer_close)
            answer = rest if answer_part is None else answer_part
            problems += [p for p in answer_problems if p != f"missing {self.answer_close}"]
            if self.name == "harmony":
                after = after.removesuffix("<|end|>") if answer_part is not None else ""
                answer = answer.removesuffix("<|end|>")
            if answer_part is not None and after.strip():
                problems.append(f"text after {self.answer_close}")
        if any(m.lower() in answer.lower() for m in self.markers):
            problems.append("format tags inside the answer")
        return Split(reasoning=reasoning, answer=answer, problems=tuple(dict.fromkeys(problems)))

    def join(self, text: str, reasoning: str | None) -> str:
        """One completion from a server's reply: `text` (the content) and `reasoning` (the separate
        reasoning field of a server with a reasoning parser, e.g. vLLM's `reasoning_content`; None: none)."""
        if reasoning is None or not reasoning.strip() or self.split(text).reasoning is not None:
            return text
        return self.render(reasoning, self.split(text).answer)

    def judge_view(self, text: str, show_reasoning: bool) -> str:
        """What the judge sees: the reasoning and the answer in `tags` (the rubric's wording), or the answer only."""
        parsed = self.split(text)
        answer = parsed.answer.strip() or "(the reply has no answer)"
        if not show_reasoning:
            return f"{TAGS.answer_open}\n{answer}\n{TAGS.answer_close}"
        if self.name == "tags":
            return text.strip() or "(the reply has no answer)"
        if parsed.reasoning is None:
            return f"{TAGS.answer_open}\n{answer}\n{TAGS.answer_close}"
        return TAGS.render(parsed.reasoning, answer)

    def message(self, completion: str) -> dict[str, str]:
        """The assistant message a chat template renders for a stored completion. Harmony templates take the
        analysis channel as `thinking` and refuse channel tags in `content`; the others get the text as is."""
        if self.name != "harmony":
            return {"role": "assistant", "content": completion}
        parsed = self.split(completion)
        return {"role": "assistant", "content": parsed.answer.strip(), "thinking": (parsed.reasoning or "").strip()}

    def instructions(self, example_id: str, decision_prefix: str, decisions: tuple[str, ...]) -> dict[str, str]:
        """The compiler's wording for this format (the `fmt` view of `system_prompt.md.j2`)."""
        where_reason, where_answer = self.reminder.split("|")
        reasoning = (f"(your reasoning, citing ids such as `{example_id}`)\n"
                     f"{decision_prefix} (one of: {', '.join(decisions)})")
        answer = "(your answer to the user)"
        # harmony's markers are special tokens the model writes by itself; the prompt names the channels instead
        layout = (f"[analysis]\n{reasoning}\n[final]\n{answer}" if self.name == "harmony"
                  else self.render(reasoning, answer))
        return {"name": self.name, "reasoning_intro": self.reasoning_intro, "reasoning_block": self.reasoning_block,
                "answer_intro": self.answer_intro, "reason_where": where_reason, "answer_where": where_answer,
                "layout": layout}


TAGS = ReasoningFormat(
    name="tags", reasoning_open="<reasoning>", reasoning_close="</reasoning>", answer_open="<answer>",
    answer_close="</answer>", reasoning_intro="inside a reasoning block", reasoning_block="the reasoning block",
    answer_intro="inside an answer block",
    reminder="inside <reasoning> ... </reasoning>|inside <answer> ... </answer>")
THINK = ReasoningFormat(
    name="think", reasoning_open="<think>", reasoning_close="</think>", answer_open="", answer_close="",
    reasoning_intro="inside your <think> block", reasoning_block="your <think> block",
    answer_intro="after </think>", reminder="inside <think> ... </think>|after </think>")
HARMONY = ReasoningFormat(
    name="harmony", reasoning_open="<|channel|>analysis<|message|>", reasoning_close="<|end|>",
    answer_open="<|channel|>final<|message|>", answer_close="<|return|>",
    reasoning_intro="in your analysis channel", reasoning_block="your analysis",
    answer_intro="in your final channel", reminder="in your analysis channel|in your final channel")
FORMATS: dict[str, ReasoningFormat] = {f.name: f for f in (TAGS, THINK, HARMONY)}


def get_format(name: str) -> ReasoningFormat:
    """The format called `name` (`auto` is not a format: see `resolve`)."""
    if name not in FORMATS:
        raise ReasoningError(f"unknown reasoning format {name!r}", f"use one of: {', '.join(REASONING_CHOICES)}")
    return FORMATS[name]


def from_completion_format(value: str) -> ReasoningFormat:
    """The format a bundle's manifest names (`Manifest.completion_format`)."""
    name = value.removeprefix(BASE_COMPLETION_FORMAT).removeprefix("+") or "tags"
    if name not in FORMATS:
        raise ReasoningError(f"the bundle's completion format {value!r} is not one this delib knows",
                             "recompile the bundle with this delib (`delib compile ... --reasoning ...`)")
    return FORMATS[name]


def detect(chat_template: str | None) -> ReasoningFormat:
    """The format a chat template speaks: harmony channels, `<think>` blocks, else our tags."""
    text = chat_template or ""
    if "<|channel|>" in text:
        return HARMONY
    if "<think>" in text or "</think>" in text:
        return THINK
    return TAGS


def resolve(choice: str, *, bundle: ReasoningFormat | None = None, chat_template: str | None = None) -> ReasoningFormat:
    """The format for `--reasoning CHOICE`: a named one, or `auto`: the bundle's when there is one, else the one
    `chat_template` speaks, else `tags`. A named format that contradicts the bundle is an error: the bundle's
    system prompts ask for its own format."""
    if choice != "auto":
        chosen = get_format(choice)
        if bundle is not None and chosen != bundle:
            raise ReasoningError(f"--reasoning {choice}: the bundle was compiled for `{bundle.name}`, so its "
                                 f"system prompts ask for that format",
                                 f"recompile it with `delib compile ... --reasoning {choice}`, or pass "
                                 f"--reasoning {bundle.name} (or auto)")
        return chosen
    if bundle is not None:
        return bundle
    return detect(chat_template)


def chat_template_in(folder: str | None) -> str | None:
    """The chat template saved in a Hugging Face tokenizer folder (`chat_template.jinja` or
    `tokenizer_config.json`), without loading the tokenizer; None when there is none."""
    if not folder or folder == "approx":
        return None
    root = Path(folder).expanduser()
    jinja = root / "chat_template.jinja"
    if jinja.is_file():
        return jinja.read_text(encoding="utf-8")
    config = root / "tokenizer_config.json"
    try:
        template = json.loads(config.read_text(encoding="utf-8")).get("chat_template")
    except (OSError, ValueError, AttributeError):
        return None
    if isinstance(template, list):  # named variants: the default one
        template = next((t.get("template") for t in template if isinstance(t, dict) and t.get("name") == "default"),
                        None)
    return template if isinstance(template, str) else None


def _block(text: str, open_tag: str, close_tag: str, *,
           implicit_open: bool = False) -> tuple[str | None, str, list[str]]:
    """(inside, after, problems) for the first `open_tag` ... `close_tag` block; inside is None when the block
    is missing. With `implicit_open`, text before a lone `close_tag` is the block (the open tag was in the prompt)."""
    low = text.lower()
    start = low.find(open_tag.lower()) if open_tag else -1
    if start < 0:
        end = low.find(close_tag.lower()) if implicit_open and close_tag else -1
        if end >= 0:
            return text[:end], text[end + len(close_tag):], []
        return None, text, [f"missing {open_tag}"]
    problems = [] if not text[:start].strip() else [f"text before {open_tag}"]
    body = start + len(open_tag)
    end = low.find(close_tag.lower(), body)
    if end < 0:
        return text[body:], "", [*problems, f"missing {close_tag}"]
    return text[body:end], text[end + len(close_tag):], problems


_SKIPPED = re.compile(r"^\s*analysis(?P<reasoning>.*?)assistant\s*final(?P<answer>.*)$", re.S)


def _unskipped_harmony(text: str) -> str:
    """Harmony text decoded with its special tokens skipped (`analysis...assistantfinal...`), restored."""
    if "<|channel|>" in text:
        return text
    found = _SKIPPED.match(text)
    if found is None:
        return text
    return HARMONY.render(found["reasoning"], found["answer"])
