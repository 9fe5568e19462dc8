"""Loading the specs a pipeline stage compiles: lint-clean, or a `SpecInputError` that lists the errors."""

from __future__ import annotations

from collections.abc import Sequence

from spec_lang import Spec, SpecLoadError, expand, has_errors, load
from spec_lang.diagnostics import sort_key
from trainer.training.errors import TrainingError


class SpecInputError(TrainingError):
    """A spec cannot be read, or has lint errors."""


def load_clean_specs(paths: Sequence[str]) -> list[Spec]:
    """The specs at `paths` (files, folders, PATH@REV); raises `SpecInputError` naming the first errors."""
    refs = expand(list(paths))
    if not refs:
        raise SpecInputError(f"no spec files found in {', '.join(paths)}", "pass a spec file or a folder of them")
    try:
        loaded = [load(ref) for ref in refs]
    except SpecLoadError as exc:
        raise SpecInputError(str(exc)) from exc
    errors = sorted((d for x in loaded for d in x.diagnostics if d.severity == "error"), key=sort_key)
    if has_errors(errors):
        shown = "; ".join(d.format() for d in errors[:3]) + (f" and {len(errors) - 3} more" if len(errors) > 3 else "")
        raise SpecInputError(f"{len(errors)} lint error(s): {shown}",
                             f"run `delib lint {' '.join(paths)}` and fix them")
    return [x.spec for x in loaded]
