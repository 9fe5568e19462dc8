"""`open_backend`: from a spec string such as `embedded`, `hf:PATH` or `openai:URL#MODEL` to a backend."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from trainer.backends._errors import BackendSpecError
from trainer.backends._protocol import ChatBackend

SPEC_FORMS: tuple[tuple[str, str], ...] = (
    ("embedded", "the bundled SmolLM2-135M-Instruct, run locally (the default)"),
    ("hf:PATH", "a local transformers model folder, LoRA adapter folders included"),
    ("openai:BASE_URL[#MODEL]", "an OpenAI-compatible server, e.g. openai:http://localhost:8000/v1#my-model"),
    ("openai:URL1,URL2#MODEL", "several replicas of one server, used round-robin"),
    ("fake", "a deterministic echo backend for tests and dry runs"),
)
"""Accepted spec forms, with what each means (shown in errors and `--help`)."""

T = TypeVar("T")


def describe_spec_forms() -> str:
    """The accepted spec forms as an indented list."""
    width = max(len(form) for form, _ in SPEC_FORMS)
    return "\n".join(f"  {form.ljust(width)}  {meaning}" for form, meaning in SPEC_FORMS)


def open_backend(spec: str = "embedded", **options: Any) -> ChatBackend:
    """Build the backend a spec string names; `options` go to its constructor (e.g. `batch_size=8`).

    Raises `BackendSpecError` for a malformed spec or an option the backend does not take, and
    `ModelUnavailableError` when the model cannot be loaded or reached.
    """
    kind, _, rest = spec.strip().partition(":")
    if kind == "embedded" and not rest:
        from trainer.backends._transformers import TransformersBackend

        return _call(TransformersBackend.embedded, spec, {}, options)
    if kind == "fake" and not rest:
        from trainer.backends.fake import FakeBackend

        return _call(FakeBackend, spec, {}, options)
    if kind == "hf":
        if not rest.strip():
            raise _bad(spec, "hf: needs a folder, as hf:PATH")
        from trainer.backends._transformers import TransformersBackend

        folder = Path(rest.strip()).expanduser()
        if (folder / "run.json").is_file() and (folder / "final").is_dir():  # a `delib train` run folder
            folder = folder / "final"
        return _call(TransformersBackend.from_pretrained, spec, {"path": str(folder)}, options)
    if kind == "openai":
        urls, model = _parse_openai(spec, rest)
        from trainer.backends._openai import OpenAIBackend

        return _call(OpenAIBackend, spec, {"base_urls": urls, "model": model}, options)
    raise _bad(spec, "unknown backend")


def _parse_openai(spec: str, rest: str) -> tuple[list[str], str | None]:
    address, _, model = rest.partition("#")
    urls = [u.strip() for u in address.split(",")]
    if not address.strip() or not all(urls):
        raise _bad(spec, "openai: needs one or more base URLs separated by commas")
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise _bad(spec, f"base URL {url!r} must start with http:// or https://")
    return urls, model.strip() or None


def _call(factory: Callable[..., T], spec: str, bound: dict[str, Any], options: dict[str, Any]) -> T:
    """`factory(**bound, **options)` after checking every option is one the factory takes."""
    accepted = [
        name
        for name, p in inspect.signature(factory).parameters.items()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and name not in bound
    ]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise BackendSpecError(
            f"backend {spec!r} takes no option {', '.join(map(repr, unknown))}; "
            f"accepted options: {', '.join(accepted) or 'none'}"
        )
    return factory(**bound, **options)


def _bad(spec: str, why: str) -> BackendSpecError:
    return BackendSpecError(f"invalid backend spec {spec!r}: {why}; accepted forms:\n{describe_spec_forms()}")
