"""The spec language: model, parser, lint, loading (and, in sibling modules, versions and diff)."""

from spec_lang.diagnostics import CODES, Diagnostic, has_errors
from spec_lang.lint import lint_spec
from spec_lang.loader import Loaded, SpecLoadError, SpecRef, expand, load, load_spec, parse_ref, read_text
from spec_lang.model import (
    Admonition,
    Comparison,
    CrossRef,
    Definition,
    Elision,
    Example,
    FootnoteRef,
    Label,
    Message,
    Part,
    Prose,
    Rule,
    RuleGroup,
    Section,
    Span,
    Spec,
    SpecMeta,
)
from spec_lang.parser import ParseResult, parse
from spec_lang.stats import show_json, spec_stats

__all__ = [
    "CODES",
    "Admonition",
    "Comparison",
    "CrossRef",
    "Definition",
    "Diagnostic",
    "Elision",
    "Example",
    "FootnoteRef",
    "Label",
    "Loaded",
    "Message",
    "ParseResult",
    "Part",
    "Prose",
    "Rule",
    "RuleGroup",
    "Section",
    "Span",
    "Spec",
    "SpecLoadError",
    "SpecMeta",
    "SpecRef",
    "expand",
    "has_errors",
    "lint_spec",
    "load",
    "load_spec",
    "parse",
    "parse_ref",
    "read_text",
    "show_json",
    "spec_stats",
]
