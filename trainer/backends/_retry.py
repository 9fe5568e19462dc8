"""Retry policy for HTTP backends: which failures are worth another try, and how long to wait.

Exponential backoff with full jitter: before retry `n` (0-based) wait a uniform random time in
`[0, min(max_delay, base * 2**n)]`, or the server's `Retry-After` when it asks for longer (capped).
"""

from __future__ import annotations

import random

from pydantic import BaseModel, ConfigDict, Field

RETRYABLE_STATUS = frozenset({408, 409, 429})
"""Besides every 5xx: request timeout, lock conflict, rate limit."""


class RetryPolicy(BaseModel):
    """How often and how patiently to retry a failed request."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    max_retries: int = Field(default=4, ge=0)
    """Retries after the first attempt (0: one attempt only)."""
    backoff_base_s: float = Field(default=0.5, ge=0.0)
    """Upper bound of the first wait; doubles with each retry."""
    backoff_max_s: float = Field(default=30.0, ge=0.0)
    """Cap on any single wait, including a server's `Retry-After`."""

    def delay(self, retry: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `retry` (0-based)."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * (2.0**retry))
        wait = rng.uniform(0.0, ceiling)
        if retry_after is not None and retry_after > wait:
            wait = retry_after
        return min(wait, self.backoff_max_s)


def is_retryable_status(status: int) -> bool:
    """Whether an HTTP status is transient: 408, 409, 429 or any 5xx."""
    return status in RETRYABLE_STATUS or status >= 500


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header given in seconds; `None` when absent or not a number."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
