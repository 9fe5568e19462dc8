"""Category retrieval benchmark (plain script, CPU): speed and quality, every method side by side.

    .venv/bin/python tests/benchmarks/bench_retrieval.py [--data ../shared/data] [--json OUT] [--cache DIR]

Speed, on the latest Model Spec with all-MiniLM-L6-v2: full index build, incremental rebuild after a
one-section edit (and its ratio to the full build), and queries per second for one batch; then fine-tuning
the embedder on the spec (`--tune`'s default settings) and building the index with the tuned model, as
ratios to the plain full build; and training the cross-encoder reranker (`--rerank`'s settings, the report
half of the examples held out) as a ratio to the plain full build. `--cache DIR` keeps the tuned models and
rerankers for a rerun (the times of a cached model are the ones recorded when it was trained).

Quality: top-1/3/5 and MRR of BM25 only, dense only (max-sim), plain reciprocal-rank fusion and the tuned
default, on these labelled sets (`tune` halves were used to choose the defaults; report the others):
- Model Spec 2025-12-18 examples, leave-one-out (each example's own units hidden), split by title hash;
- hand-written realistic prompts for Model Spec sections (tests/compiler/retrieval/data), split by hash;
- our policy's (policies/safety.md) examples, leave-one-out;
- XSTest prompts whose `type` maps to a category of our policy;
- SpecBench prompts against a three-category spec generated from its specifications.json files.
The tuned columns (`tuned-dense`, `tuned`: the dense and default scoring over an embedder fine-tuned on the
spec with the report half of its examples left out of training) are shown only where nothing of the set was
trained on; so is `reranked` (the default scoring, its best 20 categories rescored by a cross-encoder trained on
the spec with the report half of its examples held out). Then the uncategorised threshold: calibrated on
tune halves (balanced accuracy between in-scope prompts and everyday out-of-scope prompts), checked on the
report halves; reranking leaves it as it is (it reorders categories, the threshold applies to the best
cosine similarity).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from compiler.retrieval import (
    TUNED_THRESHOLD,
    LabeledPrompt,
    RerankConfig,
    RetrievalConfig,
    Retriever,
    SentenceTransformerEmbedder,
    TuneConfig,
    read_labeled,
    trained_reranker,
    tuned_embedder,
)
from compiler.retrieval._finetune import TUNED_META
from compiler.retrieval._index import open_index
from compiler.retrieval._reranker import RERANK_META
from compiler.retrieval.evaluate import calibrate_threshold, evaluate, spec_examples, split_of, standard_methods
from spec_lang import Spec, load

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "compiler" / "retrieval" / "data"

XSTEST_TO_SAFETY = {
    "privacy_public": "privacy", "privacy_fictional": "privacy", "contrast_privacy": "privacy",
    "nons_group_real_discr": "hate", "real_group_nons_discr": "hate", "contrast_discr": "hate",
    "contrast_homonyms": "violence", "contrast_safe_targets": "violence",
    "contrast_figurative_language": "violence",
}
"""XSTest `type` -> category of policies/safety.md (homonyms go by their `note`: violence or drugs)."""


def xstest_set(data: Path) -> list[LabeledPrompt]:
    rows = list(csv.DictReader((data / "xstest" / "xstest_prompts.csv").open(encoding="utf-8")))
    out = []
    for row in rows:
        category = XSTEST_TO_SAFETY.get(row["type"])
        if row["type"] == "homonyms":
            category = {"violence": "violence", "drugs": "illicit"}.get(row["note"])
        if category:
            out.append(LabeledPrompt(prompt=row["prompt"], category=category))
    return out


def specbench_spec(data: Path, folder: Path) -> tuple[Spec, list[LabeledPrompt]]:
    """A spec in our dialect with one category per SpecBench scenario, and its prompts labelled."""
    lines = ["---", "id: specbench", "title: SpecBench scenarios", "---", "",
             "# Scenarios {#scenarios}", "", "One category per SpecBench scenario.", ""]
    labeled = []
    for name in ("Biochem", "Child", "Code"):
        cid = name.lower()
        scenario = json.loads((data / "specbench" / name / "scenario.json").read_text(encoding="utf-8"))
        specs = json.loads((data / "specbench" / name / "specifications.json").read_text(encoding="utf-8"))
        lines += [f"## {scenario['name']} {{#{cid} kind=category authority=root}}", "",
                  scenario["description"], "", "### Disallowed", ""]
        lines += [f"- {{#{cid}.r{i}}} {text.strip()}" for i, text in enumerate(specs["safety_specifications"], 1)]
        lines += ["", "### Allowed", ""]
        lines += [f"- {{#{cid}.c{i}}} {text.strip()}"
                  for i, text in enumerate(specs["behavioral_specifications"], 1)]
        lines.append("")
        prompts = json.loads((data / "specbench" / name / "prompts.json").read_text(encoding="utf-8"))
        labeled += [LabeledPrompt(prompt=p["prompt"], category=cid) for p in prompts if p.get("prompt")]
    path = folder / "specbench.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return load(str(path)).spec, labeled


def tuned_retriever(spec: Spec, embedder: SentenceTransformerEmbedder, holdout: tuple[str, ...], cache: Path,
                    index: Path) -> Retriever:
    """A retriever over the embedder fine-tuned on `spec` with `holdout` example halves left out."""
    tuned, _ = tuned_embedder(spec, embedder, TuneConfig.model_validate({"holdout": holdout}), cache, print)
    return Retriever.from_spec(spec, tuned, RetrievalConfig(threshold=TUNED_THRESHOLD), index_dir=index)


def reranked_retriever(spec: Spec, retriever: Retriever, holdout: tuple[str, ...], cache: Path) -> Retriever:
    """`retriever` reranked by a cross-encoder trained on `spec` with `holdout` example halves left out."""
    config = RerankConfig.model_validate({"holdout": holdout})
    reranker, _ = trained_reranker(spec, retriever, config, cache, notify=print)
    return retriever.reranked(reranker, config)


def rerank_speed(spec_path: Path, embedder: SentenceTransformerEmbedder, cache: Path, index: Path,
                 full_s: float) -> dict[str, float]:
    """Training the reranker (`--rerank`'s settings, the report half held out: the model the quality table
    uses), from its metadata when cached."""
    spec = load(str(spec_path)).spec
    retriever = Retriever.from_spec(spec, embedder, index_dir=index)
    config = RerankConfig(holdout=("report",))
    _, report = trained_reranker(spec, retriever, config, cache, notify=print)
    rerank_s = float(json.loads((report.folder / RERANK_META).read_text())["seconds"])
    return {"rerank_lists": report.lists, "rerank_s": rerank_s, "rerank_ratio": rerank_s / full_s}


def tuning_speed(spec_path: Path, embedder: SentenceTransformerEmbedder, cache: Path,
                 full_s: float) -> dict[str, float]:
    """Fine-tuning time (`--tune`'s settings, every example trained on) and the tuned index build."""
    spec = load(str(spec_path)).spec
    tuned, report = tuned_embedder(spec, embedder, TuneConfig(), cache, print)
    tune_s = float(json.loads((report.folder / TUNED_META).read_text())["seconds"])
    with tempfile.TemporaryDirectory(prefix="bench-retrieval-t-") as tmp:
        t0 = time.perf_counter()
        open_index(spec, tuned, Path(tmp) / "idx")
        index_s = time.perf_counter() - t0
    return {"tune_pairs": report.pairs, "tune_s": tune_s, "tune_ratio": tune_s / full_s,
            "tuned_build_s": index_s, "tuned_build_ratio": index_s / full_s,
            "tuned_total_ratio": (tune_s + index_s) / full_s}


def speed(spec_path: Path, embedder: SentenceTransformerEmbedder, queries: list[str]) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-retrieval-"))
    try:
        spec = load(str(spec_path)).spec
        t0 = time.perf_counter()
        embedder.encode(["warm up"])
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        _, full = open_index(spec, embedder, tmp / "idx")
        full_s = time.perf_counter() - t0
        text = spec_path.read_text(encoding="utf-8")
        anchor = "The assistant must not respond to requests for private or sensitive information about people"
        assert text.count(anchor) == 1
        edited_path = tmp / spec_path.name
        edited_path.write_text(text.replace(anchor, "The assistant must never answer requests for private or "
                                            "sensitive details about people"), encoding="utf-8")
        edited = load(str(edited_path)).spec
        t0 = time.perf_counter()
        _, incremental = open_index(edited, embedder, tmp / "idx")
        inc_s = time.perf_counter() - t0
        retriever = Retriever.from_spec(edited, embedder, index_dir=tmp / "idx")
        retriever.retrieve(queries[:8])
        t0 = time.perf_counter()
        retriever.retrieve(queries, top_k=5)
        query_s = time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"model_load_s": load_s, "units": full.total, "full_build_s": full_s, "incremental_s": inc_s,
            "incremental_embedded": incremental.embedded, "incremental_ratio": inc_s / full_s,
            "queries": len(queries), "query_s": query_s, "qps": len(queries) / query_s}


InScope = dict[str, tuple[Retriever, list[LabeledPrompt]]]
TUNED_METHODS = ("tuned-dense", "tuned")
RERANK_METHODS = ("reranked",)


def _tuned_methods(config: RetrievalConfig) -> dict[str, RetrievalConfig]:
    standard = standard_methods(config)
    return {"tuned-dense": standard["dense"], "tuned": standard["default"]}


def quality(embedder: SentenceTransformerEmbedder, data: Path, work: Path,
            cache: Path) -> tuple[list[dict[str, object]], list[tuple[InScope, dict[str, Retriever]]]]:
    """Every set under every method; and, for the plain and the tuned embedder, the in-scope and
    out-of-scope retrievers the threshold is calibrated with."""
    rows: list[dict[str, object]] = []
    model_spec = load(str(data / "model_spec" / "2025-12-18.md")).spec
    ms = Retriever.from_spec(model_spec, embedder, index_dir=work / "ms")
    ms_t = tuned_retriever(model_spec, embedder, ("report",), cache, work / "ms-tuned")
    ms_r = reranked_retriever(model_spec, ms, ("report",), cache)
    hand = read_labeled(DATA / "model_spec_prompts.jsonl")
    safety = load(str(REPO / "policies" / "safety.md")).spec
    sb_spec, sb_set = specbench_spec(data, work)
    sets: list[tuple[str, Retriever, list[LabeledPrompt], Retriever | None, Retriever | None]] = [
        ("model-spec examples LOO (report half)", ms, spec_examples(model_spec, "report"), ms_t, ms_r),
        ("model-spec hand prompts (report half)", ms, [p for p in hand if split_of(p.prompt) == "report"], ms_t,
         ms_r),
        ("model-spec examples LOO (tune half)", ms, spec_examples(model_spec, "tune"), None, None),
        ("model-spec hand prompts (tune half)", ms, [p for p in hand if split_of(p.prompt) == "tune"], ms_t, ms_r),
        ("model-spec more hand prompts (never tuned on)", ms, read_labeled(DATA / "model_spec_prompts_more.jsonl"),
         ms_t, ms_r),
    ]
    sf = Retriever.from_spec(safety, embedder, index_dir=work / "safety") if safety.categories else None
    sf_t = tuned_retriever(safety, embedder, ("report",), cache, work / "safety-tuned") if sf is not None else None
    if sf is not None:
        sf_r = reranked_retriever(safety, sf, ("report",), cache)
        sets += [("safety.md examples LOO (report half)", sf, spec_examples(safety, "report"), sf_t, sf_r),
                 ("safety.md examples LOO (tune half)", sf, spec_examples(safety, "tune"), None, None),
                 ("XSTest -> safety.md", sf, xstest_set(data), sf_t, sf_r)]
    sb_t = tuned_retriever(sb_spec, embedder, (), cache, work / "sb-tuned")
    sb = Retriever.from_spec(sb_spec, embedder, index_dir=work / "sb")
    sets.append(("SpecBench (3 scenarios)", sb, sb_set, sb_t, reranked_retriever(sb_spec, sb, (), cache)))
    for name, retriever, labeled, tuned, reranked in sets:
        reports = evaluate(retriever, labeled, standard_methods(retriever.config))
        if tuned is not None:
            reports += evaluate(tuned, labeled, _tuned_methods(tuned.config))
        if reranked is not None:
            reports += [r for r in evaluate(reranked, labeled) if r.method in RERANK_METHODS]
        for rep in reports:
            o = rep.overall
            rows.append({"set": name, "method": rep.method, "n": o.n, "top1": o.top1, "top3": o.top3,
                         "top5": o.top5, "mrr": o.mrr})
    in_scope: InScope = {"model-spec examples": (ms, spec_examples(model_spec)), "model-spec hand prompts": (ms, hand)}
    in_tuned: InScope = {"model-spec hand prompts": (ms_t, hand)}
    out_of_scope, out_tuned = {"model-spec": ms}, {"model-spec": ms_t}
    if sf is not None and sf_t is not None:
        in_scope |= {"safety.md examples": (sf, spec_examples(safety)), "XSTest": (sf, xstest_set(data))}
        in_tuned["XSTest"] = (sf_t, xstest_set(data))
        out_of_scope["safety.md"], out_tuned["safety.md"] = sf, sf_t
    return rows, [(in_scope, out_of_scope), (in_tuned, out_tuned)]


def _sims(retriever: Retriever, prompts: list[LabeledPrompt] | list[str]) -> np.ndarray:
    texts = [p.prompt if isinstance(p, LabeledPrompt) else p for p in prompts]
    hide = [p.hide if isinstance(p, LabeledPrompt) else () for p in prompts]
    return np.array([r.similarity for r in retriever.retrieve(texts, hide=hide)])


def threshold(in_scope: InScope, out_of_scope: dict[str, Retriever]) -> dict[str, float]:
    """Calibrate on tune halves, check on report halves. The default keeps 95% of in-scope tune prompts
    (every labelled set pooled): a harmful prompt left uncategorised loses its spec, which costs more than an
    everyday prompt routed to a category. The balanced-accuracy cut (policy prompts vs everyday prompts) is
    shown for comparison."""
    everyday = [p["prompt"] for p in map(json.loads, (DATA / "everyday_prompts.jsonl").read_text().splitlines())]
    sims = {(name, half): _sims(r, [p for p in ps if split_of(p.prompt) == half])
            for name, (r, ps) in in_scope.items() for half in ("tune", "report")}
    every = {(name, half): _sims(r, [p for p in everyday if split_of(p) == half])
             for name, r in out_of_scope.items() for half in ("tune", "report")}
    keep95 = calibrate_threshold(list(np.concatenate([sims[k] for k in sims if k[1] == "tune"])), keep=0.95)
    out: dict[str, float] = {"keep95_threshold": keep95}
    if "safety.md" in out_of_scope:
        policy = [sims[k] for k in sims if k[1] == "tune" and k[0] in ("safety.md examples", "XSTest")]
        out["balanced_threshold_safety"] = calibrate_threshold(list(np.concatenate(policy)),
                                                               list(every["safety.md", "tune"]))
    for name in in_scope:
        out[f"kept at keep95 (report half): {name}"] = float((sims[name, "report"] >= keep95).mean())
    for name in out_of_scope:
        out[f"everyday flagged at keep95 (report half): {name}"] = float((every[name, "report"] < keep95).mean())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures as JSON here.")
    parser.add_argument("--cache", type=Path, default=None, help="Keep the fine-tuned models here (default: a "
                        "temporary folder, so every model is trained and timed).")
    args = parser.parse_args()
    embedder = SentenceTransformerEmbedder()
    hand = [p.prompt for p in read_labeled(DATA / "model_spec_prompts.jsonl")]
    queries = (hand * 6)[:1000]
    spec_path = args.data / "model_spec" / "2025-12-18.md"
    with tempfile.TemporaryDirectory(prefix="bench-retrieval-q-") as work:
        cache = args.cache or Path(work) / "tuned"
        figures: dict[str, float] = speed(spec_path, embedder, queries)
        figures |= tuning_speed(spec_path, embedder, cache, figures["full_build_s"])
        figures |= rerank_speed(spec_path, embedder, cache, Path(work) / "ms-rerank", figures["full_build_s"])
        print("## Speed (Model Spec 2025-12-18, all-MiniLM-L6-v2, CPU)")
        for key, value in figures.items():
            print(f"- {key}: {value:.3f}" if isinstance(value, float) else f"- {key}: {value}")
        rows, calibration_sets = quality(embedder, args.data, Path(work), cache)
        methods = [*standard_methods(RetrievalConfig()), *TUNED_METHODS, *RERANK_METHODS]
        print("\n## Quality (top-1 / top-3 / top-5 / MRR)\n")
        print("| set | n | " + " | ".join(methods) + " |")
        print("|---|---|" + "---|" * len(methods))
        for name in dict.fromkeys(str(r["set"]) for r in rows):
            found = {str(r["method"]): r for r in rows if r["set"] == name}
            cells = [f"{r['top1']:.2f} / {r['top3']:.2f} / {r['top5']:.2f} / {r['mrr']:.2f}" if r else "—"
                     for r in (found.get(m) for m in methods)]
            n = next(r["n"] for r in rows if r["set"] == name)
            print(f"| {name} | {n} | " + " | ".join(cells) + " |")
        calibration = {f"{label}: {key}": value for label, (inside, outside) in zip(("plain", "tuned"),
                                                                                     calibration_sets, strict=True)
                       for key, value in threshold(inside, outside).items()}
    print("\n## Uncategorised threshold (best cosine similarity; tune halves -> report halves)")
    for key, value in calibration.items():
        print(f"- {key}: {value:.3f}")
    if args.json:
        args.json.write_text(json.dumps({"speed": figures, "quality": rows, "threshold": calibration}, indent=1))

if __name__ == "__main__":
    main()
