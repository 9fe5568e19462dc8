"""Exceptions raised by model backends.

Only set-up problems raise; a request that fails at generation time becomes a
`Generation(finish_reason="error")` instead, so one bad request never sinks a batch.

    BackendError                   base class (a `spec_lang.errors.DelibError`): the CLI prints the message
    ├── ModelAddressError          a malformed model address or an unknown option (also a ValueError)
    ├── ModelUnavailableError      model files missing, unreadable, or a server that cannot be reached
    └── BackendClosedError         the backend was used after `close()`
"""

from __future__ import annotations

from spec_lang.errors import DelibError


class BackendError(DelibError):
    """Base class for every error raised by `trainer.backends`."""


class ModelAddressError(BackendError, ValueError):
    """A model address or backend option is malformed; the message lists the accepted forms."""


class ModelUnavailableError(BackendError):
    """The model cannot be loaded or reached; the message says what to install, fix or pass."""


class BackendClosedError(BackendError):
    """A backend was used after `close()`."""
