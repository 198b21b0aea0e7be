"""Keep Python's cyclic garbage collector off what was loaded before a run fans out.

By the time an eval or a scoring run starts its calls, the process holds most of what
it will keep: modules, pydantic schemas, the store, maybe an embedding model. A full
collection walks all of it, and while it does, every call in flight waits: on the judge
benchmark one such pause took 83 ms, with 50 calls stalled behind it. ``gc.freeze()``
moves those objects out of the collector's generations for the run; reference counting
still frees anything dropped meanwhile, new objects are collected as before, and when
the last run ends everything goes back to the collector, so nothing is kept for good.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from collections.abc import Iterator

_lock = threading.Lock()
_runs = 0


def freeze() -> None:
    """A run starts: freeze the heap as it is now (again, if another run is going on)."""
    global _runs
    with _lock:
        _runs += 1
        gc.freeze()


def thaw() -> None:
    """A run ends: the last one out hands the frozen objects back to the collector."""
    global _runs
    with _lock:
        _runs = max(0, _runs - 1)
        if _runs == 0:
            gc.unfreeze()


@contextmanager
def frozen() -> Iterator[None]:
    """``freeze()`` for the block, ``thaw()`` after it: around a fan-out of calls."""
    freeze()
    try:
        yield
    finally:
        thaw()
