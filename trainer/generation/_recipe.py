"""The recipe of a generation folder, `OUT/generation.json`: everything needed to run it again.

`delib generate`, `delib build` and `delib retrain` all go through `generate_from_recipe`, which runs the
pipeline and then records the recipe (settings, backend specs, prompt source) next to the data, with a
copy of the bundle in `OUT/bundle/` (its prompts, rubrics and spec snapshot). `delib retrain` reads both
to regenerate a training run's data against a changed spec, with the same settings.

    {"format": "delib-generation/1", "config": {...GenerationConfig...}, "backend": "embedded",
     "judge": "embedded", "prompts": {"path": "prompts.jsonl", "prompt_column": "prompt", ...},
     "spec": "policies/"}

The judge is a model address or a reward model, `rm:RUN` (`trainer.judging.open_judge`, checked before
any work, loaded only when something is to be judged).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from compiler.bundle import Bundle, write_bundle
from spec_lang.atomic import write_atomic
from trainer.backends import ChatBackend
from trainer.generation._config import GenerationConfig
from trainer.generation._judging import JudgeInput, recipe_judge
from trainer.generation._lazy import LazyBackend
from trainer.generation._progress import Progress
from trainer.generation._prompts import DEFAULT_PROMPT_COLUMN, read_prompts
from trainer.generation._report import GenerationReport
from trainer.generation._route_rows import check_categories
from trainer.generation._routing import Categoriser, RetrieverCategoriser, spec_for_bundle
from trainer.generation._run import run_generation
from trainer.generation._worklog import WorkLogError

RECIPE = "generation.json"
BUNDLE_COPY = "bundle"


class PromptSource(BaseModel):
    """Where the prompts came from and how they were read (`read_prompts` arguments)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    path: str = Field(description="The prompt file or dataset folder (absolute).")
    prompt_column: str = Field(DEFAULT_PROMPT_COLUMN, description="Column with the prompt.")
    category_column: str | None = Field(None, description="Column with the category (None: `category` if any).")
    limit: int | None = Field(None, ge=0, description="Only the first N prompts.")
    name: str | None = Field(None, description="How the rows' `source` column names the file (`NAME:LINE`); "
                                               "None: `path`. A project names it relative to its folder, so "
                                               "the data, and so the run keys, do not depend on where it lies.")


class GenerationRecipe(BaseModel):
    """How a generation folder was made (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    format: Literal["delib-generation/1"] = "delib-generation/1"
    config: GenerationConfig = Field(default_factory=GenerationConfig, description="Sampling, judging, keeping.")
    backend: str = Field("embedded", description="Generator backend spec.")
    judge: str = Field("embedded", description="Judge address: a model address or `rm:RUN`.")
    prompts: PromptSource = Field(description="The prompts.")
    spec: str | None = Field(None, description="Spec (PATH or PATH@REV) to route prompts without a category; "
                                                "None: the bundle's own snapshot.")


def read_recipe(out_dir: str | Path) -> GenerationRecipe | None:
    """The recipe of the generation folder `out_dir`; None when it has none (made by an older delib)."""
    path = Path(out_dir) / RECIPE
    try:
        return GenerationRecipe.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValidationError) as exc:
        reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise WorkLogError(f"{path}: not a valid generation recipe ({reason}); rerun `delib generate` on "
                           "this folder to rewrite it") from exc


def categoriser_for(recipe: GenerationRecipe, bundle: Bundle, notify: Callable[[str], None] | None = None,
                    ) -> Categoriser | None:
    """Retrieval routing over the recipe's spec, else over the bundle's own spec snapshot (one spec only)."""
    from compiler.errors import BundleError
    from compiler.retrieval import default_index_dir

    if recipe.spec is not None:
        spec = spec_for_bundle(recipe.spec, bundle)
    else:
        try:
            specs = bundle.specs()
        except BundleError:
            return None  # an older bundle: rows without a category are reported by routing
        if len(specs) != 1:
            return None
        spec = specs[0]
    return RetrieverCategoriser(spec, bundle.categories, index_dir=default_index_dir(spec, os.environ), notify=notify)


def generate_from_recipe(recipe: GenerationRecipe, bundle: Bundle, out_dir: str | Path, *,
                         backend: ChatBackend | None = None, judge: JudgeInput | None = None,
                         progress: Progress | None = None, notify: Callable[[str], None] | None = None,
                         dry_run: bool = False) -> GenerationReport:
    """Run the pipeline as the recipe says into `out_dir`, then record the recipe and the bundle there.

    `backend` / `judge` replace the recipe's backend and judge (which are still what is recorded); backends
    opened here are closed here. Errors are `run_generation`'s, `read_prompts`' (`PromptFileError`), and
    `JudgeError` / `ModelAddressError` for a judge or generator address that names nothing.
    """
    out = Path(out_dir)
    rows = read_prompts(recipe.prompts.path, prompt_column=recipe.prompts.prompt_column,
                        category_column=recipe.prompts.category_column, limit=recipe.prompts.limit)
    if recipe.prompts.name is not None:  # checked first, so that errors give the path as the user wrote it
        check_categories(rows, bundle)
        rows = [r.model_copy(update={"source": f"{recipe.prompts.name}:{r.source.rpartition(':')[2]}"})
                for r in rows]
    if judge is None:
        judge = recipe_judge(recipe.judge, recipe.config, bundle)  # a reward model, checked before a backend opens
    opened: list[LazyBackend] = []
    if backend is None:
        backend = LazyBackend(recipe.backend)
        opened.append(backend)
    if judge is None:
        same = isinstance(backend, LazyBackend) and recipe.judge.strip() == backend.spec
        judge = backend if same else LazyBackend(recipe.judge)
        if not same:
            opened.append(judge)  # type: ignore[arg-type]
    try:
        categoriser = categoriser_for(recipe, bundle, notify) if any(r.category is None for r in rows) else None
        report = run_generation(recipe.config, bundle, rows, out, backend, judge, categoriser=categoriser,
                                progress=progress, dry_run=dry_run)
    finally:
        for lazy in opened:
            lazy.close()
    if not dry_run:
        write_bundle(bundle, out / BUNDLE_COPY)
        write_atomic(out / RECIPE, recipe.model_dump_json(indent=2) + "\n")
    return report
