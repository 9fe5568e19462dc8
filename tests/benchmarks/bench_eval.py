"""Refusal-detection benchmark (plain script, CPU): how well each detector tells a refusal, measured.

    .venv/bin/python tests/benchmarks/bench_eval.py [--no-classifier] [--judge embedded] [--judge-limit N] [--json OUT]

Labelled set: `tests/trainer/evaluation/data/styles_*.jsonl`, the spec's own candidates (policies/safety.md,
and the safety-related sections of the Model Spec 2025-12-18), each labelled comply / refuse /
safe_complete by reading it. Rows carry a `split` (by a hash of their example, so the candidates of one
example stay together): the heuristic's and the opening detector's phrase lists were written and the
classifier's settings chosen on `tune` only; every figure printed here is on `report` unless it says tune.

Methods: the keyword baseline (refusal keywords anywhere), the heuristic detector, the opening detector (the
judge panel's default: refusal statements and keywords in the opening sentences), a softmax classifier over
all-MiniLM-L6-v2 embeddings trained on `tune`, and, with `--judge`, the judge's verdict style (the same
measurement as `delib eval-judge`). Per method: refusal precision/recall/F1 (refusal the positive class; a
safe completion is not a refusal), three-way accuracy and Cohen's kappa (as `delib eval-judge` scores these
files), and comply-vs-decline accuracy and kappa (labels and predictions collapsed: refuse and safe_complete
both decline), each with a 95% paired-bootstrap interval of its difference from the keyword baseline (an
interval that contains 0: no measurable difference on this many answers). A last table keeps only the rows
labelled comply or refuse and scores them as `delib eval-judge` scores a binary set (a `safe_complete`
prediction counts as `refuse`): the closest these files come to a comply/refuse benchmark. The tune split is
printed too, as the in-sample figure the detectors were written against.

Public human labels: `tests/benchmarks/data/xstest_v2_completions.jsonl`, the XSTest v2 completions of five
models (GPT-4, Llama-2-70b-chat with and without its original system prompt, Mistral-7B-Instruct with and without
a guardrail prompt; 2,250 answers, each labelled full compliance / full refusal / partial refusal by the XSTest
authors; read here as comply / refuse / safe_complete). XSTest is evaluation only: these answers were never
used to write a rule or choose a setting. They are scored as binary sets (the partial refusals left out), pooled
and per model.
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
from trainer.evaluation.agreement import agreement
from trainer.judging.refusal import HeuristicDetector, KeywordDetector, OpeningDetector

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "trainer" / "evaluation" / "data"
SETS = {"safety": DATA / "styles_safety.jsonl", "model_spec": DATA / "styles_model_spec.jsonl"}
PUBLIC = REPO / "tests" / "benchmarks" / "data" / "xstest_v2_completions.jsonl"


def _rows(split: str) -> list[tuple[str, LabeledResponse]]:
    return [(name, r) for name, path in SETS.items() for r in read_labeled_file(path) if r.meta["split"] == split]


def _declines(styles: Sequence[Response | None]) -> list[Response | None]:
    """Comply vs decline: refuse and safe_complete both become `refuse`."""
    return ["refuse" if s == "safe_complete" else s for s in styles]


def _decline(style: Response) -> Response:
    return "refuse" if style == "safe_complete" else style


def _scores(rows: Sequence[LabeledResponse], styles: Sequence[Response | None]) -> dict[str, object]:
    labels = [r.label for r in rows]
    kept = [(t, s) for t, s in zip(labels, styles, strict=True) if s is not None]
    stats = prf([t == "refuse" for t, _ in kept], [p == "refuse" for _, p in kept])
    three, two = agreement(labels, styles), agreement([_decline(t) for t in labels], _declines(styles))
    return {"n": len(kept), "unscored": len(rows) - len(kept), **stats.as_json(),
            "accuracy_3way": three["accuracy"], "kappa_3way": three["kappa"],
            "accuracy_declines": two["accuracy"], "kappa_declines": two["kappa"]}


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


def _paired_delta(truth: Sequence[Response], a: Sequence[Response], b: Sequence[Response], metric: str,
                  resamples: int = 2000) -> tuple[float, float]:
    """95% paired-bootstrap interval of metric(a) - metric(b) (rows resampled together, seed 0); `metric` is
    `f1` (refusal the positive class) or `accuracy`."""
    t, x, y = (np.array(v) for v in (truth, a, b))
    idx = np.random.default_rng(0).integers(0, len(t), size=(resamples, len(t)))

    def stat(pred: np.ndarray) -> np.ndarray:
        tt, pp = t[idx], pred[idx]
        if metric == "accuracy":
            return np.asarray((tt == pp).mean(axis=1), dtype=np.float64)
        tr, pr = tt == "refuse", pp == "refuse"
        tp = (tr & pr).sum(axis=1)
        return np.asarray(2 * tp / np.maximum(tr.sum(axis=1) + pr.sum(axis=1), 1), dtype=np.float64)

    low, high = np.percentile(stat(x) - stat(y), [2.5, 97.5])
    return float(low), float(high)


def _ci(low: float, high: float) -> str:
    return f"[{low:+.3f}, {high:+.3f}]"


def _table(title: str, rows: Sequence[LabeledResponse], styles: dict[str, Sequence[Response | None]],
           timings: dict[str, float] | None = None) -> dict[str, dict[str, object]]:
    """Print one table with each method's difference from the keyword baseline (95% paired bootstrap)."""
    print(f"\n{title}: {len(rows)} answers, {sum(r.label == 'refuse' for r in rows)} refusals, "
          f"{sum(r.label == 'safe_complete' for r in rows)} safe completions")
    print(f"{'method':<22}{'n':>4}{'P':>7}{'R':>7}{'F1':>7}{'acc3':>7}{'k3':>7}{'acc2':>7}{'k2':>7}"
          f"{'F1-kw':>18}{'acc3-kw':>18}{'acc2-kw':>18}" + (f"{'ms/ans':>8}" if timings else ""))
    scored = {name: _scores(rows, found) for name, found in styles.items()}
    for name, sc in scored.items():
        keys = ("precision", "recall", "f1", "accuracy_3way", "kappa_3way", "accuracy_declines", "kappa_declines")
        cells = "".join(f"{_fmt(sc[k]):>7}" for k in keys)
        both = [i for i, (x, y) in enumerate(zip(styles[name], styles[BASELINE], strict=True))
                if x is not None and y is not None]
        truth = [rows[i].label for i in both]
        mine = [styles[name][i] or "comply" for i in both]
        base = [styles[BASELINE][i] or "comply" for i in both]
        cis = {"f1_minus_keyword_ci95": _paired_delta(truth, mine, base, "f1"),
               "accuracy_3way_minus_keyword_ci95": _paired_delta(truth, mine, base, "accuracy"),
               "accuracy_declines_minus_keyword_ci95": _paired_delta(
                   [_decline(t) for t in truth], [_decline(p) for p in mine], [_decline(p) for p in base], "accuracy")}
        sc.update({k: [round(v[0], 3), round(v[1], 3)] for k, v in cis.items()})
        timing = f"{timings[name]:>8.2f}" if timings else ""
        print(f"{name:<22}{sc['n']:>4}{cells}{''.join(f'{_ci(*v):>18}' for v in cis.values())}{timing}")
    return scored


def _binary_table(title: str, rows: Sequence[LabeledResponse], styles: dict[str, Sequence[Response | None]]
                  ) -> dict[str, dict[str, object]]:
    """The rows labelled comply or refuse only, scored as `delib eval-judge` scores a binary set."""
    keep = [i for i, r in enumerate(rows) if r.label != "safe_complete"]
    labels = [rows[i].label for i in keep]
    print(f"\n{title}: {len(keep)} answers labelled comply or refuse ({labels.count('refuse')} refusals), "
          "safe_complete predictions scored as refuse")
    print(f"{'method':<22}{'n':>4}{'acc':>7}{'kappa':>7}{'P':>7}{'R':>7}{'acc-kw 95% CI':>18}")
    base = [styles[BASELINE][i] or "comply" for i in keep]
    out: dict[str, dict[str, object]] = {}
    for name, found in styles.items():
        mine = [found[i] for i in keep]
        sc = agreement(labels, mine, binary=True)
        refusal = sc["refusal"]
        assert isinstance(refusal, dict)
        both = [j for j, p in enumerate(mine) if p is not None]  # unscored rows are left out, as in `agreement`
        low, high = _paired_delta([labels[j] for j in both], [_decline(mine[j] or "comply") for j in both],
                                  [_decline(base[j]) for j in both], "accuracy")
        out[name] = {"n": sc["scored"], "accuracy": sc["accuracy"], "kappa": sc["kappa"],
                     "precision": refusal["precision"], "recall": refusal["recall"],
                     "accuracy_minus_keyword_ci95": [round(low, 3), round(high, 3)]}
        print(f"{name:<22}{sc['scored']!s:>4}{_fmt(sc['accuracy']):>7}{_fmt(sc['kappa']):>7}"
              f"{_fmt(refusal['precision']):>7}{_fmt(refusal['recall']):>7}{_ci(low, high):>18}")
    return out


BASELINE = "keyword (baseline)"


def _public() -> dict[str, object]:
    """The XSTest v2 completions' human labels, as binary sets: pooled, then per model."""
    rows = read_labeled_file(PUBLIC)
    texts = [r.response for r in rows]
    styles: dict[str, Sequence[Response | None]] = {
        BASELINE: KeywordDetector().detect(texts), "heuristic": HeuristicDetector().detect(texts),
        "opening (default)": OpeningDetector().detect(texts)}
    out: dict[str, object] = {"xstest_v2/binary": _binary_table(
        "XSTest v2 completions, five models, human labels (evaluation only), as a binary set", rows, styles)}
    for model in dict.fromkeys(r.meta["model"] for r in rows):
        keep = [i for i, r in enumerate(rows) if r.meta["model"] == model]
        out[f"xstest_v2/{model}"] = _binary_table(f"XSTest v2 completions of {model}", [rows[i] for i in keep],
                                                  {m: [s[i] for i in keep] for m, s in styles.items()})
    return out


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
        "opening (default)": lambda: OpeningDetector().detect(texts),
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
    print("Refusal detection. P/R/F1: refusal vs the rest; acc3/k3: three-way accuracy and kappa; acc2/k2: "
          "comply vs decline; x-kw: 95% paired-bootstrap interval of the difference from the keyword baseline")
    results: dict[str, object] = {
        "report": _table(f"held-out (report) split, both sets (tuned on the {len(tune)} tune answers)", rows, styles,
                         timings)}
    for set_name in SETS:
        keep = [i for i, (name, _) in enumerate(report) if name == set_name]
        results[f"report/{set_name}"] = _table(f"held-out split, {set_name} only", [rows[i] for i in keep],
                                               {m: [s[i] for i in keep] for m, s in styles.items()})
    results["report/binary"] = _binary_table("held-out split, both sets, as a binary set", rows, styles)
    tune_texts = [r.response for r in tune]
    tune_styles: dict[str, Sequence[Response | None]] = {
        BASELINE: KeywordDetector().detect(tune_texts), "heuristic": HeuristicDetector().detect(tune_texts),
        "opening (default)": OpeningDetector().detect(tune_texts)}
    results["tune (in-sample)"] = _table(
        "tune split (in-sample for the detectors: their phrase lists were written on it)", tune, tune_styles)
    results["tune/binary"] = _binary_table("tune split, as a binary set", tune, tune_styles)
    results.update(_public())
    if args.json:
        args.json.write_text(json.dumps({"ms_per_answer": timings, **results}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
