"""Pre-flight checks: before any step, look at what the trainer will really train on.

SFT teaches the model to write its reasoning, so the reasoning must be inside the trained tokens:
a chat template can drop or rewrite it (some templates strip reasoning from assistant turns), a loss
mask can leave it out, `max_length` can cut it off. And training rows carry no system prompt, so
neither the data nor the template may add one. The checks run on rows of the trainer's own prepared
dataset (token ids and labels after TRL's tokenization), decoded back to text:

    PF001  the reasoning block is not in the rendered sample (the template drops or rewrites it)
    PF002  a row is cut by `max_length` (its reasoning or answer is not trained whole)
    PF003  the reasoning block is rendered but the loss mask leaves (part of) it out
    PF004  the answer is not inside the trained tokens
    PF005  the chat template adds a default system prompt to conversations without one
    PF006  a rendered sample contains a system prompt
    PF007  a training prompt has a system message
    PF008  the tokenizer has no chat template (raised by `chat_templates`)
    PF009  a completion in the data has no reasoning block (nothing to learn to reason from)
    PF010  the chat template drops the reasoning (raised by `chat_templates`, before the trainer is built)

The reasoning block is the run's reasoning format's (`compiler.reasoning`): `<reasoning>...</reasoning>`,
`<think>...</think>` or harmony's analysis channel. A block whose opening tag the chat template itself puts at
the end of the prompt (DeepSeek-R1 templates open `<think>` in the generation prompt) is trained whole when
everything after that tag is.

Every check returns `Problem`s (data); `raise_problems` turns them into one `PreflightError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compiler.format import parse_completion
from compiler.reasoning import TAGS, ReasoningFormat
from trainer.training.errors import PreflightError

SAMPLE_ROWS = 16
"""How many rows are decoded and checked as text (every row is checked for truncation)."""


@dataclass(frozen=True)
class Problem:
    """One failed check: a stable code, where it was seen, what is wrong and what to do."""

    code: str
    where: str
    message: str
    hint: str

    def format(self) -> str:
        return f"{self.where}: {self.code} {self.message}\n  hint: {self.hint}"


@dataclass(frozen=True)
class RenderedSample:
    """A prepared training row decoded back to text."""

    row: int
    completion: str
    """The completion as written in the data (reasoning + answer)."""
    full_text: str
    """Every token of the row, special tokens included: what the model reads."""
    trained_text: str
    """The tokens with a loss (labels != -100): what the model learns to write."""
    truncated: bool
    """The row fills `max_length` and does not end with the end-of-sequence token."""
    prompt_text: str = ""
    """The tokens before the first trained one: the prompt as rendered, generation prompt included."""


def _norm(text: str) -> str:
    return " ".join(text.split())


def _reasoning_block(completion: str, fmt: ReasoningFormat = TAGS) -> str | None:
    """The reasoning block as written in the completion, from its opening to its closing tag (None: none)."""
    start = completion.find(fmt.reasoning_open)
    end = completion.find(fmt.reasoning_close, start + 1)
    if start < 0 or end < 0:
        return None
    return completion[start : end + len(fmt.reasoning_close)]


def _block_trained(block: str, sample: RenderedSample, fmt: ReasoningFormat) -> bool:
    """The block is inside the trained tokens, or all of it after an opening tag that ends the prompt."""
    trained = _norm(sample.trained_text)
    if _norm(block) in trained:
        return True
    rest = _norm(block[len(fmt.reasoning_open):])
    return _norm(sample.prompt_text).endswith(_norm(fmt.reasoning_open)) and trained.startswith(rest)


def check_sample(sample: RenderedSample, *, default_system: str | None, max_length: int,
                 fmt: ReasoningFormat = TAGS) -> list[Problem]:
    """The reasoning (in the format `fmt`) and the answer are trained whole; no system prompt is rendered."""
    where = f"training row {sample.row}"
    problems: list[Problem] = []
    trained, full = _norm(sample.trained_text), _norm(sample.full_text)
    block = _reasoning_block(sample.completion, fmt)
    answer = _norm(parse_completion(sample.completion, (), fmt).answer)
    cut = Problem("PF002", where, f"the row is longer than max_length={max_length} tokens, so its end is cut off "
                  "and the reasoning or answer is not trained whole",
                  "raise --max-length, or drop over-long rows from the data")
    if block is not None and not _block_trained(block, sample, fmt):
        if sample.truncated:
            problems.append(cut)
        elif _norm(block) in full:
            problems.append(Problem("PF003", where, "the reasoning block is rendered, but the loss mask leaves "
                                    "(part of) it out of the trained tokens",
                                    "train on the completion only (no --trl-arg that changes the loss mask)"))
        else:
            problems.append(Problem("PF001", where, "the chat template drops or rewrites the reasoning block: "
                                    f"the rendered sample has no {fmt.reasoning_open}...{fmt.reasoning_close} as "
                                    f"written in the data (rendered: {_excerpt(sample.full_text)})",
                                    "use a template that renders assistant content verbatim: --chat-template "
                                    "FILE.jinja (or `auto` with a ChatML model)"))
    elif answer and answer not in trained:
        problems.append(cut if sample.truncated else Problem(
            "PF004", where, "the answer is not inside the trained tokens",
            "use a template that renders assistant content verbatim (--chat-template FILE.jinja)"))
    if default_system and _norm(default_system) in full:
        problems.append(Problem("PF006", where, f"the rendered sample contains a system prompt "
                                f"({_excerpt(default_system)}); training rows must have none",
                                "use --chat-template auto (or a template without a default system turn)"))
    return problems


def check_template(injected: str | None, template_name: str) -> list[Problem]:
    """PF005 when the chosen template still injects a default system prompt (`injected_system_prompt`)."""
    if injected is None:
        return []
    return [Problem("PF005", f"chat template ({template_name})",
                    f"the chat template adds a default system prompt to every conversation without one "
                    f"({_excerpt(injected)}), so the model would be trained with a system prompt",
                    "use --chat-template auto (replaces a ChatML template by one without the default), or pass "
                    "--chat-template FILE.jinja with a template that adds no system turn")]


def check_prompts(rows: Iterable[Mapping[str, Any]], column: str = "prompt") -> list[Problem]:
    """PF007 for every row whose prompt messages include a system message (first 5 rows named)."""
    bad = [i for i, row in enumerate(rows) if any(
        isinstance(m, Mapping) and m.get("role") == "system" for m in (row.get(column) or ()))]
    if not bad:
        return []
    shown = ", ".join(map(str, bad[:5])) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
    return [Problem("PF007", f"rows {shown}", f"{len(bad)} training prompt(s) have a system message; the spec "
                    "and any system prompt must be removed from training prompts",
                    "regenerate the data with `delib generate` (it drops the system prompt)")]


def check_completions(rows: Iterable[Mapping[str, Any]], column: str = "completion",
                      fmt: ReasoningFormat = TAGS) -> list[Problem]:
    """PF009 for every row whose completion has no reasoning block in the format `fmt` (first 5 rows named)."""
    bad = [i for i, row in enumerate(rows)
           if _reasoning_block(_last_content(row.get(column)), fmt) is None]
    if not bad:
        return []
    shown = ", ".join(map(str, bad[:5])) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
    return [Problem("PF009", f"rows {shown}", f"{len(bad)} completion(s) have no {fmt.reasoning_open}..."
                    f"{fmt.reasoning_close} block (reasoning format `{fmt.name}`); SFT teaches the model to reason "
                    "before it answers",
                    "train on the kept rows of `delib generate` (only well-formed completions are kept), with "
                    "--reasoning set to the format the data was generated in")]


def _last_content(completion: Any) -> str:
    if isinstance(completion, list) and completion and isinstance(completion[-1], Mapping):
        return str(completion[-1].get("content") or "")
    return completion if isinstance(completion, str) else ""


def check_truncation(lengths: Sequence[tuple[int, bool]], max_length: int) -> list[Problem]:
    """PF002 once for all rows (given as `(token count, ends with EOS)`) cut off by `max_length`."""
    cut = [i for i, (n, ends) in enumerate(lengths) if n >= max_length and not ends]
    if not cut:
        return []
    shown = ", ".join(map(str, cut[:5])) + (f" and {len(cut) - 5} more" if len(cut) > 5 else "")
    return [Problem("PF002", f"training rows {shown}", f"{len(cut)} row(s) are longer than max_length={max_length} "
                    "tokens and are cut off, so their reasoning or answer is not trained whole",
                    "raise --max-length, or drop over-long rows from the data")]


def raise_problems(problems: Sequence[Problem]) -> None:
    """Raise one `PreflightError` listing every problem (nothing when there are none)."""
    if not problems:
        return
    lines = "\n".join(p.format() for p in problems)
    raise PreflightError(f"pre-flight check failed ({len(problems)} problem(s)); nothing was trained:\n{lines}")


def _excerpt(text: str, width: int = 80) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= width else flat[: width - 3] + "...")


def render_samples(dataset: Any, tokenizer: Any, limit: int = SAMPLE_ROWS,
                   fmt: ReasoningFormat = TAGS) -> list[RenderedSample]:
    """The first `limit` rows of a prepared SFT dataset (`input_ids`, `labels`, `completion`), decoded; the
    completion as written in the format `fmt`."""
    eos = tokenizer.eos_token_id
    samples = []
    for row in range(min(limit, len(dataset))):
        example = dataset[row]
        ids, labels = list(example["input_ids"]), list(example["labels"])
        text = _completion_text(example["completion"], fmt)
        trained = [t for t, label in zip(ids, labels, strict=False) if label != -100]
        first = next((i for i, label in enumerate(labels) if label != -100), len(ids))
        samples.append(RenderedSample(
            row=row, completion=text, full_text=_decode(tokenizer, ids), trained_text=_decode(tokenizer, trained),
            truncated=bool(ids) and eos not in ids[-3:], prompt_text=_decode(tokenizer, ids[:first]),
        ))
    return samples


def _completion_text(completion: Any, fmt: ReasoningFormat) -> str:
    """The completion text of a prepared row, its reasoning put back where a chat template message holds it apart
    (`ReasoningFormat.message`: harmony's `thinking`)."""
    if isinstance(completion, list) and completion and isinstance(completion[-1], Mapping):
        thinking = completion[-1].get("thinking")
        if thinking:
            return fmt.join(str(completion[-1].get("content") or ""), str(thinking))
    return _last_content(completion)


def _decode(tokenizer: Any, ids: list[int]) -> str:
    return str(tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False))


@dataclass(frozen=True)
class PreflightReport:
    """What the SFT pre-flight checked and found (recorded in the run manifest, printed by `delib train sft`)."""

    format: str
    template: str
    rows: int
    """Rows in the prepared dataset."""
    checked: int
    """Rows rendered and decoded back (the first `SAMPLE_ROWS`)."""
    with_reasoning: int
    """Checked rows whose completion has a reasoning block (0 for answer-only data)."""
    reasoning_trained: int
    """... of which the whole block is inside the loss mask."""
    answers_trained: int
    """Checked rows whose answer is inside the loss mask."""
    system_prompt_free: int
    """Checked rows with no system prompt rendered."""
    longest: int
    max_length: int

    def summary(self) -> str:
        return (f"pre-flight ({self.format} format, template {self.template}): {self.checked} of {self.rows} rows "
                f"rendered; reasoning inside the loss mask in {self.reasoning_trained}/{self.with_reasoning}, "
                f"answer in {self.answers_trained}/{self.checked}, no system prompt in "
                f"{self.system_prompt_free}/{self.checked}; longest row {self.longest}/{self.max_length} tokens")


def _tally(samples: Sequence[RenderedSample], default_system: str | None, fmt: ReasoningFormat) -> dict[str, int]:
    blocks = [(s, _reasoning_block(s.completion, fmt)) for s in samples]
    answers = [(s, _norm(parse_completion(s.completion, (), fmt).answer)) for s in samples]
    return {"with_reasoning": sum(b is not None for _, b in blocks),
            "reasoning_trained": sum(b is not None and _block_trained(b, s, fmt) for s, b in blocks),
            "answers_trained": sum(bool(a) and a in _norm(s.trained_text) for s, a in answers),
            "system_prompt_free": sum(not (default_system and _norm(default_system) in _norm(s.full_text))
                                      for s in samples)}


def run_sft_preflight(trainer: Any, tokenizer: Any, *, default_system: str | None, template_name: str,
                      max_length: int, fmt: ReasoningFormat = TAGS) -> PreflightReport:
    """Every check on an `SFTTrainer`'s prepared dataset (completions in the reasoning format `fmt`); raises
    `PreflightError` listing all problems, else returns what was checked."""
    from trainer.backends import injected_system_prompt

    dataset = trainer.train_dataset
    if "completion" not in dataset.column_names:
        raise PreflightError("the prepared dataset has no `completion` column to check (was packing turned on?)",
                             "remove --trl-arg packing=true: the pre-flight check needs unpacked rows")
    eos = tokenizer.eos_token_id
    lengths = [(len(ids), eos in ids[-3:]) for ids in dataset["input_ids"]]
    problems = check_template(injected_system_prompt(tokenizer), template_name)
    problems += check_truncation(lengths, max_length)
    samples = render_samples(dataset, tokenizer, fmt=fmt)
    for sample in samples:
        problems += [p for p in check_sample(sample, default_system=default_system, max_length=max_length, fmt=fmt)
                     if p.code != "PF002" or not any(q.code == "PF002" for q in problems)]
    raise_problems(problems)
    return PreflightReport(format=fmt.name, template=template_name, rows=len(lengths), checked=len(samples),
                           longest=max((n for n, _ in lengths), default=0), max_length=max_length,
                           **_tally(samples, default_system, fmt))


def run_rl_preflight(tokenizer: Any, prompts: Sequence[Sequence[Mapping[str, str]]], *, default_system: str | None,
                     template_name: str, limit: int = SAMPLE_ROWS) -> None:
    """The system-prompt checks on RL prompts rendered as the policy will see them (generation prompt on)."""
    from trainer.backends import injected_system_prompt, render_chat

    problems = check_template(injected_system_prompt(tokenizer), template_name)
    for row, prompt in enumerate(prompts[:limit]):
        rendered = render_chat(tokenizer, [dict(m) for m in prompt], add_generation_prompt=True)  # type: ignore[misc]
        if default_system and _norm(default_system) in _norm(rendered):
            problems.append(Problem("PF006", f"prompt {row}", f"the rendered prompt contains a system prompt "
                                    f"({_excerpt(default_system)}); RL prompts must have none, as deployed",
                                    "use --chat-template auto (or a template without a default system turn)"))
            break
    raise_problems(problems)
