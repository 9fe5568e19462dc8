"""The bundle manifest (`manifest.json`): what a bundle was compiled from and what it holds.

It records the spec revisions, each category's content hash (`spec_lang.versions.category_hashes`),
the hash of every template, the format version, the tool version, and per category the hash and
token count of each file. Serialised with sorted keys and no timestamps, so a rebuild from the same
inputs is byte-identical.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from spec_lang.ids import check_id

FORMAT_VERSION = 1
"""Version of the bundle layout and of the rendering code. Bump it when a change to the compiler's
Python code changes what it writes: bundles of another version are rebuilt in full."""

MANIFEST = "manifest.json"
CATEGORIES_DIR = "categories"
SYSTEM_PROMPT = "system_prompt.md"
RUBRIC = "rubric.md"
RUBRIC_ANSWER_ONLY = "rubric_answer_only.md"
SCHEMA = "rubric.schema.json"
FILES = (SYSTEM_PROMPT, RUBRIC, RUBRIC_ANSWER_ONLY, SCHEMA)
"""The files of every category folder, in the order they are written."""
SOURCES_DIR = "sources"
"""`sources/<spec id>.json`: the parsed spec each bundle was compiled from (its semantic form: no paths or
line numbers), so later tools can diff against exactly what was compiled (`Bundle.specs()`). Not in the
manifest: it describes the inputs, not the compiled files."""
COUNTED = (SYSTEM_PROMPT, RUBRIC, RUBRIC_ANSWER_ONLY)
"""The files whose tokens are counted (the prompts a model reads)."""


Id = Annotated[str, AfterValidator(check_id)]
"""A spec or category id (`spec_lang.ids`): ids name the bundle's files, so a manifest naming a path
such as `../x` is refused when it is read, before any file is touched."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TokenizerInfo(_Frozen):
    """The tokenizer that counted tokens."""

    name: str = Field(description="e.g. `SmolLM2-135M-Instruct-Q4_1`, or `approx-chars/4` for the estimate.")
    exact: bool = Field(description="False for the approximate character-based count.")
    digest: str | None = Field(default=None, description="Identifies the tokenizer files, when there are any.")


class SpecEntry(_Frozen):
    """One compiled spec."""

    id: Id = Field(description="Spec id (front matter `id`; `spec` for the Model Spec).")
    title: str = Field(description="Spec title.")
    version: str | None = Field(default=None, description="Author-assigned version, if any.")
    format: str = Field(description="`deliberative` or `model_spec`.")
    revision: str = Field(description="`spec_lang.versions.revision_id` of the spec.")


class CategoryEntry(_Frozen):
    """One compiled category: its folder is `categories/<id>/`."""

    id: Id = Field(description="Category (section) id.")
    spec: Id = Field(description="Id of the spec the category comes from.")
    title: str = Field(description="Category title.")
    hash: str = Field(description="`category_hashes(spec)[id]`: the content its files are rendered from.")
    files: dict[str, str] = Field(description="File name -> sha256 of its bytes (16 hex digits).")
    tokens: dict[str, int] = Field(description="File name -> token count, for the prompt files.")


class Manifest(_Frozen):
    """`manifest.json`."""

    format_version: int = Field(description="`FORMAT_VERSION` of the compiler that wrote the bundle.")
    completion_format: str = Field(description="`compiler.format.COMPLETION_FORMAT` the prompts ask for.")
    tool: str = Field(description="`deliberative <version>` that wrote the bundle (informational).")
    revision: str = Field(description="The bundle's spec revision: the spec's `revision_id`, or a hash of all.")
    specs: tuple[SpecEntry, ...] = Field(description="The compiled specs, in the order given.")
    templates: dict[str, str] = Field(description="Template name -> hash of its source.")
    tokenizer: TokenizerInfo = Field(description="What counted `tokens`.")
    categories: tuple[CategoryEntry, ...] = Field(description="Every category, in spec and document order.")

    def category(self, category_id: str) -> CategoryEntry | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def file_hash(data: bytes) -> str:
    """sha256 of a file's bytes, 16 hex digits (as in `spec_lang.versions.digest`)."""
    return hashlib.sha256(data).hexdigest()[:16]


def tool_version() -> str:
    try:
        return f"deliberative {metadata.version('deliberative')}"
    except metadata.PackageNotFoundError:
        return "deliberative (not installed)"
