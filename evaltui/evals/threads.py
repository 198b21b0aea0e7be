"""Blocking calls from a run's event loop that survive its cancellation.

``asyncio.to_thread`` gives up on its thread when the awaiting task is cancelled: the
call goes on while the task unwinds and closes the store that call is using (DuckDB
refuses: "connection is busy with another call"), or a store it was opening is never
closed. ``in_thread`` waits for the call to end before the cancellation goes on, and
hands what it opened to ``cleanup``.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar
from collections.abc import Callable

T = TypeVar("T")


async def in_thread(fn: Callable[..., T], *args: Any, cleanup: Callable[[T], Any] | None = None) -> T:
    """``fn(*args)`` in a thread; when cancelled meanwhile, wait for it to finish, pass its
    result to ``cleanup`` (a store it opened), then let the cancellation go on."""
    future = asyncio.ensure_future(asyncio.to_thread(fn, *args))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        while not future.done():
            try:
                await asyncio.wait([future])
            except asyncio.CancelledError:  # cancelled again: still the same call to wait for
                continue
        if cleanup is not None and not future.cancelled() and future.exception() is None:
            cleanup(future.result())
        raise
