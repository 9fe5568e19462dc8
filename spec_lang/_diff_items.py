"""Rules and examples: match them across the two specs, then report what happened to each.

Matching runs in passes, each pairing only what earlier passes left over, and each preferring a partner
in the same section (old sections seen through renames) before one elsewhere:

- rules: by id, then by identical text (a renumbered rule), then by similarity (`RULE_THRESHOLD`);
- examples: by content hash, then by their prompt (the messages before the candidates), then by title
  (when the dialogues are not unrelated, `TITLE_FLOOR`), then by similarity (`EXAMPLE_THRESHOLD`).

So an example that was moved, retitled or edited is reported as such, not as a removal plus an addition.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

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
from spec_lang._diff_words import example_text, similarity, word_diff, words
from spec_lang.model import Example, Rule, Spec
from spec_lang.versions import SpecHashes, digest, normalise_text

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
    source: str = ""
    """The text compared by similarity (its words are computed on first use: most items never need them)."""
    keys: dict[str, str | None] = field(default_factory=dict)
    """Matching keys, computed once (`by_key` passes read them by name)."""
    _words: list[str] | None = None
    _bag: Counter[str] | None = None

    @property
    def words(self) -> list[str]:
        if self._words is None:
            self._words = words(self.source)
        return self._words

    @property
    def bag(self) -> Counter[str]:
        if self._bag is None:
            self._bag = Counter(self.words)
        return self._bag

    def similarity(self, other: _Item[T], floor: float) -> float:
        return similarity(self.words, other.words, floor, (self.bag, other.bag))


@dataclass
class _Pairing(Generic[T]):
    old: list[_Item[T]]
    new: list[_Item[T]]
    pairs: dict[int, int] = field(default_factory=dict)
    """New index -> old index."""

    def by_key(self, name: str, accept: Callable[[_Item[T], _Item[T]], bool]) -> None:
        """Pair leftovers with equal, non-None keys `name`: same section first, then anywhere, in order."""
        for local in (True, False):
            free: dict[Hashable, list[int]] = {}
            taken = set(self.pairs.values())
            for i, item in enumerate(self.old):
                k = item.keys[name]
                if i not in taken and k is not None:
                    free.setdefault((item.home, k) if local else k, []).append(i)
            for j, item in enumerate(self.new):
                k = item.keys[name]
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
                score = self.old[i].similarity(self.new[j], threshold)
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
    return [_Item(node=r, section=s.id, home=(match.new_id(s.id) or s.id) if match else s.id, source=r.text,
                  keys={"id": r.id, "text": normalise_text(r.text)})
            for s in spec.sections for r in s.rules]


def rule_changes(old: Spec, new: Spec, match: SectionMatch) -> RuleChanges:
    """Rules added, removed, renamed (id changed), moved between sections and changed."""
    pairing = _Pairing(old=_rules(old, match), new=_rules(new, None))
    pairing.by_key("id", _always)
    pairing.by_key("text", _always)
    pairing.by_similarity(RULE_THRESHOLD)
    renamed, moved, changed = [], [], []
    for o, n in pairing.matched():
        before, after = o.node, n.node
        chunks, ratio = word_diff(before.text, after.text)
        if before.id != after.id:
            renamed.append(RuleRenamed(from_=before.id, to=after.id, section=n.section, similarity=ratio))
        if o.home != n.section:
            moved.append(RuleMoved(id=after.id, from_section=o.section, to_section=n.section))
        same_text = normalise_text(before.text) == normalise_text(after.text)
        if not same_text or before.response != after.response:
            changed.append(RuleChange(
                id=after.id, section=n.section, old_response=before.response, new_response=after.response,
                similarity=ratio, diff=() if same_text else chunks))
    return RuleChanges(
        added=tuple(_rule_ref(i) for i in pairing.unmatched_new()),
        removed=tuple(_rule_ref(i) for i in pairing.unmatched_old()),
        renamed=tuple(renamed), moved=tuple(moved), changed=tuple(changed))


def _rule_ref(item: _Item[Rule]) -> RuleRef:
    return RuleRef(id=item.node.id, section=item.section, text=normalise_text(item.node.text))


# -- examples --------------------------------------------------------------------------------------


def _examples(hashes: SpecHashes, match: SectionMatch | None) -> list[_Item[Example]]:
    out: list[_Item[Example]] = []
    for s, data, digests in zip(hashes.spec.sections, hashes.data["sections"], hashes.example_hashes, strict=True):
        blocks = [b for b in data["body"] if b.get("type") == "example"]
        for e, block, hash_ in zip(s.examples, blocks, digests, strict=True):
            out.append(_Item(node=e, section=s.id, home=(match.new_id(s.id) or s.id) if match else s.id,
                             source=e.title + "\n\n" + example_text(e),
                             keys={"hash": hash_, "turns": digest(block["turns"]), "prompt": prompt_key(block["turns"]),
                                   "title": block["title"].lower() or None, "title_text": block["title"]}))
    return out


def prompt_key(turns: list[dict[str, Any]]) -> str | None:
    """Hash of the normalised messages the candidates answer (None when there are none)."""
    context = []
    for turn in turns:
        if turn.get("type") == "comparison":
            break
        if turn.get("type") == "message":
            context.append(turn)
    return digest(context) if context else None


def _related(a: _Item[Example], b: _Item[Example]) -> bool:
    return a.similarity(b, TITLE_FLOOR) >= TITLE_FLOOR


def example_changes(old: SpecHashes, new: SpecHashes, match: SectionMatch) -> ExampleChanges:
    """Examples added, removed, moved between sections, retitled and changed."""
    pairing = _Pairing(old=_examples(old, match), new=_examples(new, None))
    pairing.by_key("hash", _always)
    pairing.by_key("prompt", _always)
    pairing.by_key("title", _related)
    pairing.by_similarity(EXAMPLE_THRESHOLD)
    moved, retitled, changed = [], [], []
    for o, n in pairing.matched():
        before, after = o.node, n.node
        if o.home != n.section:
            moved.append(ExampleMoved(title=after.title, from_section=o.section, to_section=n.section,
                                      hash=n.keys["hash"]))
        if o.keys["title_text"] != n.keys["title_text"]:
            retitled.append(ExampleRetitled(section=n.section, old_title=before.title, new_title=after.title))
        if o.keys["turns"] != n.keys["turns"]:
            chunks, ratio = word_diff(example_text(before), example_text(after))
            changed.append(ExampleChange(section=n.section, title=after.title, similarity=ratio, diff=chunks,
                                         old_hash=o.keys["hash"], new_hash=n.keys["hash"]))
    return ExampleChanges(
        added=tuple(_example_ref(i) for i in pairing.unmatched_new()),
        removed=tuple(_example_ref(i) for i in pairing.unmatched_old()),
        moved=tuple(moved), retitled=tuple(retitled), changed=tuple(changed))


def _example_ref(item: _Item[Example]) -> ExampleRef:
    return ExampleRef(section=item.section, title=item.node.title, hash=item.keys["hash"])
