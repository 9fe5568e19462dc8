"""Benchmark: full parse + lint of the latest Model Spec vs markdown-it-py's bare tokenisation.

Run: .venv/bin/python tests/benchmarks/bench_parse.py [SPEC.md]
Target: our full parse + lint <= 2x the bare tokenisation of the same file.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from markdown_it import MarkdownIt

from spec_lang import load

DEFAULT = Path(__file__).resolve().parents[2].parent / "shared/data/model_spec/2025-12-18.md"


def best_of(fn, repeat: int = 7) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    text = path.read_text(encoding="utf-8")
    md = MarkdownIt("commonmark")
    bare_min, bare_med = best_of(lambda: md.parse(text))
    full_min, full_med = best_of(lambda: load(str(path)))
    print(f"file: {path} ({len(text.encode()) / 1024:.0f} KiB)")
    print(f"markdown-it-py bare tokenisation : min {bare_min * 1e3:7.1f} ms   median {bare_med * 1e3:7.1f} ms")
    print(f"delib parse + lint (load)        : min {full_min * 1e3:7.1f} ms   median {full_med * 1e3:7.1f} ms")
    ratio = full_min / bare_min
    print(f"ratio (ours / bare, min)         : {ratio:.2f}x   (target <= 2.00x) {'OK' if ratio <= 2 else 'OVER'}")


if __name__ == "__main__":
    main()
