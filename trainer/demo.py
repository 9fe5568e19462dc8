"""`make demo`: the main job on the embedded defaults, step by step, printing where each artifact went.

Steps that later issues add (compile, generate, train, evaluate) join this list as they land.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from spec_lang import expand, has_errors, load, spec_stats

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
MODEL_SPEC = REPO.parent / "shared" / "data" / "model_spec" / "2025-12-18.md"

console = Console(highlight=False)


def step_lint() -> None:
    targets = [str(POLICIES)] + ([str(MODEL_SPEC)] if MODEL_SPEC.exists() else [])
    for ref in expand(targets):
        loaded = load(ref)
        errors = sum(d.severity == "error" for d in loaded.diagnostics)
        warnings = len(loaded.diagnostics) - errors
        console.print(f"  lint {ref}: {errors} error(s), {warnings} warning(s)")
        if has_errors(loaded.diagnostics):
            for d in loaded.diagnostics:
                console.print("   ", d.format(), markup=False)
            raise SystemExit(1)


def step_show() -> None:
    for ref in expand([str(POLICIES)] + ([str(MODEL_SPEC)] if MODEL_SPEC.exists() else [])):
        spec = load(ref).spec
        stats = spec_stats(spec)
        console.print(f"  show {ref}: {len(spec.categories)} categories, {stats['sections']} sections, "
                      f"{stats['rules']} rules, {stats['examples']} examples, labels {stats['labels']}")


STEPS: list[tuple[str, Callable[[], None]]] = [
    ("lint the policies and the latest Model Spec", step_lint),
    ("show their structure", step_show),
]


def main() -> None:
    total = time.perf_counter()
    for n, (title, fn) in enumerate(STEPS, 1):
        console.rule(f"[bold]{n}/{len(STEPS)} {title}")
        start = time.perf_counter()
        fn()
        console.print(f"  [dim]done in {time.perf_counter() - start:.1f}s[/dim]")
    console.rule(f"demo finished in {time.perf_counter() - total:.1f}s")


if __name__ == "__main__":
    sys.exit(main())
