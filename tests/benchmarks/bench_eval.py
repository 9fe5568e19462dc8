"""Refusal-detection benchmark (plain script, CPU): how well each detector tells a refusal, measured.

    .venv/bin/python tests/benchmarks/bench_eval.py [--judge embedded] [--judge-limit N] [--json OUT]

Labelled set: `tests/trainer/evaluation/data/styles_*.jsonl`, the spec's own candidates (policies/safety.md,
and the safety-related sections of the Model Spec 2025-12-18), each labelled comply / refuse /
safe_complete by reading it. Rows carry a `split` (by a hash of their example, so the candidates of one
example stay together): the heuristic's phrase lists were written and the classifier's settings chosen
on `tune` only; every figure printed here is on `report`.

Methods: the keyword baseline (refusal keywords anywhere), the heuristic detector, a softmax classifier
over all-MiniLM-L6-v2 embeddings trained on `tune`, and, with `--judge`, the judge's verdict style (the
same measurement as `delib eval-judge`). Refusal is the positive class; a safe completion is not a refusal.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from spec_lang.model import Response
from trainer.evaluation import LabeledResponse, read_labeled_file
from trainer.evaluation._stats import prf
from trainer.evaluation.refusal import HeuristicDetector, KeywordDetector

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
    from trainer.evaluation.sources import compile_in_memory, load_specs
    from trainer.judging import Judge, JudgeConfig, JudgeRequest

    backend = open_backend(backend_spec)
    config = JudgeConfig(runs=1, show_reasoning=False, use_choice_probs=True, seed=0)
    judges = {name: Judge(backend, compile_in_memory(load_specs([path])), config) for name, path in spec_paths.items()}

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--judge", help="also measure this judge backend's verdict style (slow on CPU)")
    parser.add_argument("--judge-limit", type=int, help="grade only the first N report rows with the judge")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    tune = [r for _, r in _rows("tune")]
    report = _rows("report")
    rows = [r for _, r in report]
    texts = [r.response for r in rows]
    methods: dict[str, Callable[[], Sequence[Response | None]]] = {
        "keyword (baseline)": lambda: KeywordDetector().detect(texts),
        "heuristic": lambda: HeuristicDetector().detect(texts),
        "embedding classifier": lambda: _classifier(tune)(texts),
    }
    if args.judge:
        paths = {"safety": str(REPO / "policies" / "safety.md"),
                 "model_spec": str(REPO.parent / "shared" / "data" / "model_spec" / "2025-12-18.md")}
        methods[f"judge {args.judge}"] = lambda: _judge(paths, args.judge, args.judge_limit)(report)
    results: dict[str, dict[str, object]] = {}
    print(f"held-out (report) split: {len(rows)} answers, {sum(r.label == 'refuse' for r in rows)} refusals; "
          f"tuned on {len(tune)} others")
    print(f"{'method':<28}{'n':>5}{'precision':>11}{'recall':>9}{'F1':>8}{'3-way acc':>11}{'ms/answer':>11}")
    for name, run in methods.items():
        start = time.perf_counter()
        styles = run()
        elapsed = (time.perf_counter() - start) * 1000 / max(1, len(rows))
        scores = _scores(rows, styles)
        results[name] = {**scores, "ms_per_answer": round(elapsed, 3)}
        cells = [_fmt(scores[k]) for k in ("precision", "recall", "f1", "accuracy_3way")]
        print(f"{name:<28}{scores['n']:>5}{cells[0]:>11}{cells[1]:>9}{cells[2]:>8}{cells[3]:>11}{elapsed:>11.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
