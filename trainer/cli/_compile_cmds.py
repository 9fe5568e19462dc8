"""`delib compile`: specs -> a bundle of per-category system prompts and judge rubrics.

Exit codes: 0 compiled (or, with `--check`, up to date); 1 lint errors in a spec, or `--check` found
the bundle out of date; 2 unreadable input, a bad template, or a bundle that cannot be written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from compiler import TemplateSet, build_bundle, check_bundle, resolve_counter
from compiler.reasoning import ReasoningFormat, chat_template_in
from spec_lang import Spec, SpecLintError, load_clean
from trainer.cli._app import JsonOpt, app, err, out, print_json
from trainer.cli._reasoning import ReasoningOpt, for_compile

DEFAULT_MAX_TOKENS = 8192
"""The token budget per prompt: SmolLM2's context length."""


def _load_specs(paths: list[str]) -> list[Spec]:
    """Load every spec (`spec_lang.load_clean`); print its diagnostics; exit 1 on lint errors (nothing compiled)."""
    try:
        specs, diagnostics = load_clean(paths)
    except SpecLintError as exc:
        for d in exc.diagnostics:
            err.print(d.format(), markup=False)
        errors = sum(d.severity == "error" for d in exc.diagnostics)
        err.print(f"[red]error:[/red] {errors} lint error(s); nothing compiled (run `delib lint` for details)")
        raise typer.Exit(1) from None
    for d in diagnostics:
        err.print(d.format(), markup=False)
    return list(specs)


def _check(specs: list[Spec], output: Path, templates: TemplateSet, paths: list[str], as_json: bool,
           reasoning: ReasoningFormat | None = None) -> None:
    result = check_bundle(specs, output, templates, reasoning)
    if as_json:
        print_json({"bundle": str(output), "fresh": result.fresh, "stale": list(result.describe())})
        raise typer.Exit(0 if result.fresh else 1)
    if result.fresh:
        out.print(f"{output} is up to date ({sum(len(s.categories) for s in specs)} categories)", markup=False)
        raise typer.Exit(0)
    err.print(f"{output} is out of date:", markup=False)
    for line in result.describe():
        err.print(f"  {line}", markup=False)
    err.print(f"run `delib compile {' '.join(paths)} -o {output}` to update it", markup=False)
    raise typer.Exit(1)


@app.command("compile")
def compile_cmd(
    specs: Annotated[list[str], typer.Argument(help="Spec files or folders of specs (compiled into one bundle).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The bundle folder to write.")],
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if the bundle is out of date.")] = False,
    templates: Annotated[Path | None, typer.Option(
        "--templates", help="Folder of *.j2 templates overriding the built-in ones (rendered sandboxed), or the "
        "built-in profile `compact` (shared sections without examples, for small-context models).")] = None,
    max_tokens: Annotated[int, typer.Option(
        "--max-tokens", min=1, help="Warn when a prompt is longer than this many tokens.")] = DEFAULT_MAX_TOKENS,
    tokenizer: Annotated[str | None, typer.Option(
        "--tokenizer", help="Hugging Face tokenizer folder for token counts, or `approx` (characters / 4). "
        "Default: the embedded SmolLM2 tokenizer.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Re-render every category, ignoring the bundle already there.")] = False,
    as_json: JsonOpt = False,
    reasoning: ReasoningOpt = "auto",
) -> None:
    """Compile specs into a bundle: per category, the system prompt spec(category), two judge rubrics
    (with and without the reasoning) and the verdict schema, plus manifest.json.

    Several specs (or a folder) compile into one bundle; their category ids must be unique. Only the
    categories whose content changed are rewritten.

    Exit 0 when compiled (with `--check`: the bundle is up to date), 1 on lint errors or, with `--check`,
    a stale bundle, 2 when an input cannot be read or the bundle cannot be written.
    """
    loaded = _load_specs(specs)
    template_set = TemplateSet(templates)
    fmt = for_compile(reasoning, tokenizer)
    if check:  # `auto` without a tokenizer checks against the bundle's own format
        _check(loaded, output, template_set, specs, as_json,
               None if reasoning == "auto" and chat_template_in(tokenizer) is None else fmt)
    counter, warning = resolve_counter(tokenizer)
    if warning:
        err.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    bundle, report = build_bundle(loaded, output, templates=template_set, counter=counter, force=force,
                                  reasoning=fmt)
    if report.replaced:
        err.print(f"[yellow]warning:[/yellow] {escape(report.replaced)}; replaced it, and removed nothing it named")
    prompts = [bundle.tokens(c)["system_prompt.md"] for c in bundle.categories]
    over = bundle.over_budget(max_tokens)
    if as_json:
        print_json({"bundle": str(output), "categories": list(bundle.categories),
                    "specs": [{"id": s.meta.id, "revision": e.revision}
                              for s, e in zip(loaded, bundle.manifest.specs, strict=True)],
                    "written": list(report.written), "unchanged": list(report.unchanged),
                    "removed": list(report.removed), "tokenizer": bundle.manifest.tokenizer.name,
                    "reasoning": bundle.reasoning.name,
                    "system_prompt_tokens": {"min": min(prompts), "max": max(prompts)} if prompts else None,
                    "over_budget": [{"category": c, "file": n, "tokens": t} for c, n, t in over]})
        return
    ids = ", ".join(f"{s.meta.id} @ {e.revision}" for s, e in zip(loaded, bundle.manifest.specs, strict=True))
    out.print(f"compiled {len(bundle.categories)} categories ({ids}) into {output}: {len(report.written)} written, "
              f"{len(report.unchanged)} unchanged, {len(report.removed)} removed", markup=False)
    if not prompts:
        err.print("[yellow]warning:[/yellow] the specs have no categories, so the bundle is empty (our dialect: "
                  "mark sections `kind=category`; Model Spec format: sections with an `authority`)")
    else:
        out.print(f"system prompt tokens ({bundle.manifest.tokenizer.name}): {min(prompts)}-{max(prompts)}",
                  markup=False)
    for category, name, count in over:
        err.print(f"[yellow]warning:[/yellow] {escape(str(output))}/categories/{category}/{name}: {count} tokens, "
                  f"over the budget of {max_tokens} (--max-tokens)")
