"""`delib chat MODEL`: a quick conversation with a model (the embedded one, a trained run, a server).

One user turn per line of standard input; the model answers each with the whole conversation so far, as
deployed (no spec in the prompt). The reasoning, read in the chosen format (`auto`: `tags`, the embedded
model's; a server's separate reasoning field is read in any format), is shown with `--reasoning-shown` and
left out of the conversation either way (what a user sees is the answer).
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from trainer.cli._app import MODEL_ADDRESSES, JsonOpt, app, err, library_messages, out
from trainer.cli._reasoning import ReasoningOpt

if TYPE_CHECKING:
    from compiler.reasoning import ReasoningFormat
    from trainer.backends import ChatBackend


@app.command("chat")
def chat_cmd(
    model: Annotated[str, typer.Argument(help=f"A model address ({MODEL_ADDRESSES}).")] = "embedded",
    system: Annotated[str | None, typer.Option("--system", help="A system prompt for the conversation "
                                               "(none by default, as the trained model is deployed).")] = None,
    reasoning: ReasoningOpt = "auto",
    reasoning_shown: Annotated[bool, typer.Option("--reasoning-shown/--reasoning-hidden", help="Print the "
                                                  "model's reasoning before each answer.")] = False,
    max_new_tokens: Annotated[int, typer.Option("--max-new-tokens", min=1, help="Token limit of each reply.")] = 256,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the replies (greedy either way).")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Talk to a model: one user turn per line of standard input (end with Ctrl-D); each reply is printed
    as the answer (with --reasoning-shown, the reasoning first). --json prints one JSON object per turn."""
    from compiler.reasoning import resolve
    from trainer.backends import open_backend

    fmt = resolve(reasoning)
    with library_messages():  # library warnings and logs (loading, generating) go to the log file
        _chat(open_backend(model), fmt, system, reasoning_shown, max_new_tokens, seed, as_json)


def _chat(backend: ChatBackend, fmt: ReasoningFormat, system: str | None, reasoning_shown: bool, max_new_tokens: int,
          seed: int, as_json: bool) -> None:
    from compiler.format import parse_completion
    from trainer.backends import ChatMessage, SamplingParams

    conversation: list[ChatMessage] = [{"role": "system", "content": system}] if system else []
    params = SamplingParams(temperature=0.0, max_new_tokens=max_new_tokens, seed=seed)
    if sys.stdin.isatty() and not as_json:
        err.print(f"talking to {backend.model_id} ({fmt.name} format); one line per turn, Ctrl-D to end", markup=False)
    try:
        for line in sys.stdin:
            text = line.strip()
            if not text:
                continue
            conversation.append({"role": "user", "content": text})
            [reply] = backend.generate([conversation], params)
            parsed = parse_completion(fmt.join(reply.text, reply.reasoning), (), fmt)
            answer = parsed.answer or reply.text.strip()
            conversation.append({"role": "assistant", "content": answer})
            if as_json:
                out.print(json.dumps({"user": text, "reasoning": parsed.reasoning or None, "answer": answer,
                                      "finish_reason": reply.finish_reason}, ensure_ascii=False),
                          markup=False, soft_wrap=True)
                continue
            if reasoning_shown and parsed.reasoning:
                out.print(Text(parsed.reasoning, style="dim"))  # text, not markup: `[#id]` stays
            out.print(answer, markup=False)
    finally:
        backend.close()
