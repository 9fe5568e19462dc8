"""Rules and examples: match them across the two specs, then report what happened to each.

Matching runs in passes, each pairing only what earlier passes left over, and each preferring a partner
in the same section (old sections seen through renames) before one elsewhere:

- rules: by id, then by identical text (a renumbered rule), then by similarity (`RULE_THRESHOLD`);
- examples: by content hash, then by their prompt (the messages before the candidates), then by title
  (when the dialogues are not unrelated, `TITLE_FLOOR`), then by similarity (`EXAMPLE_THRESHOLD`).

So an example that was moved, retitled or edited is reported as such, not as a removal plus an addition.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from spec_lang._diff_model import (
    ExampleChange,
    ExampleChanges,
    ExampleMoved,
    ExampleRef,
    ExampleRetitled,
    RuleChange,
    RuleChanges,
    RuleMoved,
    RuleRef,
    RuleRenamed,
)
from spec_lang._diff_sections import SectionMatch
from spec_lang._diff_words import example_text, similarity, text_ratio, word_diff, words
from spec_lang.model import Example, Message, Rule, Spec
from spec_lang.versions import digest, example_hash, normalise_text, normalised

RULE_THRESHOLD = 0.6
"""Least similarity for a removed and an added rule (different ids, different text) to be one rule."""
EXAMPLE_THRESHOLD = 0.5
"""Least similarity for two leftover examples (different prompt and title) to be one example."""
TITLE_FLOOR = 0.25
"""Two examples with the same title are one example only if their dialogues are at least this similar."""

T = TypeVar("T", Rule, Example)


@dataclass
class _Item(Generic[T]):
    node: T
    section: str
    """The section holding it, by id in its own spec."""
    home: str
    """The section holding it, by id in the new spec (old sections mapped through renames)."""
    words: list[str] = field(default_factory=list)


@dataclass
class _Pairing(Generic[T]):
    old: list[_Item[T]]
    new: list[_Item[T]]
    pairs: dict[int, int] = field(default_factory=dict)
    """New index -> old index."""

    def by_key(self, key: Callable[[T], Hashable | None], accept: Callable[[_Item[T], _Item[T]], bool]) -> None:
        """Pair leftovers with equal, non-None keys: same section first, then anywhere, in document order."""
        for local in (True, False):
            free: dict[Hashable, list[int]] = {}
            taken = set(self.pairs.values())
            for i, item in enumerate(self.old):
                k = key(item.node)
                if i not in taken and k is not None:
                    free.setdefault((item.home, k) if local else k, []).append(i)
            for j, item in enumerate(self.new):
                k = key(item.node)
                if j in self.pairs or k is None:
                    continue
                queue = free.get((item.home, k) if local else k, [])
                hit = next((i for i in queue if accept(self.old[i], item)), None)
                if hit is not None:
                    queue.remove(hit)
                    self.pairs[j] = hit

    def by_similarity(self, threshold: float) -> None:
        """Pair leftovers greedily by similarity, most similar first, never below `threshold`."""
        taken = set(self.pairs.values())
        old_free = [i for i in range(len(self.old)) if i not in taken]
        new_free = [j for j in range(len(self.new)) if j not in self.pairs]
        scored = []
        for j in new_free:
            for i in old_free:
                score = similarity(self.old[i].words, self.new[j].words, threshold)
                if score >= threshold:
                    scored.append((score, self.old[i].home != self.new[j].home, i, j))
        taken = set(self.pairs.values())
        for _score, _elsewhere, i, j in sorted(scored, key=lambda t: (-t[0], t[1], t[2], t[3])):
            if j not in self.pairs and i not in taken:
                self.pairs[j] = i
                taken.add(i)

    def unmatched_old(self) -> list[_Item[T]]:
        taken = set(self.pairs.values())
        return [item for i, item in enumerate(self.old) if i not in taken]

    def unmatched_new(self) -> list[_Item[T]]:
        return [item for j, item in enumerate(self.new) if j not in self.pairs]

    def matched(self) -> list[tuple[_Item[T], _Item[T]]]:
        return [(self.old[self.pairs[j]], item) for j, item in enumerate(self.new) if j in self.pairs]


def _always(_a: object, _b: object) -> bool:
    return True


# -- rules -----------------------------------------------------------------------------------------


def _rules(spec: Spec, match: SectionMatch | None) -> list[_Item[Rule]]:
    return [_Item(node=r, section=s.id, home=(match.new_id(s.id) or s.id) if match else s.id, words=words(r.text))
            for s in spec.sections for r in s.rules]


def rule_changes(old: Spec, new: Spec, match: SectionMatch) -> RuleChanges:
    """Rules added, removed, renamed (id changed), moved between sections and changed."""
    pairing = _Pairing(old=_rules(old, match), new=_rules(new, None))
    pairing.by_key(lambda r: r.id, _always)
    pairing.by_key(lambda r: normalise_text(r.text), _always)
    pairing.by_similarity(RULE_THRESHOLD)
    renamed, moved, changed = [], [], []
    for o, n in pairing.matched():
        before, after = o.node, n.node
        if before.id != after.id:
            renamed.append(RuleRenamed(from_=before.id, to=after.id, section=n.section,
                                       similarity=text_ratio(before.text, after.text)))
        if o.home != n.section:
            moved.append(RuleMoved(id=after.id, from_section=o.section, to_section=n.section))
        same_text = normalise_text(before.text) == normalise_text(after.text)
        if not same_text or before.response != after.response:
            changed.append(RuleChange(
                id=after.id, section=n.section, old_response=before.response, new_response=after.response,
                similarity=text_ratio(before.text, after.text),
                diff=() if same_text else word_diff(before.text, after.text)))
    return RuleChanges(
        added=tuple(_rule_ref(i) for i in pairing.unmatched_new()),
        removed=tuple(_rule_ref(i) for i in pairing.unmatched_old()),
        renamed=tuple(renamed), moved=tuple(moved), changed=tuple(changed))


def _rule_ref(item: _Item[Rule]) -> RuleRef:
    return RuleRef(id=item.node.id, section=item.section, text=normalise_text(item.node.text))


# -- examples --------------------------------------------------------------------------------------


def _examples(spec: Spec, match: SectionMatch | None) -> list[_Item[Example]]:
    return [_Item(node=e, section=s.id, home=(match.new_id(s.id) or s.id) if match else s.id,
                  words=words(e.title + "\n\n" + example_text(e)))
            for s in spec.sections for e in s.examples]


def prompt_key(example: Example) -> str | None:
    """The normalised messages the candidates answer (None when there are none)."""
    context: Sequence[Message] = example.context
    return digest([normalised(m) for m in context]) if context else None


def turns_key(example: Example) -> str:
    """Hash of the normalised dialogue (title excluded)."""
    return digest([normalised(t) for t in example.turns])


def title_key(example: Example) -> str | None:
    return normalise_text(example.title).lower() or None


def _related(a: _Item[Example], b: _Item[Example]) -> bool:
    return similarity(a.words, b.words, TITLE_FLOOR) >= TITLE_FLOOR


def example_changes(old: Spec, new: Spec, match: SectionMatch) -> ExampleChanges:
    """Examples added, removed, moved between sections, retitled and changed."""
    pairing = _Pairing(old=_examples(old, match), new=_examples(new, None))
    pairing.by_key(example_hash, _always)
    pairing.by_key(prompt_key, _always)
    pairing.by_key(title_key, _related)
    pairing.by_similarity(EXAMPLE_THRESHOLD)
    moved, retitled, changed = [], [], []
    for o, n in pairing.matched():
        before, after = o.node, n.node
        if o.home != n.section:
            moved.append(ExampleMoved(title=after.title, from_section=o.section, to_section=n.section,
                                      hash=example_hash(after)))
        if normalise_text(before.title) != normalise_text(after.title):
            retitled.append(ExampleRetitled(section=n.section, old_title=before.title, new_title=after.title))
        old_text, new_text = example_text(before), example_text(after)
        if turns_key(before) != turns_key(after):
            changed.append(ExampleChange(
                section=n.section, title=after.title, similarity=text_ratio(old_text, new_text),
                diff=word_diff(old_text, new_text), old_hash=example_hash(before), new_hash=example_hash(after)))
    return ExampleChanges(
        added=tuple(_example_ref(i) for i in pairing.unmatched_new()),
        removed=tuple(_example_ref(i) for i in pairing.unmatched_old()),
        moved=tuple(moved), retitled=tuple(retitled), changed=tuple(changed))


def _example_ref(item: _Item[Example]) -> ExampleRef:
    return ExampleRef(section=item.section, title=item.node.title, hash=example_hash(item.node))
