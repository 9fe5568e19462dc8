"""`spec(category)`: the system prompt that makes a model reason over the policy before it answers.

As in deliberative alignment (Guan et al., 2024), a category's prompt holds the policy at two levels
of detail: the shared part in full (our dialect: overview, response styles, over-refusal guidance;
Model Spec format: levels of authority, chain of command, refusal style), a summary of every
category, and the full text of the one category (definitions, rules with ids and the response each
calls for, examples). Response-style sections are included when the category's rules call for their
response (all of them when the category has no rule responses).

The prompt is built from exactly what `spec_lang.versions.category_hashes` covers, so a category's
compiled files change exactly when its hash does.

Template context (`system_prompt.md.j2`; the rubric template gets the same plus the keys listed in
`compiler/rubrics.py`); node shapes are documented in `compiler/_views.py`:

- `spec`: `{id, title, version, description, format}`.
- `fmt`: the completion format (`compiler.format`; in the system prompt, the chosen reasoning format's wording
  from `compiler.reasoning`: `name`, `reasoning_intro`, `reasoning_block`, `answer_intro`, `reason_where`,
  `answer_where`, `layout`, besides the markers): `{reasoning_open, reasoning_close, answer_open,
  answer_close, decision_prefix, decisions}`.
- `category`: the category as a section, `level` 1, followed in `focus` by its descendants.
- `focus`: the category's subtree as sections (the category first).
- `shared`: the shared sections to include in full, in document order.
- `summaries`: every category `{id, title, authority, summary, focus}`; `focus` marks this one.
- `summaries_parent`: the id of the shared section that holds every category (our dialect's
  `# Content categories`), where the summaries belong; None when there is none (Model Spec format).
- `responses`: the responses the category's rules call for, in `comply, refuse, safe_complete` order.
- `valid_ids`: the section and rule ids of `shared`, then of `focus`, each in document order.
- `example_id`: an id to show in the citation instructions (the category's first rule id, if any).
"""

from __future__ import annotations

from typing import Any

from compiler import format as fmt
from compiler._render import SYSTEM_PROMPT_TEMPLATE, TemplateSet
from compiler._text import TextCleaner
from compiler._views import View, section_view
from compiler.errors import CompileError
from compiler.reasoning import TAGS, ReasoningFormat
from spec_lang.model import RESPONSES, Section, Spec
from spec_lang.versions import shared_sections


def format_view(reasoning: ReasoningFormat = TAGS, example_id: str = "") -> View:
    """The `fmt` context: the markers of `reasoning` (the judge's rubrics always use `tags`, the view the judge
    is shown) and its wording for the system prompt's instructions."""
    return {
        "reasoning_open": reasoning.reasoning_open, "reasoning_close": reasoning.reasoning_close,
        "answer_open": reasoning.answer_open, "answer_close": reasoning.answer_close,
        "decision_prefix": fmt.DECISION_PREFIX, "decisions": list(fmt.DECISIONS),
        **reasoning.instructions(example_id, fmt.DECISION_PREFIX, fmt.DECISIONS),
    }


def category_responses(spec: Spec, category_id: str) -> list[str]:
    found = {r.response for s in spec.subtree(category_id) for r in s.rules if r.response}
    return [r for r in RESPONSES if r in found]


def included_shared(spec: Spec, category_id: str) -> tuple[Section, ...]:
    """The shared sections this category's files include: style sections only for the responses the
    category calls for (all when it calls for none), and nothing the category's own subtree holds."""
    responses = category_responses(spec, category_id)
    own = {s.id for s in spec.subtree(category_id)}

    def wanted(section: Section) -> bool:
        if section.id in own:
            return False
        response = section.attrs.get("response")
        return section.kind != "style" or not responses or response is None or response in responses

    return tuple(s for s in shared_sections(spec) if wanted(s))


def _depths(sections: tuple[Section, ...]) -> dict[str, int]:
    """Depth of each section counting only ancestors inside the same tuple."""
    depth: dict[str, int] = {}
    for s in sections:
        depth[s.id] = depth[s.parent] + 1 if s.parent in depth else 0
    return depth


def summaries_parent(spec: Spec, shared: tuple[Section, ...]) -> str | None:
    parents = {c.parent for c in spec.categories}
    parent = parents.pop() if len(parents) == 1 else None
    return parent if parent in {s.id for s in shared} else None


def cleaner_for(spec: Spec, category_id: str) -> TextCleaner:
    """Link titles come only from sections the category's hash covers."""
    known = (*shared_sections(spec), *spec.categories, *spec.subtree(category_id))
    return TextCleaner({s.id: s.title for s in known})


def category_context(spec: Spec, category_id: str) -> dict[str, Any]:
    """The template context for one category (see the module docstring)."""
    if category_id not in {c.id for c in spec.categories}:
        raise CompileError(f"{spec.path}: no category {category_id!r} in spec {spec.meta.id!r}",
                           f"categories: {', '.join(c.id for c in spec.categories) or '(none)'}")
    clean = cleaner_for(spec, category_id)
    subtree = spec.subtree(category_id)
    shared = included_shared(spec, category_id)
    focus_depth, shared_depth = _depths(subtree), _depths(shared)
    focus = [section_view(s, 1 + focus_depth[s.id], clean) for s in subtree]
    rules = [r.id for s in subtree for r in s.rules]
    return {
        "spec": {"id": spec.meta.id, "title": spec.meta.title, "version": spec.meta.version,
                 "description": spec.meta.description, "format": spec.format},
        "fmt": format_view(TAGS, rules[0] if rules else category_id),
        "category": focus[0],
        "focus": focus,
        "shared": [section_view(s, 2 + shared_depth[s.id], clean) for s in shared],
        "summaries": [{"id": c.id, "title": clean(c.title), "authority": c.attrs.get("authority"),
                       "summary": clean(c.summary), "focus": c.id == category_id} for c in spec.categories],
        "summaries_parent": summaries_parent(spec, shared),
        "responses": category_responses(spec, category_id),
        "valid_ids": [i for s in (*shared, *subtree) for i in (s.id, *(r.id for r in s.rules))],
        "example_id": rules[0] if rules else category_id,
    }


def render_system_prompt(spec: Spec, category_id: str, templates: TemplateSet | None = None,
                         base: dict[str, Any] | None = None, reasoning: ReasoningFormat = TAGS) -> str:
    """The compiled `system_prompt.md` of one category (`base`: its `category_context`, if computed), asking
    for the reasoning format `reasoning`."""
    context = base if base is not None else category_context(spec, category_id)
    context = {**context, "fmt": format_view(reasoning, context["example_id"])}
    return (templates or TemplateSet()).render(SYSTEM_PROMPT_TEMPLATE, context, f"category {category_id!r}")
