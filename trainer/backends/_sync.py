"""Running a coroutine from synchronous code, whether or not an event loop is already running."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run `make()` to completion and return its result.

    Outside an event loop this is `asyncio.run`. Inside one (a notebook, an async caller using the sync
    API) the coroutine runs on a private loop in a worker thread, so the caller's loop is not re-entered.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="deliberative-backend") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()
