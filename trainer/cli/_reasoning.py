"""`--reasoning`: the reasoning format option that compile, generate, train sft, train rl and eval share.

    tags | think | harmony | auto      (`compiler.reasoning`)

`auto` is the bundle's format where a command reads a bundle, else the one the model's chat template speaks
(`compile`: the `--tokenizer` folder's template, else `tags`). A named format that contradicts the bundle is
an error that says how to recompile.
"""

from __future__ import annotations

from typing import Annotated

import typer

from compiler.reasoning import REASONING_CHOICES, ReasoningFormat, chat_template_in, resolve


def _choice(value: str) -> str:
    if value not in REASONING_CHOICES:
        raise typer.BadParameter(f"{value!r} is not a reasoning format; use one of: {', '.join(REASONING_CHOICES)}")
    return value


ReasoningOpt = Annotated[str, typer.Option(
    "--reasoning", callback=_choice, metavar="|".join(REASONING_CHOICES),
    help="Reasoning format: tags (<reasoning>/<answer>), think (<think> then the answer: Qwen3, DeepSeek-R1), "
         "harmony (gpt-oss analysis/final channels), or auto (the bundle's; else the model's chat template's).")]


def with_bundle(choice: str, bundle_format: ReasoningFormat) -> ReasoningFormat:
    """The format for a command that reads a bundle (`ReasoningError` when `choice` contradicts it)."""
    return resolve(choice, bundle=bundle_format)


def for_compile(choice: str, tokenizer: str | None) -> ReasoningFormat:
    """The format `delib compile` asks for: `auto` reads the `--tokenizer` folder's chat template, if any."""
    return resolve(choice, chat_template=chat_template_in(tokenizer) if choice == "auto" else None)
