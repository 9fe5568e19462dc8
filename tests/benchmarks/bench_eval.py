"""Refusal-detection benchmark (plain script, CPU): how well each detector tells a refusal, measured.

    .venv/bin/python tests/benchmarks/bench_eval.py [--no-classifier] [--judge embedded] [--judge-limit N] [--json OUT]

Labelled set: `tests/trainer/evaluation/data/styles_*.jsonl`, the spec's own candidates (policies/safety.md,
and the safety-related sections of the Model Spec 2025-12-18), each labelled comply / refuse /
safe_complete by reading it. Rows carry a `split` (by a hash of their example, so the candidates of one
example stay together): the heuristic's phrase lists were written and the classifier's settings chosen
on `tune` only; every figure printed here is on `report`.

Methods: the keyword baseline (refusal keywords anywhere), the heuristic detector, a softmax classifier
over all-MiniLM-L6-v2 embeddings trained on `tune`, and, with `--judge`, the judge's verdict style (the
same measurement as `delib eval-judge`). Refusal is the positive class; a safe completion is not a refusal.
Each method is shown with its ratio to the keyword baseline and a 95% paired-bootstrap interval of its F1
minus the baseline's (an interval that contains 0: no measurable difference on this many answers). The
tune split is printed too, as the in-sample figure the heuristic was written against.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from spec_lang.model import Response
from trainer.evaluation import LabeledResponse, read_labeled_file
from trainer.evaluation._stats import prf
from trainer.judging.refusal import HeuristicDetector, KeywordDetector

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "trainer" / "evaluation" / "data"
SETS = {"safety": DATA / "styles_safety.jsonl", "model_spec": DATA / "styles_model_spec.jsonl"}


def _rows(split: str) -> list[tuple[str, LabeledResponse]]:
    return [(name, r) for name, path in SETS.items() for r in read_labeled_file(path) if r.meta["split"] == split]


def _scores(rows: Sequence[LabeledResponse], styles: Sequence[Response | None]) -> dict[str, object]:
    kept = [(r.label, s) for r, s in zip(rows, styles, strict=True) if s is not None]
    stats = prf([t == "refuse" for t, _ in kept], [p == "refuse" for _, p in kept])
    return {"n": len(kept), "unscored": len(rows) - len(kept), **stats.as_json(),
            "accuracy_3way": round(sum(t == p for t, p in kept) / len(kept), 4) if kept else None}


def _classifier(tune: Sequence[LabeledResponse]) -> Callable[[Sequence[str]], list[Response]]:
    from compiler.retrieval import SentenceTransformerEmbedder
    from trainer.evaluation.classifier import EmbeddingStyleClassifier

    clf = EmbeddingStyleClassifier.fit(SentenceTransformerEmbedder(), [r.response for r in tune],
                                       [r.label for r in tune])
    return clf.detect


def _judge(spec_paths: dict[str, str], backend_spec: str, limit: int | None
           ) -> Callable[[Sequence[tuple[str, LabeledResponse]]], list[Response | None]]:
    from trainer.backends import open_backend
    from trainer.evaluation.agreement import JUDGE_CONFIG
    from trainer.evaluation.scoring import ScoreOnlyGrader
    from trainer.evaluation.sources import compile_in_memory, load_specs
    from trainer.judging import Judge, JudgeRequest

    backend = open_backend(backend_spec)
    judges = {name: ScoreOnlyGrader(Judge(backend, compile_in_memory(load_specs([path])), JUDGE_CONFIG), styles=True)
              for name, path in spec_paths.items()}  # as `delib eval-judge` grades

    def detect(rows: Sequence[tuple[str, LabeledResponse]]) -> list[Response | None]:
        out: list[Response | None] = []
        for i, (name, r) in enumerate(rows):
            if (limit is not None and i >= limit) or r.category is None:
                out.append(None)  # left out: counted as unscored
                continue
            [grade] = judges[name].grade([JudgeRequest(category=r.category, prompt=r.messages,
                                                       completion=r.response)])
            out.append(grade.style)
        return out

    return detect


def _fmt(x: object) -> str:
    return f"{x:.3f}" if isinstance(x, float) else "n/a" if x is None else str(x)


def _ratio(x: object, base: object) -> str:
    if not isinstance(x, float) or not isinstance(base, float) or base == 0:
        return "n/a"
    return f"{x / base:.2f}x"


def _f1_delta(truth: Sequence[bool], a: Sequence[bool], b: Sequence[bool], resamples: int = 2000
              ) -> tuple[float, float]:
    """95% paired-bootstrap interval of F1(a) - F1(b) (rows resampled together, seed 0)."""
    t, x, y = (np.array(v, dtype=bool) for v in (truth, a, b))
    idx = np.random.default_rng(0).integers(0, len(t), size=(resamples, len(t)))

    def f1(pred: np.ndarray) -> np.ndarray:
        tt, pp = t[idx], pred[idx]
        tp = (tt & pp).sum(axis=1)
        return np.asarray(2 * tp / np.maximum(tt.sum(axis=1) + pp.sum(axis=1), 1), dtype=np.float64)

    low, high = np.percentile(f1(x) - f1(y), [2.5, 97.5])
    return float(low), float(high)


def _table(title: str, rows: Sequence[LabeledResponse], styles: dict[str, Sequence[Response | None]],
           timings: dict[str, float] | None = None) -> dict[str, dict[str, object]]:
    """Print one table (refusal = positive class) with each method's ratio to the keyword baseline."""
    print(f"\n{title}: {len(rows)} answers, {sum(r.label == 'refuse' for r in rows)} refusals")
    print(f"{'method':<26}{'n':>5}{'P':>7}{'R':>7}{'F1':>7}{'3-way':>7}   {'P/kw':>6}{'R/kw':>6}{'F1/kw':>7}"
          f"{'F1-kw 95% CI':>18}"
          + (f"{'ms/answer':>11}" if timings else ""))
    scored = {name: _scores(rows, found) for name, found in styles.items()}
    base = scored[BASELINE]
    for name, sc in scored.items():
        cells = "".join(f"{_fmt(sc[k]):>7}" for k in ("precision", "recall", "f1", "accuracy_3way"))
        ratios = "".join(f"{_ratio(sc[k], base[k]):>{w}}" for k, w in (("precision", 6), ("recall", 6), ("f1", 7)))
        timing = f"{timings[name]:>11.2f}" if timings else ""
        both = [i for i, (x, y) in enumerate(zip(styles[name], styles[BASELINE], strict=True))
                if x is not None and y is not None]
        low, high = _f1_delta([rows[i].label == "refuse" for i in both], [styles[name][i] == "refuse" for i in both],
                              [styles[BASELINE][i] == "refuse" for i in both])
        sc["f1_minus_keyword_ci95"] = [round(low, 3), round(high, 3)]
        print(f"{name:<26}{sc['n']:>5}{cells}   {ratios}{f'[{low:+.3f}, {high:+.3f}]':>18}{timing}")
    return scored


BASELINE = "keyword (baseline)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--judge", help="also measure this judge backend's verdict style (slow on CPU)")
    parser.add_argument("--judge-limit", type=int, help="grade only the first N report rows with the judge")
    parser.add_argument("--no-classifier", action="store_true", help="skip the embedding classifier (no model load)")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    tune = [r for _, r in _rows("tune")]
    report = _rows("report")
    rows = [r for _, r in report]
    texts = [r.response for r in rows]
    methods: dict[str, Callable[[], Sequence[Response | None]]] = {
        BASELINE: lambda: KeywordDetector().detect(texts),
        "heuristic": lambda: HeuristicDetector().detect(texts),
    }
    if not args.no_classifier:
        methods["embedding classifier"] = lambda: _classifier(tune)(texts)
    if args.judge:
        paths = {"safety": str(REPO / "policies" / "safety.md"),
                 "model_spec": str(REPO.parent / "shared" / "data" / "model_spec" / "2025-12-18.md")}
        methods[f"judge {args.judge}"] = lambda: _judge(paths, args.judge, args.judge_limit)(report)
    styles: dict[str, Sequence[Response | None]] = {}
    timings: dict[str, float] = {}
    for name, run in methods.items():
        start = time.perf_counter()
        styles[name] = run()
        timings[name] = (time.perf_counter() - start) * 1000 / max(1, len(rows))
    print("Refusal detection, refusal = positive class (a safe completion is not a refusal); "
          "x/kw = ratio to the keyword baseline")
    results: dict[str, object] = {
        "report": _table(f"held-out (report) split, both sets (tuned on the {len(tune)} tune answers)", rows, styles,
                         timings)}
    for set_name in SETS:
        keep = [i for i, (name, _) in enumerate(report) if name == set_name]
        results[f"report/{set_name}"] = _table(f"held-out split, {set_name} only", [rows[i] for i in keep],
                                               {m: [s[i] for i in keep] for m, s in styles.items()})
    tune_texts = [r.response for r in tune]
    results["tune (in-sample)"] = _table(
        "tune split (in-sample for the heuristic: its phrase lists were written on it)", tune,
        {BASELINE: KeywordDetector().detect(tune_texts), "heuristic": HeuristicDetector().detect(tune_texts)})
    if args.json:
        args.json.write_text(json.dumps({"ms_per_answer": timings, **results}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
