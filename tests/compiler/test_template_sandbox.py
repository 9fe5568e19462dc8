"""User templates render in a bounded sandbox (`compiler._sandbox`): no unbounded loop, no huge value, no
change to the context another template sees; each refusal names the template's file and line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from compiler import TemplateError, TemplateSet, render_system_prompt
from compiler._sandbox import MAX_CHARS, MAX_LOOP_ITEMS, MAX_RANGE
from tests.compiler.compile_helpers import DIALECT_MINI, load_clean

HOSTILE = [
    ("nested-range", "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "range()"),
    ("long-range", f"{{% for i in range({MAX_RANGE + 1}) %}}{{% endfor %}}", f"at most {MAX_RANGE} times"),
    ("loop-budget", "{% for i in range(2000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
     f"more than {MAX_LOOP_ITEMS} range() items"),
    ("repeat", f"{{{{ 'x' * {MAX_CHARS + 1} }}}}", "too large for a template"),
    ("power", "{{ 10 ** 10000000 }}", "too large for a template"),
    ("doubling-concat", "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
     "{% endfor %}", "the result of '~' is too large"),
    ("doubling-plus", "{% set ns = namespace(s=['x']) %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}"
     "{% endfor %}", "the result of '+' is too large"),
    ("filter-width", "{{ 'x'|center(1000000000) }}", "filter 'center': argument 1000000000"),
    ("method-width", "{{ 'x'.ljust(1000000000) }}", "ljust(): argument 1000000000"),
    ("format-width", "{{ '{:>999999999}'.format(1) }}", "str.format(): a field width this large"),
    ("percent-width", "{{ '%999999999d' % 1 }}", "a field width this large"),
    ("output", f"{{% for i in range(40) %}}{{{{ 'x' * {MAX_CHARS // 32} }}}}{{% endfor %}}", "output is longer"),
    ("mutate-context", "{{ valid_ids.clear() }}", "attribute 'clear' of 'list' object is unsafe"),  # shared by
]  # the category's system prompt, rubrics and verdict schema


@pytest.mark.parametrize(("source", "message"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_templates_are_refused_quickly(source: str, message: str, tmp_path: Path) -> None:
    (tmp_path / "system_prompt.md.j2").write_text("fine\n" + source + "\n", encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(TemplateError) as info:
        render_system_prompt(load_clean(DIALECT_MINI), "weapons", TemplateSet(tmp_path))
    assert time.perf_counter() - start < 30
    where = f"{tmp_path / 'system_prompt.md.j2'}" + (": " if message == "output is longer" else ":2: ")
    assert where in str(info.value) and message in str(info.value)


def test_ordinary_template_work_is_fine(tmp_path: Path) -> None:
    (tmp_path / "system_prompt.md.j2").write_text(
        "{% for s in focus %}{{ loop.index }}. {{ s.title|upper }}{% endfor %}"
        "{% for i in range(3) %}{{ i * 2 }}{% endfor %} {{ '%-4s|' % 'ab' }}{{ '{:>3}'.format(7) }}\n")
    text = render_system_prompt(load_clean(DIALECT_MINI), "weapons", TemplateSet(tmp_path))
    assert text.startswith("1. WEAPONS") and text.endswith("024 ab  |  7\n")
