"""Templates: the built-in jinja2 files, optionally overridden by a user folder, rendered strictly.

Every template renders with `StrictUndefined`. The built-in set renders in a plain environment; as
soon as a user folder is given, everything renders in `compiler._sandbox.BoundedSandbox` (jinja2's
immutable sandbox with bounds on loops, value sizes and output), each template on its own deep copy of
the context, since user templates are untrusted. A template that does not parse fails when the set is
loaded; one that fails while rendering fails with its own file and line (`TemplateError`), never with a
traceback.
"""

from __future__ import annotations

import copy
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2

from compiler._sandbox import BoundedSandbox
from compiler._text import tidy
from compiler.errors import TemplateError
from spec_lang.versions import digest

BUILTIN_DIR = Path(__file__).parent / "templates"
SYSTEM_PROMPT_TEMPLATE = "system_prompt.md.j2"
RUBRIC_TEMPLATE = "rubric.md.j2"
REQUIRED = (SYSTEM_PROMPT_TEMPLATE, RUBRIC_TEMPLATE)
PROFILES = ("compact",)
"""Built-in template profiles: folders under compiler/templates/ that override a few built-ins."""


def _read_folder(folder: Path) -> dict[str, tuple[str, str]]:
    """name -> (source, path) for every `*.j2` file directly in `folder`."""
    out: dict[str, tuple[str, str]] = {}
    for file in sorted(folder.glob("*.j2")):
        try:
            out[file.name] = (file.read_text(encoding="utf-8"), str(file))
        except (OSError, UnicodeDecodeError) as exc:
            raise TemplateError(f"{file}: cannot read template: {exc}", "check the file is readable UTF-8") from exc
    return out


class _Loader(jinja2.BaseLoader):
    def __init__(self, sources: Mapping[str, tuple[str, str]]) -> None:
        self.sources = sources

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        if template not in self.sources:
            raise jinja2.TemplateNotFound(template)
        source, path = self.sources[template]
        return source, path, lambda: True


class TemplateSet:
    """The templates one compile uses: built-ins overridden by same-named `*.j2` files in `user_dir`
    (which may also add partials of its own). `hashes` identifies the set in a bundle manifest."""

    def __init__(self, user_dir: str | Path | None = None) -> None:
        sources = _read_folder(BUILTIN_DIR)
        self.user_dir = None if user_dir is None else Path(user_dir)
        trusted = self.user_dir is None
        if self.user_dir is not None and not self.user_dir.is_dir() and str(user_dir) in PROFILES:
            sources.update(_read_folder(BUILTIN_DIR / str(user_dir)))
            self.user_dir, trusted = None, True
        elif self.user_dir is not None:
            if not self.user_dir.is_dir():
                raise TemplateError(f"{self.user_dir}: template folder does not exist",
                                    "pass a folder holding *.j2 files named like the built-in ones, or a "
                                    f"built-in profile: {', '.join(PROFILES)}")
            sources.update(_read_folder(self.user_dir))
        self.sources: Mapping[str, tuple[str, str]] = types.MappingProxyType(sources)
        self.hashes: dict[str, str] = {name: digest(src) for name, (src, _) in sorted(sources.items())}
        env_class = jinja2.Environment if trusted else BoundedSandbox
        self.env = env_class(loader=_Loader(self.sources), undefined=jinja2.StrictUndefined, autoescape=False,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        for name in sorted(self.sources):
            self._compile(name)

    def path(self, name: str) -> str:
        return self.sources[name][1] if name in self.sources else name

    def _compile(self, name: str) -> jinja2.Template:
        try:
            return self.env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            where = f"{exc.filename or self.path(name)}:{exc.lineno}"
            raise TemplateError(f"{where}: template syntax error: {exc.message}",
                                "fix the template; see the built-in ones in compiler/templates/") from exc
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(f"{self.path(name)}: includes or imports a missing template {exc.name!r}",
                                "add it to the template folder or fix the name") from exc

    def render(self, name: str, context: Mapping[str, Any], what: str) -> str:
        """Render template `name`; `what` says for what (e.g. `category 'violence'`) in errors."""
        if name not in self.sources:
            raise TemplateError(f"template {name!r} not found", f"it must be one of {sorted(self.sources)}")
        template = self._compile(name)
        try:
            if isinstance(self.env, BoundedSandbox):  # untrusted: bounded, and never sees what another changed
                return tidy(self.env.render_bounded(template, copy.deepcopy(dict(context))))
            return tidy(template.render(**context))
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(f"{self._where(exc, name)}: includes or imports a missing template {exc.name!r}",
                                "add it to the template folder or fix the name") from exc
        except jinja2.TemplateError as exc:
            raise TemplateError(f"{self._where(exc, name)}: {exc} (rendering {name} for {what})",
                                "templates see only the variables documented in compiler/prompts.py") from exc
        except Exception as exc:  # e.g. a TypeError from a filter applied to the wrong value
            raise TemplateError(f"{self._where(exc, name)}: {type(exc).__name__}: {exc} (rendering {name} "
                                f"for {what})", "check the expression on that line") from exc

    def _where(self, exc: BaseException, name: str) -> str:
        """`path:line` of the innermost template frame of the error (jinja2 rewrites tracebacks so that
        template frames carry the template's file name and line)."""
        paths = {path for _, path in self.sources.values()}
        where = self.path(name)
        tb = exc.__traceback__
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename in paths:
                where = f"{filename}:{tb.tb_lineno}"
            tb = tb.tb_next
        return where
