"""Fixed halves of a spec's examples: `tune` and `report`, by a hash of the example title.

Settings are chosen on the `tune` half and figures reported on the `report` half; a fine-tuned embedder
that is to be evaluated on the spec's own examples leaves the `report` half out of its training pairs.
"""

from __future__ import annotations

from typing import Literal

from compiler.retrieval._units import example_key
from spec_lang.model import Spec
from spec_lang.versions import digest

Half = Literal["tune", "report"]


def split_of(title: str) -> Half:
    """A fixed half of the data: by the parity of a hash of the example title."""
    return "tune" if int(digest(["split", title]), 16) % 2 == 0 else "report"


def example_halves(spec: Spec) -> dict[str, Half]:
    """The half of every example of every category, by example key (`example_key`)."""
    return {example_key(section, example): split_of(example.title)
            for category in spec.categories for section in spec.subtree(category.id)
            for example in section.examples}
