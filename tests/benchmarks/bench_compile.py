"""Benchmark: full compile of the latest Model Spec vs an incremental recompile after a one-section edit.

Run: .venv/bin/python tests/benchmarks/bench_compile.py [SPEC.md] [CATEGORY]
Times `build_bundle` (the library call behind `delib compile`) with the spec already loaded:
- full: every category rendered, token-counted and written into an empty folder;
- incremental: one category's section edited (a paragraph added after its summary), the bundle already
  there; only that category is rendered, counted and rewritten;
- no-op: nothing changed; `--check`: staleness from hashes only.
Both with the approximate counter and, when available, the embedded SmolLM2 tokenizer (cache warmed first).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from compiler import ApproxCounter, TokenCounter, build_bundle, check_bundle
from compiler._tokens import embedded_counter
from spec_lang import load

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT.parent / "shared/data/model_spec/2025-12-18.md"


def timed(fn: Callable[[], object], setup: Callable[[], object] = lambda: None, repeat: int = 5) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        setup()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def edited_copy(path: Path, category: str, folder: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from tests.compiler.compile_helpers import add_paragraph

    out = folder / path.name
    out.write_text(add_paragraph(path.read_text(encoding="utf-8"), category), encoding="utf-8")
    return out


def run(label: str, counter: TokenCounter, path: Path, category: str, work: Path) -> None:
    spec, edited = load(str(path)).spec, load(str(edited_copy(path, category, work))).spec
    pristine, out = work / f"pristine-{label}", work / f"bundle-{label}"
    build_bundle([spec], pristine, counter=counter)

    def reset() -> None:
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(pristine, out)

    def fresh() -> None:
        shutil.rmtree(out, ignore_errors=True)

    full = timed(lambda: build_bundle([spec], out, counter=counter), fresh)
    incremental = timed(lambda: build_bundle([edited], out, counter=counter), reset)
    reset()
    _, report = build_bundle([edited], out, counter=counter)
    noop = timed(lambda: build_bundle([edited], out, counter=counter))
    check = timed(lambda: check_bundle([edited], out))
    print(f"[{label}] tokenizer {counter.info.name}; incremental rewrote {report.written}")
    for name, (best, median) in (("full compile", full), ("incremental (1 section)", incremental),
                                 ("no-op recompile", noop), ("--check", check)):
        print(f"  {name:<24}: min {best * 1e3:8.1f} ms   median {median * 1e3:8.1f} ms")
    print(f"  ratio full / incremental (min): {full[0] / incremental[0]:.1f}x")


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    category = sys.argv[2] if len(sys.argv) > 2 else "avoid_info_hazards"
    start = time.perf_counter()
    spec = load(str(path)).spec
    print(f"file: {path} ({path.stat().st_size / 1024:.0f} KiB, {len(spec.categories)} categories); "
          f"load + lint {1e3 * (time.perf_counter() - start):.0f} ms (not included below)")
    with tempfile.TemporaryDirectory() as tmp:
        run("approx", ApproxCounter(), path, category, Path(tmp))
        smol = embedded_counter()
        if smol is not None:
            smol.count("warm the cache")
            run("smollm2", smol, path, category, Path(tmp))


if __name__ == "__main__":
    main()
