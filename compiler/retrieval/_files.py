"""Query and labelled-prompt files for retrieval: prompt files (`compiler.prompt_files`) read for their text
(the last user turn) and, for labelled files, their category."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from compiler.prompt_files import PromptFileError, read_prompt_file

QueryFileError = PromptFileError
"""The error of an unreadable query or labelled file (the prompt-file error, by its older name)."""


class LabeledPrompt(BaseModel):
    """A prompt with the category that governs it; `hide` names examples to leave out (leave-one-out)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt: str = Field(description="The prompt text.")
    category: str = Field(description="Section id of the category that governs the prompt.")
    hide: tuple[str, ...] = Field(default=(), description="Example keys the retriever must not see for it.")


def read_prompts(path: Path) -> list[str]:
    """The text (last user turn) of every row of a prompt file."""
    return [row.text for row in read_prompt_file(path)]


def read_labeled(path: Path) -> list[LabeledPrompt]:
    """The text and category of every row of a prompt file; every row must have a category."""
    return [LabeledPrompt(prompt=row.text, category=row.category or "")
            for row in read_prompt_file(path, require_category=True)]
