"""The data of a semantic diff: frozen models that `diff_specs` returns and every renderer reads.

Every entry names sections by their id in the *new* spec, with `old_id` (or `from`) where a section
was renamed, and parents or sections it left by their *old* id, as the reviewer knew them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ChunkOp = Literal["equal", "delete", "insert"]
FlagCode = Literal["authority_lowered", "authority_removed", "response_relaxed", "restriction_removed",
                   "category_removed", "authority_raised", "authority_added", "response_tightened", "rule_removed",
                   "allowance_added"]
"""What a flagged change did; see `Flag`."""
FlagSeverity = Literal["risk", "notable"]
"""`risk`: the policy may have got weaker, review before merging; `notable`: a real change in force, not a risk."""


class Frozen(BaseModel):
    """Base of the diff models: frozen and closed."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Chunk(Frozen):
    """A run of words in a word-level diff; `text` keeps the whitespace that follows each word."""

    op: ChunkOp = Field(description="`equal` (in both), `delete` (old only) or `insert` (new only).")
    text: str = Field(description="The words, separated by single spaces or `\\n\\n` between paragraphs.")


class SectionRef(Frozen):
    """A section that was added or removed."""

    id: str = Field(description="Section id.")
    title: str = Field(description="Section title.")
    parent: str | None = Field(description="Id of the enclosing section in the same spec.")
    kind: str = Field(description="Section kind, e.g. `category`.")


class Renamed(Frozen):
    """A section whose id changed while its content was kept."""

    from_: str = Field(serialization_alias="from", description="Id in the old spec.")
    to: str = Field(description="Id in the new spec.")
    similarity: float = Field(description="Word-sequence similarity of the two sections (0-1).")
    old_title: str = Field(description="Title in the old spec.")
    new_title: str = Field(description="Title in the new spec.")


class Retitled(Frozen):
    """A section whose id was kept and whose title changed."""

    id: str = Field(description="Section id.")
    old: str = Field(description="Old title.")
    new: str = Field(description="New title.")


class Moved(Frozen):
    """A section that now sits under another parent (a renamed parent does not count as a move)."""

    id: str = Field(description="Id in the new spec.")
    old_id: str | None = Field(default=None, description="Id in the old spec, when the section was renamed.")
    from_parent: str | None = Field(description="Old parent id (None: top level).")
    to_parent: str | None = Field(description="New parent id (None: top level).")


class AttrChange(Frozen):
    """An attribute of a section changed, e.g. `authority: platform -> root`; also `kind` and `level`."""

    id: str = Field(description="Id in the new spec.")
    key: str = Field(description="Attribute name.")
    old: str | None = Field(description="Old value (None: absent).")
    new: str | None = Field(description="New value (None: absent).")


class Reordered(Frozen):
    """A section that kept its parent but changed position among its siblings."""

    id: str = Field(description="Id in the new spec.")
    parent: str | None = Field(description="The parent (None: top level).")


class SectionChange(Frozen):
    """A section whose own text (prose, definitions, admonitions, part headings) changed."""

    id: str = Field(description="Id in the new spec.")
    old_id: str | None = Field(default=None, description="Id in the old spec, when the section was renamed.")
    similarity: float = Field(description="Similarity of the old and new text (0-1).")
    diff: tuple[Chunk, ...] = Field(description="Word-level diff of the text; empty when only `note` applies.")
    note: str | None = Field(default=None, description="What changed when it is not the text.")


class SectionChanges(Frozen):
    """Every change to the section tree."""

    added: tuple[SectionRef, ...] = Field(default=(), description="Sections only in the new spec.")
    removed: tuple[SectionRef, ...] = Field(default=(), description="Sections only in the old spec.")
    renamed: tuple[Renamed, ...] = Field(default=(), description="Id changed, content kept.")
    retitled: tuple[Retitled, ...] = Field(default=(), description="Id kept, title changed.")
    moved: tuple[Moved, ...] = Field(default=(), description="Parent changed.")
    attrs_changed: tuple[AttrChange, ...] = Field(default=(), description="Attribute, kind or level changed.")
    changed: tuple[SectionChange, ...] = Field(default=(), description="Text reworded.")
    reordered: tuple[Reordered, ...] = Field(default=(), description="Position among siblings changed.")


class RuleRef(Frozen):
    """A rule that was added or removed."""

    id: str = Field(description="Rule id.")
    section: str = Field(description="The section holding it.")
    text: str = Field(description="The rule, normalised.")


class RuleRenamed(Frozen):
    """A rule whose id changed while its text was kept (or nearly)."""

    from_: str = Field(serialization_alias="from", description="Old rule id.")
    to: str = Field(description="New rule id.")
    section: str = Field(description="Section holding the new rule.")
    similarity: float = Field(description="Similarity of the two texts (0-1).")


class RuleMoved(Frozen):
    """A rule that now sits in another section."""

    id: str = Field(description="Rule id in the new spec.")
    from_section: str = Field(description="Old section id.")
    to_section: str = Field(description="New section id.")


class RuleChange(Frozen):
    """A rule whose text or response changed."""

    id: str = Field(description="Rule id in the new spec.")
    section: str = Field(description="Section holding it in the new spec.")
    old_response: str | None = Field(description="Old response the rule calls for.")
    new_response: str | None = Field(description="New response.")
    similarity: float = Field(description="Similarity of the two texts (0-1).")
    diff: tuple[Chunk, ...] = Field(description="Word-level diff of the text (empty when only the response changed).")


class RuleChanges(Frozen):
    """Every change to the rules, matched by id and then by text."""

    added: tuple[RuleRef, ...] = Field(default=(), description="Rules only in the new spec.")
    removed: tuple[RuleRef, ...] = Field(default=(), description="Rules only in the old spec.")
    renamed: tuple[RuleRenamed, ...] = Field(default=(), description="Rule id changed.")
    moved: tuple[RuleMoved, ...] = Field(default=(), description="Section changed.")
    changed: tuple[RuleChange, ...] = Field(default=(), description="Text or response changed.")


class ExampleRef(Frozen):
    """An example that was added or removed."""

    section: str = Field(description="The section holding it.")
    title: str = Field(description="The example's title.")
    hash: str = Field(description="`example_hash` of the example.")


class ExampleMoved(Frozen):
    """An example that now sits in another section."""

    title: str = Field(description="Title in the new spec.")
    from_section: str = Field(description="Old section id.")
    to_section: str = Field(description="New section id.")
    hash: str = Field(description="`example_hash` in the new spec.")


class ExampleRetitled(Frozen):
    """An example whose title changed."""

    section: str = Field(description="Section holding it in the new spec.")
    old_title: str = Field(description="Old title.")
    new_title: str = Field(description="New title.")


class ExampleChange(Frozen):
    """An example whose dialogue changed (messages, candidates, labels)."""

    section: str = Field(description="Section holding it in the new spec.")
    title: str = Field(description="Title in the new spec.")
    similarity: float = Field(description="Similarity of the two dialogues (0-1).")
    diff: tuple[Chunk, ...] = Field(description="Word-level diff of the dialogue rendered as text.")
    old_hash: str = Field(description="`example_hash` before.")
    new_hash: str = Field(description="`example_hash` after.")


class ExampleChanges(Frozen):
    """Every change to the examples, matched by content, then prompt, then title, then similarity."""

    added: tuple[ExampleRef, ...] = Field(default=(), description="Examples only in the new spec.")
    removed: tuple[ExampleRef, ...] = Field(default=(), description="Examples only in the old spec.")
    moved: tuple[ExampleMoved, ...] = Field(default=(), description="Section changed.")
    retitled: tuple[ExampleRetitled, ...] = Field(default=(), description="Title changed.")
    changed: tuple[ExampleChange, ...] = Field(default=(), description="Dialogue changed.")


class MetaChange(Frozen):
    """A change to the spec's metadata, format or preamble."""

    key: str = Field(description="`title`, `version`, `owners`, ..., `format` or `preamble`.")
    old: str | None = Field(description="Old value as text (None: absent).")
    new: str | None = Field(description="New value as text (None: absent).")


class StaleCategory(Frozen):
    """A category whose compiled artifacts (prompt, rubric, data rows, checkpoint) are out of date."""

    id: str = Field(description="Category id in the new spec.")
    reason: str = Field(description="Why, in a few words.")


class Impact(Frozen):
    """What a change means for compiled artifacts: the categories whose `spec(category)` changed."""

    stale_categories: tuple[StaleCategory, ...] = Field(default=(), description="Stale categories, in new order.")
    removed_categories: tuple[str, ...] = Field(default=(), description="Categories gone from the new spec.")
    shared_reason: str | None = Field(default=None, description="What changed in the part every category "
                                      "includes (None: nothing); when set, every category is stale.")
    total_categories: int = Field(default=0, description="Number of categories in the new spec.")

    @property
    def stale_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.stale_categories)

    @property
    def shared_changed(self) -> bool:
        return self.shared_reason is not None


class Flag(Frozen):
    """A change in force that a reviewer must see first, apart from wording: authority, response, lost rules.

    `risk` codes: `authority_lowered`, `authority_removed`, `response_relaxed` (refuse -> safe_complete ->
    comply), `restriction_removed` (a refuse or safe_complete rule), `category_removed`. `notable` codes:
    `authority_raised`, `authority_added`, `response_tightened`, `rule_removed` (a comply rule, or one without a
    response), `allowance_added` (a new comply rule: something is now explicitly allowed). Rewording, retitles,
    moves and cosmetic edits are never flagged."""

    code: FlagCode = Field(description="What happened (stable; see the class docstring).")
    severity: FlagSeverity = Field(description="`risk` or `notable`.")
    section: str = Field(description="Section id in the new spec; for a removed rule or category, in the old one.")
    rule: str | None = Field(default=None, description="Rule id, for rule flags.")
    old: str | None = Field(description="Old value: the authority, the response, or `category` (None: absent).")
    new: str | None = Field(description="New value: the same, or the section's new kind (None: absent, removed).")
    message: str = Field(description="The change and what it means, in one sentence.")


class SpecDiff(Frozen):
    """The semantic difference between two specs. `changed` is exactly `old_revision != new_revision`."""

    old: str = Field(description="Where the old spec came from (path or PATH@REV).")
    new: str = Field(description="Where the new spec came from.")
    old_revision: str = Field(description="`revision_id` of the old spec.")
    new_revision: str = Field(description="`revision_id` of the new spec.")
    cosmetic_only: bool = Field(description="The sources differ but the revision ids are equal.")
    flags: tuple[Flag, ...] = Field(default=(), description="Changes to review first (risks, then notable), "
                                    "also listed in their own group below.")
    meta: tuple[MetaChange, ...] = Field(default=(), description="Metadata, format and preamble changes.")
    sections: SectionChanges = Field(default_factory=SectionChanges, description="Section changes.")
    rules: RuleChanges = Field(default_factory=RuleChanges, description="Rule changes.")
    examples: ExampleChanges = Field(default_factory=ExampleChanges, description="Example changes.")
    impact: Impact = Field(default_factory=Impact, description="Stale categories, with reasons.")

    @property
    def changed(self) -> bool:
        """True when the specs differ in meaning (the `diff`-style exit status 1)."""
        return self.old_revision != self.new_revision

    @property
    def risks(self) -> tuple[Flag, ...]:
        """The flags of severity `risk`."""
        return tuple(f for f in self.flags if f.severity == "risk")

    @property
    def risky(self) -> bool:
        """True when some change may have weakened the policy (a `risk` flag)."""
        return bool(self.risks)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of `delib diff --format json`."""
        data = self.model_dump(mode="json", by_alias=True)
        data["changed"] = self.changed
        data["risky"] = self.risky
        return data
