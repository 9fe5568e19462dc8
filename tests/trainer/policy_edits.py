"""An edit of one category of the repository's `policies/safety.md` (on a copy): what the retrain and build
tests change to see that only that category's data is generated again.

Import as `from tests.trainer.policy_edits import ...`."""

from __future__ import annotations

from pathlib import Path

EDITED_RULE = "- {#privacy.c2} Give contact details for organisations"
"""The rule `edit_privacy` extends."""


def edit_privacy(policies: Path) -> None:
    """Extend one rule of the `privacy` category of `policies/safety.md`, in place."""
    path = policies / "safety.md"
    text = path.read_text(encoding="utf-8")
    assert EDITED_RULE in text
    path.write_text(text.replace(EDITED_RULE, EDITED_RULE + " and public libraries"), encoding="utf-8")
