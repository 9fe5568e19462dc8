"""The compiler: a spec becomes, per category, the system prompt `spec(category)` and the judge rubrics.

    bundle = compile_spec(load("policies/safety.md").spec)
    write_bundle(bundle, "build/bundle")              # or build_bundle(...): incremental
    bundle = load_bundle("build/bundle")
    bundle.system_prompt("violence"); bundle.rubric("violence", show_reasoning=False)

The completion format a compiled prompt asks for is in `compiler.format`; the judge's verdict in
`compiler.verdict`. Category retrieval lives in the `compiler.retrieval` subpackage, which is not
imported here (it loads heavier libraries).
"""

from compiler._compile import build_bundle, compile_spec, compile_specs, render_category
from compiler._manifest import FORMAT_VERSION, CategoryEntry, Manifest, SpecEntry, TokenizerInfo
from compiler._render import TemplateSet
from compiler._staleness import Staleness, check_bundle
from compiler._tokens import ApproxCounter, TokenCounter, resolve_counter
from compiler.bundle import Bundle, WriteReport, load_bundle, write_bundle
from compiler.errors import BundleError, CompileError, TemplateError, TokenizerError
from compiler.format import (
    ANSWER_CLOSE,
    ANSWER_OPEN,
    COMPLETION_FORMAT,
    DECISION_PREFIX,
    REASONING_CLOSE,
    REASONING_OPEN,
    ParsedCompletion,
    format_completion,
    parse_completion,
)
from compiler.prompts import render_system_prompt
from compiler.rubrics import render_rubric, rubric_schema
from compiler.verdict import SCORE_SCALE, SCORE_TOKENS, Verdict, VerdictError, parse_verdict, verdict_schema

__all__ = [
    "ANSWER_CLOSE",
    "ANSWER_OPEN",
    "COMPLETION_FORMAT",
    "DECISION_PREFIX",
    "FORMAT_VERSION",
    "REASONING_CLOSE",
    "REASONING_OPEN",
    "SCORE_SCALE",
    "SCORE_TOKENS",
    "ApproxCounter",
    "Bundle",
    "BundleError",
    "CategoryEntry",
    "CompileError",
    "Manifest",
    "ParsedCompletion",
    "SpecEntry",
    "Staleness",
    "TemplateError",
    "TemplateSet",
    "TokenCounter",
    "TokenizerError",
    "TokenizerInfo",
    "Verdict",
    "VerdictError",
    "WriteReport",
    "build_bundle",
    "check_bundle",
    "compile_spec",
    "compile_specs",
    "format_completion",
    "load_bundle",
    "parse_completion",
    "parse_verdict",
    "render_category",
    "render_rubric",
    "render_system_prompt",
    "resolve_counter",
    "rubric_schema",
    "verdict_schema",
    "write_bundle",
]
