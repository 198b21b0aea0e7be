"""A thread pool for sync tasks and scorers whose threads never hold up the process's exit.

``concurrent.futures.ThreadPoolExecutor`` (and asyncio's default executor, which
``asyncio.run`` waits for) joins its threads when the interpreter exits, so one sync
task or scorer stuck past its ``timeout=`` (a Python thread cannot be stopped) kept
`evaltui eval` alive after the run had finished and its results were stored. These
threads are daemons: the process exits once the run is done; a stuck call dies with it.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import queue
import threading
from concurrent.futures import Executor, Future
from typing import Any
from collections.abc import Callable

_STOP = None


class DaemonThreadPool(Executor):
    """At most ``max_workers`` daemon threads, started as work arrives."""

    def __init__(self, max_workers: int, thread_name_prefix: str = "evaltui-task") -> None:
        self._max_workers = max_workers
        self._prefix = thread_name_prefix
        self._work: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = threading.Semaphore(0)
        self._lock = threading.Lock()
        self._shutdown = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new work after shutdown")
            future: Future[Any] = Future()
            self._work.put((future, fn, args, kwargs))
            if not self._idle.acquire(blocking=False) and len(self._threads) < self._max_workers:
                thread = threading.Thread(target=self._run, name=f"{self._prefix}_{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()
            return future

    def _run(self) -> None:
        while True:
            item = self._work.get()
            if item is _STOP:
                return
            future, fn, args, kwargs = item
            if future.set_running_or_notify_cancel():
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:  # handed to the awaiting coroutine
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            self._idle.release()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            if cancel_futures:
                while True:
                    try:
                        item = self._work.get_nowait()
                    except queue.Empty:
                        break
                    if item is not _STOP:
                        item[0].cancel()
            for _ in self._threads:
                self._work.put(_STOP)
        if wait:
            for thread in self._threads:
                thread.join()


_shared: DaemonThreadPool | None = None
_shared_lock = threading.Lock()


async def to_daemon_thread(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """``asyncio.to_thread`` on a shared pool of daemon threads."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = DaemonThreadPool(max_workers=32, thread_name_prefix="evaltui-call")
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_shared, call)
