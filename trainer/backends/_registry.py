"""`open_backend`: from a model address such as `embedded`, `hf:PATH` or `openai:URL#MODEL` to a backend."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from trainer.backends._address import parse_address
from trainer.backends._errors import ModelAddressError
from trainer.backends._protocol import ChatBackend

T = TypeVar("T")


def open_backend(spec: str = "embedded", **options: Any) -> ChatBackend:
    """Build the backend a model address names (`trainer.backends.parse_address`); `options` go to its
    constructor (e.g. `batch_size=8`).

    Raises `ModelAddressError` for a malformed address or an option the backend does not take, and
    `ModelUnavailableError` when the model cannot be loaded or reached.
    """
    address = parse_address(spec)
    if address.kind == "embedded":
        from trainer.backends._transformers import TransformersBackend

        return _call(TransformersBackend.embedded, spec, {}, options)
    if address.kind == "fake":
        from trainer.backends.fake import well_behaved

        return _call(well_behaved, spec, {}, options)
    if address.kind == "hf":
        from trainer.backends._transformers import TransformersBackend

        return _call(TransformersBackend.from_pretrained, spec, {"path": str(address.model_folder)}, options)
    from trainer.backends._openai import OpenAIBackend

    return _call(OpenAIBackend, spec, {"base_urls": list(address.urls), "model": address.model}, options)


def _call(factory: Callable[..., T], spec: str, bound: dict[str, Any], options: dict[str, Any]) -> T:
    """`factory(**bound, **options)` after checking every option is one the factory takes."""
    accepted = [
        name
        for name, p in inspect.signature(factory).parameters.items()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and name not in bound
    ]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ModelAddressError(
            f"backend {spec!r} takes no option {', '.join(map(repr, unknown))}; "
            f"accepted options: {', '.join(accepted) or 'none'}"
        )
    return factory(**bound, **options)
