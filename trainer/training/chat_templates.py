"""The chat template a run trains with, chosen once and recorded in the run manifest.

Training rows carry no system prompt (the spec is removed, as deployed), so the template must not add
one either. SmolLM2's ChatML template adds "You are a helpful AI assistant named SmolLM, ..." to every
conversation without a system turn; with `auto` such a ChatML template is replaced by plain ChatML,
which renders every conversation that *has* a system turn exactly as the original did (checked on
probe conversations before it is used). The chosen template is saved with the final model, so the
trained model chats without the default system prompt too.

The template must also keep the reasoning of the completion, in the run's reasoning format
(`compiler.reasoning`): some templates strip it (DeepSeek-R1's drops everything up to `</think>` from
every assistant turn; Qwen3-style ones from earlier turns; gpt-oss's renders `thinking` only in the final
turn). It is checked on a probe conversation before training. With `auto`, a template that drops it is
replaced by TRL's training variant of the same template when TRL ships one (`get_training_chat_template`),
else by plain ChatML when that renders every probe conversation exactly as the model's template; with
`model` or a file, or when neither fits, training stops with `PreflightError` (PF010): never a silent loss.

    choice, model_default = use_chat_template(tokenizer, "auto", THINK)   # "auto" | "model" | a .jinja file
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from compiler.reasoning import TAGS, ReasoningFormat
from trainer.backends import ChatMessage
from trainer.training.errors import PreflightError

CHATML_NO_DEFAULT_SYSTEM = (
    "{% for message in messages %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
"""ChatML as SmolLM2 writes it, without the default system turn."""

OVERRIDE_NAME = "chatml-without-default-system"
KEEPS_REASONING_NAME = "chatml-keeps-reasoning"
TRL_TRAINING_NAME = "trl-training-template"
_PROBE_REASONING = "Probe reasoning that cites `probe.r1`.\nDecision: comply"

_PROBES: tuple[tuple[ChatMessage, ...], ...] = (
    ({"role": "system", "content": "S"}, {"role": "user", "content": "U"}),
    ({"role": "system", "content": "S"}, {"role": "user", "content": "U"}, {"role": "assistant", "content": "A"},
     {"role": "user", "content": "V"}),
)


class TemplateChoice(BaseModel):
    """The chat template used for training and saved with the final model."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    source: Literal["model", "override", "file"] = Field(description="The model's own, our override (or TRL's "
                                                         "training template), or a file.")
    name: str = Field(description="`model`, the override's name, or the file path.")
    sha256: str = Field(description="SHA-256 of the template text.")
    removed_default_system: str | None = Field(
        None, description="The default system prompt the model's template injected, removed by the override.")
    template: str = Field(description="The Jinja template text.", repr=False)


def template_hash(template: str) -> str:
    return hashlib.sha256(template.encode("utf-8")).hexdigest()


def with_template(tokenizer: Any, template: str) -> Any:
    """A shallow copy of `tokenizer` that renders with `template` (the original is left alone)."""
    clone = copy.copy(tokenizer)
    clone.chat_template = template
    return clone


def keeps_reasoning(tokenizer: Any, template: str, fmt: ReasoningFormat) -> bool:
    """Whether `template` renders the reasoning of a final assistant turn written in `fmt` (a probe)."""
    from trainer.backends import BackendError, render_chat

    reply = fmt.message(fmt.render(_PROBE_REASONING, "Probe answer."))
    probe = [{"role": "user", "content": "U"}, reply]
    try:
        rendered = render_chat(with_template(tokenizer, template), probe, add_generation_prompt=False)  # type: ignore[arg-type]
    except BackendError:
        return False
    return "".join(_PROBE_REASONING.split()) in "".join(rendered.split())


def choose_chat_template(tokenizer: Any, choice: str, fmt: ReasoningFormat = TAGS) -> TemplateChoice:
    """The template for `choice`: `model` (as is), `auto` (as is unless it injects a system prompt that can be
    removed safely, or drops the reasoning of `fmt` and a training template keeps it) or a path to a Jinja file.
    Raises `PreflightError` (PF010) when the result would drop the reasoning. Whether it still injects a system
    prompt is the pre-flight's check."""
    chosen = _choose(tokenizer, choice)
    if keeps_reasoning(tokenizer, chosen.template, fmt):
        return chosen
    if choice == "auto":
        for fallback in _reasoning_fallbacks(tokenizer):
            if keeps_reasoning(tokenizer, fallback.template, fmt):
                return fallback.model_copy(update={"removed_default_system": chosen.removed_default_system})
    raise PreflightError(
        f"chat template ({chosen.name}): PF010 it drops the reasoning of a `{fmt.name}` completion "
        f"({fmt.reasoning_open or fmt.name}...{fmt.reasoning_close}), so SFT would not train the model to reason"
        + ("" if choice != "auto" else "; neither TRL's training templates nor plain ChatML render this model's "
           "conversations the same way"),
        "pass --chat-template FILE.jinja with a template that renders the reasoning of the final assistant turn "
        + ("(or --chat-template auto)" if choice != "auto" else "(for instance the model's own with the line that "
           "strips it removed)") + f", or check --reasoning (this run: {fmt.name})")


def _reasoning_fallbacks(tokenizer: Any) -> list[TemplateChoice]:
    """Templates that may keep the reasoning where the model's drops it: TRL's training variant of the model's
    template, then plain ChatML when it renders the probe conversations like the model's own."""
    found: list[TemplateChoice] = []
    try:
        from trl.chat_template_utils import get_training_chat_template

        training = get_training_chat_template(tokenizer)
    except Exception:  # noqa: BLE001 - TRL raises for templates it does not know; then it has none to offer
        training = None
    if isinstance(training, str) and training:
        found.append(TemplateChoice(source="override", name=TRL_TRAINING_NAME, sha256=template_hash(training),
                                    template=training))
    if _renders_like(tokenizer, CHATML_NO_DEFAULT_SYSTEM):
        found.append(TemplateChoice(source="override", name=KEEPS_REASONING_NAME,
                                    sha256=template_hash(CHATML_NO_DEFAULT_SYSTEM), template=CHATML_NO_DEFAULT_SYSTEM))
    return found


def _choose(tokenizer: Any, choice: str) -> TemplateChoice:
    """`choice` as a template, before the reasoning is checked (see `choose_chat_template`)."""
    from trainer.backends import injected_system_prompt

    if choice not in ("auto", "model"):
        return _from_file(Path(choice))
    original = getattr(tokenizer, "chat_template", None)
    if not isinstance(original, str) or not original:
        raise PreflightError("the model's tokenizer has no chat template (PF008)",
                             "train an instruction-tuned model, or pass --chat-template FILE.jinja")
    own = TemplateChoice(source="model", name="model", sha256=template_hash(original), template=original)
    if choice == "model":
        return own
    injected = injected_system_prompt(tokenizer)
    if injected is None or not _renders_like(tokenizer, CHATML_NO_DEFAULT_SYSTEM):
        return own  # nothing to fix, or not ChatML: the pre-flight reports the injection with what to do
    return TemplateChoice(source="override", name=OVERRIDE_NAME, sha256=template_hash(CHATML_NO_DEFAULT_SYSTEM),
                          removed_default_system=injected.strip(), template=CHATML_NO_DEFAULT_SYSTEM)


def use_chat_template(tokenizer: Any, choice: str, fmt: ReasoningFormat = TAGS) -> tuple[TemplateChoice, str | None]:
    """Set the chosen template on `tokenizer` (it keeps the reasoning of `fmt`); also return the default system
    prompt the model's own template injects (None if none), for the pre-flight to look for in rendered samples."""
    from trainer.backends import injected_system_prompt

    chosen = choose_chat_template(tokenizer, choice, fmt)
    model_default = chosen.removed_default_system or injected_system_prompt(tokenizer)
    tokenizer.chat_template = chosen.template
    return chosen, model_default


def _renders_like(tokenizer: Any, template: str) -> bool:
    """Whether `template` renders every probe conversation (all with a system turn) as the tokenizer's does."""
    from trainer.backends import BackendError, render_chat

    candidate = with_template(tokenizer, template)
    try:
        return all(
            render_chat(tokenizer, probe, add_generation_prompt=gen) == render_chat(candidate, probe,
                                                                                   add_generation_prompt=gen)
            for probe in _PROBES for gen in (False, True)
        )
    except BackendError:
        return False


def _from_file(path: Path) -> TemplateChoice:
    try:
        text = path.expanduser().read_text(encoding="utf-8")
    except OSError as exc:
        raise PreflightError(f"--chat-template {path}: cannot read it: {exc.strerror or exc}",
                             "pass `auto`, `model` or the path of a Jinja chat template file") from exc
    if not text.strip():
        raise PreflightError(f"--chat-template {path}: the file is empty", "write a Jinja chat template into it")
    return TemplateChoice(source="file", name=str(path), sha256=template_hash(text), template=text)
