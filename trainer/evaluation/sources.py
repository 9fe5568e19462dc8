"""Where evaluation gets its spec and bundle: the I/O edge shared by `delib eval`, `delib test` and
`delib eval-judge`.

A spec is loaded and must be lint-clean (as for `delib compile`). A bundle is either read from its folder
or compiled in memory from the spec (token counts approximated: nothing is written, no tokenizer loads).
Given both, they must match (`routing.check_spec_matches`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from compiler import ApproxCounter, Bundle, CompileError, compile_specs, load_bundle
from spec_lang import Spec, load_clean
from trainer.evaluation.errors import EvalError
from trainer.evaluation.routing import RouteFn, check_spec_matches, retrieval_router


@dataclass(frozen=True)
class Sources:
    """The bundle to grade with, and the specs it came from when known (needed for retrieval)."""

    bundle: Bundle
    specs: tuple[Spec, ...]

    def router(self, notify: Callable[[str], None] | None = None) -> RouteFn | None:
        """Retrieval over the (single) spec, limited to the bundle's categories; None without a spec."""
        if not self.specs:
            return None
        if len(self.specs) > 1:
            raise EvalError(f"{len(self.specs)} specs given; routing prompts by retrieval needs exactly one",
                            "give the prompts a category, or pass the one spec the bundle was compiled from")
        return retrieval_router(self.specs[0], self.bundle.categories, notify=notify)


def load_specs(paths: Sequence[str]) -> tuple[Spec, ...]:
    """Every spec under `paths` (files, folders, PATH@REV): `spec_lang.load_clean` (lint errors refuse)."""
    return load_clean(paths)[0]


def compile_in_memory(specs: Sequence[Spec]) -> Bundle:
    """The bundle of `specs`, compiled without writing anything."""
    try:
        return compile_specs(list(specs), counter=ApproxCounter())
    except CompileError as exc:
        raise EvalError(f"cannot compile {', '.join(s.path for s in specs)}: {exc.message}", exc.hint) from exc


def resolve(bundle_path: Path | None, spec_paths: Sequence[str]) -> Sources:
    """The bundle (read from `bundle_path`, else compiled from the specs) and the specs, checked to match."""
    specs = load_specs(spec_paths) if spec_paths else ()
    if bundle_path is None:
        if not specs:
            raise EvalError("no bundle and no spec given", "pass --bundle BUNDLE (from `delib compile`) or --spec SPEC")
        return Sources(bundle=compile_in_memory(specs), specs=specs)
    try:
        bundle = load_bundle(bundle_path)
    except CompileError as exc:
        raise EvalError(exc.message, exc.hint) from exc
    for spec in specs:
        check_spec_matches(spec, bundle)
    return Sources(bundle=bundle, specs=specs)
