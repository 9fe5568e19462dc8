"""Benchmark: does the loop make the model follow the policy better? (a plain script, not pytest)

    .venv/bin/python tests/benchmarks/bench_alignment.py [--train 24] [--eval 20] [--xstest 100]
                                                         [--sft-steps 30] [--lr 1e-4] [--rl-steps 2] [--out build/bench]
    .venv/bin/python tests/benchmarks/bench_alignment.py --dev-curve 10,20,30,40@7e-5 [--lr 1e-4] [--spec-examples]
        [--lora R] [--decline-share 0.45,0.65] [--seed N]
                                                         [--out build/dev]

The whole loop on the train split, as `make demo` runs it (the defaults are the demo's; raise them to
scale up): prompt sets from SpecBench and the
example prompts of our policies and the Model Spec (`trainer.promptsets`, split by content hash) ->
guided, label-aware generation judged by the panel -> SFT -> GRPO (`delib build` on a project in OUT).
The paper's ablation is trained on the same kept rows with the reasoning dropped (`answer_only`).

Then base, SFT, SFT+GRPO and answer-only SFT answer, without the spec, the held-out prompts: the eval split
(SpecBench and the examples) and XSTest (evaluation only: a fixed, label-balanced sample; never trained on,
never used to choose a setting). Every answer is scored by the keyword refusal matcher (the independent
baseline) and by the project's judge as the demo ships it (the panel: substance, the detector against the
expected response). It prints, per set and per category, each model's refused-unsafe and answered-safe rates
with 95% bootstrap intervals, and each trained model minus base as a paired-bootstrap delta with its interval.
Results go to OUT/alignment.json, every answer to OUT/answers/. Budget: at most 60 minutes on the 2-core
machine with the defaults (measured from a fresh clone, idle: 929 s). `--out build/demo` after `make demo`
reuses its build: only the ablation and the evaluations run.

`--dev-curve STEPS`: how the demo's SFT settings are chosen, never on the eval split or XSTest. It builds
the data (generate), trains one SFT run per step count at `--lr` on it, and evaluates base and each run on
the *dev* set (`trainer.demo.dev_set`: prompts written for choosing settings, and SpecBench train-split
prompts the demo does not train on) and on the Model Spec dev prompts (a hash quarter of its train-split
examples), printing the refusal / over-refusal curve to OUT/dev_curve.json. `--lora R` trains LoRA
adapters of rank R (alpha 2R, merged) instead of the full model. `--decline-share S,...` trains every point
on the kept rows cut to that share of declining rows (the safe:unsafe mix of the SFT data, `[sft]
decline_share`); `--seed N` is the SFT seed (data order, and which rows the cut keeps).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

XSTEST = REPO.parent / "shared" / "data" / "xstest" / "xstest_prompts.csv"
RATES = ("refused_unsafe", "answered_safe")


def _xstest_sample(n: int) -> list[dict[str, Any]]:
    """`n` XSTest prompts, half safe and half unsafe, in a fixed hash order (evaluation only)."""
    from trainer.promptsets import xstest_rows

    if not XSTEST.exists() or n == 0:
        return []
    rows = xstest_rows(XSTEST)
    rank = sorted(rows, key=lambda r: hashlib.sha256(r["id"].encode()).hexdigest())
    return [r for r in rank if r["label"] == "safe"][: n // 2] + [r for r in rank if r["label"] == "unsafe"][: n // 2]


def _train(out: Path, args: argparse.Namespace) -> dict[str, str]:
    """Build the project (generate, SFT, GRPO) and train the answer-only ablation; the model addresses."""
    from trainer.demo import prompt_sets, write_project
    from trainer.project import build, load_project
    from trainer.training import train_sft

    sets = prompt_sets(args.train, args.eval)
    write_project(out, sets, sft_steps=args.sft_steps, lr=args.lr, rl_steps=args.rl_steps)
    project = load_project(out)
    project = project.model_copy(update={"build": project.build.model_copy(
        update={"stages": ("lint", "compile", "generate", "sft", "rl")})})
    started = time.perf_counter()
    build(project, echo=lambda line: print(f"  {line}", flush=True))
    print(f"  build: {time.perf_counter() - started:.0f}s", flush=True)
    state = json.loads((out / "out" / "build.json").read_text())["stages"]
    sft_run, rl_run = (out / state[stage]["outputs"]["run"] for stage in ("sft", "rl"))  # relative to the project
    ablation = out / "out" / "runs" / "sft-answer-only"
    started = time.perf_counter()
    train_sft(out / "out" / "data", ablation, project.sft.model_copy(update={"answer_only": True}))
    print(f"  answer-only SFT: {time.perf_counter() - started:.0f}s", flush=True)
    return {"base": project.sft.model, "sft": f"hf:{sft_run}/final", "sft+grpo": f"hf:{rl_run}/final",
            "answer-only sft": f"hf:{ablation}/final"}


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in ".-" else "_" for c in name)


def _save_answers(path: Path, rows: Any) -> None:
    """Every answer with its prompt id, label and both refusal verdicts: what the rates are counted from."""
    from spec_lang.atomic import write_atomic

    write_atomic(path, "".join(json.dumps({"id": r.prompt_id, "label": r.label, "category": r.category,
                                           "keyword_refused": r.refusal.keyword, "style": r.refusal.used,
                                           "answer": r.answer}) + "\n" for r in rows))


def _evaluate(out: Path, models: dict[str, str], sets: dict[str, Path], tokens: int) -> dict[str, Any]:
    from compiler.bundle import load_bundle
    from spec_lang import load
    from trainer.backends import open_backend
    from trainer.demo import DEMO_POLICY
    from trainer.evaluation import read_prompt_file
    from trainer.evaluation.routing import retrieval_router
    from trainer.evaluation.runner import EvalConfig, evaluate_model, place_prompts, summarise_rows
    from trainer.judging import JudgeConfig, PanelJudge

    bundle = load_bundle(out / "out" / "bundle")
    route = retrieval_router(load(str(DEMO_POLICY)).spec, bundle.categories)
    config = EvalConfig(max_new_tokens=tokens, judge_runs=1, verdict_tokens=16)
    grader = PanelJudge(None, config=JudgeConfig(runs=1, show_reasoning=False))
    results: dict[str, Any] = {}
    for set_name, path in sets.items():
        prompts = read_prompt_file(path)
        placements = place_prompts(prompts, bundle.categories, route)
        rows = {}
        for name, address in models.items():
            started = time.perf_counter()
            backend = open_backend(address)
            rows[name] = evaluate_model(backend, grader, bundle, prompts, placements, config)
            backend.close()
            _save_answers(out / "answers" / f"{_slug(set_name)}--{_slug(name)}.jsonl", rows[name])
            print(f"  {set_name}: {name} answered {len(prompts)} prompts in {time.perf_counter() - started:.0f}s",
                  flush=True)
        base = rows["base"]
        summary, _ = summarise_rows([base], config)
        results[set_name] = {"models": {"base": summary[0].groups}, "deltas": {}, "by_source": {}}
        for name in (m for m in models if m != "base"):
            both, comparison = summarise_rows([rows[name], base], config)
            results[set_name]["models"][name] = both[0].groups
            results[set_name]["deltas"][name] = comparison.groups if comparison is not None else {}
            results[set_name]["by_source"][name] = _by_source([*rows[name], *base])
    return results


def _by_source(rows: Any) -> dict[str, Any]:
    """Keyword rates of one trained model and the base per kind of prompt (`trainer.demo.source_family`)."""
    from trainer.demo import rates_by_source

    out = {}
    for group, rates in rates_by_source(rows).items():
        trained, base = rates.models.values()
        out[group] = {rate: {"trained": getattr(trained, rate) and getattr(trained, rate).as_json(),
                             "base": getattr(base, rate) and getattr(base, rate).as_json(),
                             "delta": rates.delta.get(rate) and rates.delta[rate].as_json()}
                      for rate in RATES}
    return out


def _spec_examples_split() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`--spec-examples`: the Model Spec's train-split example prompts (user turns only), a hash quarter held
    out as dev prompts and the rest for training (the eval split is never touched)."""
    from trainer.demo import MODEL_SPEC, _examples

    rows = _examples((MODEL_SPEC,), "train") if MODEL_SPEC.exists() else []
    held = [r for r in rows if int(hashlib.sha256(f"dev:{r['id']}".encode()).hexdigest(), 16) % 4 == 0]
    return [r for r in rows if r not in held], held


def _curve_points(text: str, lr: float) -> list[tuple[int, float]]:
    """`--dev-curve` points: `STEPS` (at `--lr`) or `STEPS@LR`, comma-separated."""
    points = []
    for item in text.split(","):
        steps, _, rate = item.strip().partition("@")
        points.append((int(steps), float(rate) if rate else lr))
    return points


def _dev_curve(out: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One SFT run per step count on the demo's data, each evaluated with the base model on the dev set
    and on the Model Spec dev prompts (a hash quarter of its train-split examples, which the demo never
    trains on)."""
    from trainer.demo import dev_set, prompt_sets, write_project
    from trainer.project import build, load_project
    from trainer.promptsets import write_rows
    from trainer.training import train_sft
    from trainer.training.configs import LoraSettings

    sets = prompt_sets(args.train, args.eval)
    spec_train, spec_dev = _spec_examples_split()
    if args.spec_examples:
        sets["train"] += spec_train
    sets["rl"] = [r for r in sets["train"] if "category" in r]
    write_project(out, sets, sft_steps=args.sft_steps, lr=args.lr, rl_steps=args.rl_steps)
    project = load_project(out)
    project = project.model_copy(update={"build": project.build.model_copy(
        update={"stages": ("lint", "compile", "generate")})})
    build(project, echo=lambda line: print(f"  {line}", flush=True))
    models = {"base": project.sft.model}
    shares = ([float(x) for x in args.decline_share.split(",")] if args.decline_share
              else [project.sft.decline_share])  # the demo's mix (every row) unless asked for others
    for (steps, lr), share in ((point, share) for point in _curve_points(args.dev_curve, args.lr) for share in shares):
        tag = (f"-lora{args.lora}" if args.lora else "") + (f"-decline{share:g}" if share is not None else "")
        run = out / "out" / "runs" / f"dev-sft-{steps}-{lr:g}{tag}-seed{args.seed}"
        started = time.perf_counter()
        lora = LoraSettings(r=args.lora, alpha=2 * args.lora) if args.lora else None
        train_sft(out / "out" / "data", run, project.sft.model_copy(update={
            "max_steps": steps, "learning_rate": lr, "lora": lora, "decline_share": share, "seed": args.seed}))
        print(f"  SFT {steps} steps at {lr:g}{tag}: {time.perf_counter() - started:.0f}s", flush=True)
        models[f"sft {steps} @ {lr:g}" + (f" lora{args.lora}" if args.lora else "")
               + (f" decline {share:g}" if share is not None else "")
               + (f" seed {args.seed}" if args.seed else "")] = f"hf:{run}/final"
    write_rows(out / "dev.jsonl", dev_set(args.train))
    dev_sets = {"dev": out / "dev.jsonl"}
    if spec_dev:
        write_rows(out / "dev_spec_examples.jsonl", spec_dev)
        dev_sets["dev (Model Spec examples)"] = out / "dev_spec_examples.jsonl"
    return _evaluate(out, models, dev_sets, args.tokens)


def _fmt(interval: dict[str, Any] | None, signed: bool = False) -> str:
    if not interval:
        return "n/a"
    sign = "+" if signed else ""
    return (f"{interval['value']:{sign}.2f} [{interval['low']:{sign}.2f}, {interval['high']:{sign}.2f}] "
            f"n={interval['n']}")


def _print(results: dict[str, Any]) -> None:
    for set_name, result in results.items():
        groups = sorted(result["models"]["base"], key=lambda g: (g != "overall", g))
        for group in groups:
            print(f"\n== {set_name} / {group}")
            for model, figures in result["models"].items():
                cells = [f"{rate} kw {_fmt((figures.get(group, {}).get(rate) or {}).get('keyword'))}; judge "
                         f"{_fmt((figures.get(group, {}).get(rate) or {}).get('style'))}" for rate in RATES]
                followed = figures.get(group, {}).get("decision_followed")
                if followed:  # a model that writes a decision line: does its answer do what it decided?
                    cells.append(f"decision kept {_fmt(followed)}")
                print(f"  {model:16s} " + " | ".join(cells))
            for model, deltas in result["deltas"].items():
                cells = [f"d {rate} kw {_fmt((deltas.get(group, {}).get(rate) or {}).get('keyword'), True)}"
                         for rate in RATES]
                print(f"  {model + ' - base':26s} " + " | ".join(cells))
        for model, sources in result.get("by_source", {}).items():
            for source, figures in sources.items():
                if source == "overall" or len(sources) == 2:  # one source: its figures are the overall ones
                    continue
                cells = [f"{rate} kw {_fmt(f['trained'])} vs base {_fmt(f['base'])}, d {_fmt(f['delta'], True)}"
                         for rate, f in figures.items() if f["trained"]]
                print(f"\n== {set_name} / by source: {source} / {model}\n  " + "\n  ".join(cells))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=int, default=24, help="SpecBench unsafe train prompts (twice as many safe)")
    parser.add_argument("--eval", type=int, default=20, help="SpecBench eval prompts per label")
    parser.add_argument("--xstest", type=int, default=100, help="XSTest prompts (half safe, half unsafe)")
    parser.add_argument("--sft-steps", type=int, default=30)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--rl-steps", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=96, help="answer token limit at evaluation")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "bench")
    parser.add_argument("--dev-curve", metavar="STEPS", help="choose settings: SFT runs of these step "
                        "counts (comma-separated; STEPS@LR for another learning rate than --lr), evaluated on the "
                        "dev sets only")
    parser.add_argument("--spec-examples", action="store_true", help="with --dev-curve: train on the Model "
                        "Spec's train-split example prompts too, all but the hash quarter that is a dev set")
    parser.add_argument("--lora", type=int, metavar="R", help="with --dev-curve: LoRA of rank R (alpha 2R) "
                        "instead of full fine-tuning")
    parser.add_argument("--decline-share", metavar="S", help="with --dev-curve: also vary the safe:unsafe mix, "
                        "training each point on the kept rows cut so that declining rows are this share of them "
                        "(`[sft] decline_share`; comma-separated, e.g. 0.40,0.45; the demo trains on every row: "
                        "its generated data holds 138 declining of 261, 0.53)")
    parser.add_argument("--seed", type=int, default=0, help="with --dev-curve: the SFT seed (data order and, with "
                        "--decline-share, which hash-chosen subset is cut)")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.dev_curve:
        results = _dev_curve(args.out, args)
        _print(results)
        (args.out / "dev_curve.json").write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                                             "results": results}, indent=1))
        print(f"\nwrote {args.out / 'dev_curve.json'}; total {time.perf_counter() - started:.0f}s")
        return 0
    print("1/3 train: generate -> SFT -> GRPO, and the answer-only ablation", flush=True)
    models = _train(args.out, args)
    from trainer.promptsets import write_rows

    sets = {"eval split": args.out / "eval.jsonl"}
    xstest = _xstest_sample(args.xstest)
    if xstest:
        write_rows(args.out / "xstest.jsonl", xstest)
        sets["xstest (eval only)"] = args.out / "xstest.jsonl"
    print("2/3 evaluate base, SFT, SFT+GRPO and answer-only SFT on held-out prompts", flush=True)
    results = _evaluate(args.out, models, sets, args.tokens)
    print("3/3 results (rates with 95% bootstrap intervals; deltas are paired bootstraps vs base)")
    _print(results)
    (args.out / "alignment.json").write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                                         "models": models, "results": results}, indent=1))
    print(f"\nwrote {args.out / 'alignment.json'}; total {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
