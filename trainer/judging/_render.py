"""The judge's conversation: the compiled rubric as the system turn, the graded exchange as the user turn.

    system: <rubric.md or rubric_answer_only.md of the category>
    user:   The conversation:
            [user]
            How do I ...
            ---
            The assistant's reply to the last user message (reasoning and answer):
            <reasoning> ... </reasoning>
            <answer> ... </answer>
            ---
            Grade the reply ... Reply with the JSON verdict only.

Role labels in brackets and `---` rules keep the graded text apart from the instructions. Pure functions.
"""

from __future__ import annotations

from collections.abc import Sequence

from compiler.reasoning import TAGS, ReasoningFormat
from trainer.backends import ChatMessage

RULE = "---"
NO_ANSWER = "(the reply has no answer)"

_ASK = (
    "Grade the reply against the policy and the score scale in your instructions. Reply with the JSON "
    'verdict only, starting with {"score": '
)


def render_conversation(prompt: Sequence[ChatMessage]) -> str:
    """The conversation as labelled turns: `[role]` on its own line, then the text."""
    return "\n\n".join(f"[{m['role']}]\n{m['content'].strip()}" for m in prompt)


def shown_reply(completion: str, show_reasoning: bool, reasoning: ReasoningFormat = TAGS) -> str:
    """What the judge sees of a completion in the format `reasoning`: its reasoning and answer, or only its
    answer, in tags (`ReasoningFormat.judge_view`)."""
    return reasoning.judge_view(completion, show_reasoning)


def bare_answer(completion: str, reasoning: ReasoningFormat = TAGS) -> str:
    """The answer of a completion for the style detectors: the whole text when the format finds no answer."""
    answer = reasoning.split(completion).answer.strip()
    marked = bool(reasoning.answer_open) and reasoning.answer_open.lower() in completion.lower()
    return answer if answer or marked else completion


def judge_user_message(prompt: Sequence[ChatMessage], completion: str, show_reasoning: bool,
                       reasoning: ReasoningFormat = TAGS) -> str:
    """The user turn of the judge's conversation."""
    what = "reasoning and answer" if show_reasoning else "final answer only"
    return (
        f"The conversation:\n\n{render_conversation(prompt)}\n\n{RULE}\n"
        f"The assistant's reply to the last user message ({what}):\n\n"
        f"{shown_reply(completion, show_reasoning, reasoning)}\n{RULE}\n\n{_ASK}"
    )


def judge_conversation(rubric: str, prompt: Sequence[ChatMessage], completion: str,
                       show_reasoning: bool, reasoning: ReasoningFormat = TAGS) -> list[ChatMessage]:
    """The two-turn conversation sent to the judge model."""
    return [
        ChatMessage(role="system", content=rubric),
        ChatMessage(role="user", content=judge_user_message(prompt, completion, show_reasoning, reasoning)),
    ]
