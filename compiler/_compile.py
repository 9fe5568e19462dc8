"""Compiling specs into a bundle, reusing what an earlier bundle already holds.

Several specs compile into one bundle (their categories side by side in `categories/`), so the
trainer sees one list of categories. Each category's files are built from its own spec only;
category ids must therefore be unique across the specs of a bundle, and spec ids too.

A category of the previous bundle is reused without rendering when its spec id, content hash,
the template hashes and `FORMAT_VERSION` are all unchanged and its files are intact; only then are
its token counts reused too (when the tokenizer is the same).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from compiler._manifest import (
    COUNTED,
    FILES,
    FORMAT_VERSION,
    RUBRIC,
    RUBRIC_ANSWER_ONLY,
    SCHEMA,
    SYSTEM_PROMPT,
    CategoryEntry,
    Manifest,
    SpecEntry,
    file_hash,
    tool_version,
)
from compiler._render import TemplateSet
from compiler._tokens import TokenCounter, resolve_counter
from compiler.bundle import Bundle, WriteReport, read_bundle, spec_snapshot, write_bundle
from compiler.errors import BundleError, CompileError
from compiler.prompts import category_context, render_system_prompt
from compiler.reasoning import TAGS, ReasoningFormat
from compiler.rubrics import render_rubric, rubric_schema
from spec_lang.ids import id_problem
from spec_lang.model import Spec
from spec_lang.versions import SpecHashes, digest


def render_category(spec: Spec, category_id: str, templates: TemplateSet,
                    reasoning: ReasoningFormat = TAGS) -> dict[str, str]:
    """File name -> text for one category; its system prompt asks for the reasoning format `reasoning` (the
    rubrics are the same in every format: the judge is shown the reasoning and the answer as tags)."""
    base = category_context(spec, category_id)
    schema = rubric_schema(spec, category_id, base)
    return {
        SYSTEM_PROMPT: render_system_prompt(spec, category_id, templates, base, reasoning),
        RUBRIC: render_rubric(spec, category_id, True, templates, base),
        RUBRIC_ANSWER_ONLY: render_rubric(spec, category_id, False, templates, base),
        SCHEMA: json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
    }


def _check_unique(specs: Sequence[Spec]) -> None:
    """Spec and category ids are valid (they name the bundle's files) and unique across the bundle."""
    spec_paths: dict[str, str] = {}
    owners: dict[str, Spec] = {}
    for spec in specs:
        for what, ident in [("spec", spec.meta.id)] + [("category", c.id) for c in spec.categories]:
            if (problem := id_problem(ident)) is not None:
                raise CompileError(f"{spec.path}: {what} {problem}",
                                   "ids name the bundle's files; `delib lint` shows where to fix it")
        if spec.meta.id in spec_paths:
            raise CompileError(f"{spec.path}: spec id {spec.meta.id!r} is also the id of {spec_paths[spec.meta.id]}",
                               "give each spec a unique `id` in its front matter, or compile them separately")
        spec_paths[spec.meta.id] = spec.path
        for category in spec.categories:
            other = owners.get(category.id)
            if other is not None:
                raise CompileError(
                    f"{spec.path}: category {category.id!r} is also a category of {other.path}",
                    "category ids must be unique across the specs of one bundle; rename one, or compile the "
                    "specs into separate bundles")
            owners[category.id] = spec


def _reusable(previous: Bundle | None, templates: TemplateSet, spec_id: str, category_id: str,
              content_hash: str, reasoning: ReasoningFormat) -> CategoryEntry | None:
    """The previous bundle's entry for this category when its files can be reused as they are."""
    if previous is None or previous.manifest.format_version != FORMAT_VERSION:
        return None
    if previous.manifest.completion_format != reasoning.completion_format:
        return None
    if previous.manifest.templates != templates.hashes:
        return None
    old = previous.manifest.category(category_id)
    if old is None or old.spec != spec_id or old.hash != content_hash:
        return None
    texts = previous.texts.get(category_id, {})
    intact = all(name in texts and file_hash(texts[name].encode()) == old.files.get(name) for name in FILES)
    return old if intact else None


def _spec_entry(spec: Spec, hashes: SpecHashes) -> SpecEntry:
    return SpecEntry(id=spec.meta.id, title=spec.meta.title, version=spec.meta.version, format=spec.format,
                     revision=hashes.revision)


def compile_specs(specs: Sequence[Spec], *, templates: TemplateSet | None = None,
                  counter: TokenCounter | None = None, previous: Bundle | None = None,
                  reasoning: ReasoningFormat = TAGS) -> Bundle:
    """Compile specs (lint-clean ones: the caller checks diagnostics) into one bundle whose system prompts ask
    for the reasoning format `reasoning` (`compiler.reasoning`; recorded as the manifest's completion format).

    `templates` defaults to the built-in set; `counter` to the embedded SmolLM2 tokenizer (loaded only
    if a count is needed); `previous`, an earlier bundle, lets unchanged categories skip rendering.
    Raises `CompileError` (e.g. `TemplateError`) before anything could be written.
    """
    if not specs:
        raise CompileError("nothing to compile: no spec given", "pass at least one spec file")
    _check_unique(specs)
    templates = templates or TemplateSet()
    counter = counter or resolve_counter()[0]
    same_tokenizer = previous is not None and previous.manifest.tokenizer == counter.info
    entries: list[CategoryEntry] = []
    texts: dict[str, dict[str, str]] = {}
    hashes = [SpecHashes(spec) for spec in specs]
    for spec, spec_hashes in zip(specs, hashes, strict=True):
        for category_id, content_hash in spec_hashes.categories.items():
            old = _reusable(previous, templates, spec.meta.id, category_id, content_hash, reasoning)
            files = previous.texts[category_id] if old is not None and previous is not None else \
                render_category(spec, category_id, templates, reasoning)
            tokens = old.tokens if old is not None and same_tokenizer else \
                {name: counter.count(files[name]) for name in COUNTED}
            entries.append(CategoryEntry(
                id=category_id, spec=spec.meta.id, title=spec.section(category_id).title, hash=content_hash,
                files={name: file_hash(files[name].encode()) for name in FILES}, tokens=tokens))
            texts[category_id] = dict(files)
    spec_entries = tuple(_spec_entry(s, h) for s, h in zip(specs, hashes, strict=True))
    revision = spec_entries[0].revision if len(spec_entries) == 1 else \
        digest([(s.id, s.revision) for s in spec_entries])
    manifest = Manifest(format_version=FORMAT_VERSION, completion_format=reasoning.completion_format,
                        tool=tool_version(), revision=revision, specs=spec_entries, templates=dict(templates.hashes),
                        tokenizer=counter.info, categories=tuple(entries))
    return Bundle(manifest=manifest, texts=texts, sources={s.meta.id: spec_snapshot(s) for s in specs})


def compile_spec(spec: Spec, *, templates: TemplateSet | None = None, counter: TokenCounter | None = None,
                 previous: Bundle | None = None, reasoning: ReasoningFormat = TAGS) -> Bundle:
    """Compile one spec into a bundle (see `compile_specs`)."""
    return compile_specs([spec], templates=templates, counter=counter, previous=previous, reasoning=reasoning)


def build_bundle(specs: Sequence[Spec], path: str | Path, *, templates: TemplateSet | None = None,
                 counter: TokenCounter | None = None, force: bool = False,
                 reasoning: ReasoningFormat = TAGS) -> tuple[Bundle, WriteReport]:
    """Compile into the bundle folder `path`, incrementally: the bundle already there (unless `force`)
    provides the categories that did not change, and only files whose bytes change are written."""
    previous: Bundle | None = None
    if not force and Path(path).exists():
        try:
            previous, _ = read_bundle(path)
        except BundleError:
            previous = None  # unreadable: rebuild everything
    bundle = compile_specs(specs, templates=templates, counter=counter, previous=previous, reasoning=reasoning)
    return bundle, write_bundle(bundle, path)
