"""Benchmark: semantic diff of two Model Spec releases vs parsing both files.

Run: .venv/bin/python tests/benchmarks/bench_diff.py [OLD.md NEW.md]
Target: the diff well under a second; printed next to the time of parsing both files, as a ratio.
Each diff run starts with `normalise_text`'s cache cleared, so nothing carries over between runs.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from spec_lang import parse
from spec_lang.diff import diff_specs, summary_line
from spec_lang.versions import normalise_text

DATA = Path(__file__).resolve().parents[2].parent / "shared/data/model_spec"
DEFAULT = (DATA / "2025-04-11.md", DATA / "2025-09-12.md")


def best_of(fn: Callable[[], object], repeat: int = 7, before: Callable[[], None] | None = None) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    old_path, new_path = (Path(sys.argv[1]), Path(sys.argv[2])) if len(sys.argv) > 2 else DEFAULT
    old_text, new_text = old_path.read_text(encoding="utf-8"), new_path.read_text(encoding="utf-8")
    old, new = parse(old_text, str(old_path)).spec, parse(new_text, str(new_path)).spec
    parse_min, parse_med = best_of(lambda: (parse(old_text), parse(new_text)))
    diff_min, diff_med = best_of(lambda: diff_specs(old, new), before=normalise_text.cache_clear)
    size = (len(old_text.encode()) + len(new_text.encode())) / 1024
    print(f"files: {old_path.name} -> {new_path.name} ({size:.0f} KiB together)")
    print(f"diff: {summary_line(diff_specs(old, new))}")
    print(f"parse both files   : min {parse_min * 1e3:7.1f} ms   median {parse_med * 1e3:7.1f} ms")
    print(f"diff_specs         : min {diff_min * 1e3:7.1f} ms   median {diff_med * 1e3:7.1f} ms")
    ratio = diff_min / parse_min
    verdict = "OK" if diff_med < 1.0 else "OVER"
    print(f"ratio (diff / parse both, min): {ratio:.2f}x   (target: diff well under 1 s) {verdict}")


if __name__ == "__main__":
    main()
