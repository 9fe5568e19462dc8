"""The sandbox user templates render in: bounded work, bounded size, a context they cannot change.

User templates are untrusted (`delib compile --templates DIR`). jinja2's `ImmutableSandboxedEnvironment`
already refuses private attributes and every method that mutates a list, dict or set (so a template
cannot `spec.clear()` the context the next template sees); `BoundedSandbox` adds bounds, so a template
can neither hang a compile nor exhaust memory:

- `range()` yields at most `MAX_RANGE` items per call and `MAX_LOOP_ITEMS` over one render (nested
  loops over `range` included);
- `*`, `+`, `**` and `~` refuse a result longer than `MAX_CHARS` characters (or items, or an integer
  of more than `MAX_INT_BITS` bits);
- a call or a filter refuses an integer argument above `MAX_CHARS` (`"x"|center(10**9)`) and a result
  longer than `MAX_CHARS`;
- `render_bounded` stops the output at `MAX_CHARS` characters.

Going over a bound raises `jinja2.sandbox.SecurityError`; `compiler._render.TemplateSet.render` reports
it with the template's `path:line`, like any other rendering error.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_RANGE = 10_000
"""Items one `range()` call may yield."""
MAX_LOOP_ITEMS = 1_000_000
"""Items all `range()` calls of one render may yield together."""
MAX_CHARS = 32 * 1024 * 1024
"""The longest value or output a template may produce (the largest spec accepted is 8 MiB)."""
MAX_INT_BITS = 64 * 1024
"""The largest integer a template may compute, in bits."""
_HUGE_FIELD = {"%": re.compile(r"%[-+ #0]*(\d{8,}|\d*\.\d{8,})"), "{}": re.compile(r"\{[^{}]*:[^{}]*\d{8,}[^{}]*\}")}
"""A field width or precision of millions in a `%` or a `str.format` format string."""


def _too_large(value: Any) -> bool:
    """Whether a value is over the bounds: an integer of more than `MAX_INT_BITS` bits, anything else
    longer than `MAX_CHARS`."""
    if isinstance(value, int):
        return value.bit_length() > MAX_INT_BITS
    try:
        return len(value) > MAX_CHARS
    except TypeError:
        return False


def _check_size(value: Any, what: str) -> Any:
    if _too_large(value):
        raise SecurityError(f"{what} is too large for a template (more than {MAX_CHARS} characters or items)")
    return value


def _check_format(text: Any, style: str, what: str) -> None:
    """A format string (`%` or `{}` style) may not ask for a field width or precision of millions."""
    if isinstance(text, str) and _HUGE_FIELD[style].search(text):
        raise SecurityError(f"{what}: a field width this large is too large for a template")


def _check_arguments(args: tuple[Any, ...], kwargs: Mapping[str, Any], what: str) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_CHARS:
            raise SecurityError(f"{what}: argument {value} is too large for a template (at most {MAX_CHARS})")


class _BoundedCodeGenerator(CodeGenerator):
    """Compiles `a ~ b` so that the sandbox checks the length of the result."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.checked_concat(")
        super().visit_Concat(node, frame)
        self.write(")")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """`ImmutableSandboxedEnvironment` with the bounds of the module docstring."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "+", "**", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.loop_items = 0
        """`range()` items yielded since the current render started."""
        self.globals["range"] = self._range
        self.filters = {name: self._bounded_filter(name, f) for name, f in self.filters.items()}

    def _range(self, *args: int) -> range:
        items = range(*args)
        if len(items) > MAX_RANGE:
            raise SecurityError(f"range() of {len(items)} items; a template may loop at most {MAX_RANGE} times "
                                "per range()")
        self.loop_items += len(items)
        if self.loop_items > MAX_LOOP_ITEMS:
            raise SecurityError(f"the template loops over more than {MAX_LOOP_ITEMS} range() items in all "
                                "(nested loops?)")
        return items

    @staticmethod
    def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)  # keeps `jinja_pass_arg`, which says what the filter is passed first
        def bounded(*args: Any, **kwargs: Any) -> Any:
            _check_arguments(args[1:], kwargs, f"filter {name!r}")
            return _check_size(function(*args, **kwargs), f"the result of filter {name!r}")

        return bounded

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        what = f"{getattr(__obj, '__name__', 'a call')}()"
        _check_arguments(args, kwargs, what)
        return _check_size(super().call(__context, __obj, *args, **kwargs), f"the result of {what}")

    def call_binop(self, context: Context, op: str, left: Any, right: Any) -> Any:
        if op == "**" and isinstance(left, int) and isinstance(right, int) and \
                right * max(1, abs(left).bit_length() - 1) > MAX_INT_BITS:
            raise SecurityError(f"{left} ** {right} is too large for a template")
        if op == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_CHARS:
                    raise SecurityError(f"repeating a value {times} times is too large for a template (more than "
                                        f"{MAX_CHARS} characters or items)")
        if op == "%":
            _check_format(left, "%", "'%'")
        return _check_size(super().call_binop(context, op, left, right), f"the result of {op!r}")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """`str.format` and `format_map`, refused for a format string with a huge field width."""
        if getattr(value, "__name__", None) in ("format", "format_map"):
            _check_format(getattr(value, "__self__", None), "{}", "str.format()")
        return super().wrap_str_format(value)

    def checked_concat(self, value: Any) -> Any:
        """`a ~ b ~ ...` (already joined), refused when too long."""
        return _check_size(value, "the result of '~'")

    def render_bounded(self, template: jinja2.Template, context: Mapping[str, Any]) -> str:
        """Render `template` with fresh budgets, stopping at `MAX_CHARS` characters of output."""
        self.loop_items = 0
        parts: list[str] = []
        total = 0
        for part in template.generate(**context):
            total += len(part)
            if total > MAX_CHARS:
                raise SecurityError(f"the template's output is longer than {MAX_CHARS} characters")
            parts.append(part)
        return "".join(parts)

