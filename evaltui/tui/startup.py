"""The first pane's data, fetched while Python is still importing Textual.

Opening the app spends its first ~0.25 s importing pydantic and Textual, all of it
Python work under one GIL; importing DuckDB is another ~80 ms of the same. So the topic
map's first query (topic sizes: one scan of the root spans) runs in a forked process,
started before those imports, on the other core: it imports DuckDB, brings an older file
up to date if it must (the app itself only reads), opens the file read-only, queries,
and sends the overview back through a pipe. The topics pane's worker takes it from
here and posts it as it would its own query's result; no widget is touched here.
Where forking is unsafe or unavailable (``_safe_to_fork``), a thread does the same.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

_lock = threading.Lock()
_sizes: dict[Path, Future] = {}


def begin(db_path: str | Path, lock_timeout: float = 5.0) -> Future:
    """Start fetching; the future holds the topic sizes (``browse.topic_sizes`` with default
    thresholds, as an ``overview.TopicOverview``) or the error the query raised."""
    path = Path(db_path).resolve()
    future: Future = Future()
    with _lock:
        _sizes[path] = future
    if _safe_to_fork():
        _in_child_process(path, lock_timeout, future)
    else:
        threading.Thread(
            target=_in_thread, args=(path, lock_timeout, future), name="evaltui-startup", daemon=True
        ).start()
    return future


def _safe_to_fork() -> bool:
    """Fork only a process that runs nothing but this thread: no other Python thread, and
    none of the libraries that start native thread pools (DuckDB, Arrow, numpy, torch)
    loaded yet, whose locks a child could inherit held. `evaltui tui` qualifies; the
    demo, which has built its topic map by then, takes the thread."""
    native = ("duckdb", "pyarrow", "numpy", "torch")
    return hasattr(os, "fork") and threading.active_count() == 1 and not any(m in sys.modules for m in native)


def started(db_path: str | Path) -> bool:
    """Whether a start-up fetch for this file is waiting to be taken."""
    with _lock:
        return Path(db_path).resolve() in _sizes


def take_topic_sizes(db_path: str | Path) -> Future | None:
    """The sizes fetched at start-up for this file, once; None when there are none."""
    with _lock:
        return _sizes.pop(Path(db_path).resolve(), None)


def with_thresholds(overview: Any, threshold: Any) -> Any:
    """The fetched overview with the app's score thresholds (it was computed without)."""
    from dataclasses import replace

    return replace(overview, thresholds={k: float(threshold(k)) for k in overview.scorers})


def _fetch(path: Path, lock_timeout: float) -> Any:
    from evaltui.errors import StoreNeedsUpgrade
    from evaltui.store import Store
    from evaltui.store.connections import reading
    from evaltui.store.topic_overview import topic_sizes

    try:
        with reading(path, lock_timeout) as store:
            return topic_sizes(store)
    except StoreNeedsUpgrade:
        pass
    Store(path, lock_timeout=lock_timeout).close()  # an older file: migrate it once, then read
    with reading(path, lock_timeout) as store:
        return topic_sizes(store)


def _in_thread(path: Path, lock_timeout: float, future: Future) -> None:
    try:
        future.set_result(_fetch(path, lock_timeout))
    except BaseException as exc:
        future.set_exception(exc)


def _in_child_process(path: Path, lock_timeout: float, future: Future) -> None:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: query, send, leave without running the parent's exit handlers
        code = 0
        try:
            os.close(read_end)
            try:
                payload = pickle.dumps((True, _fetch(path, lock_timeout)))
            except BaseException as exc:  # sent as text: not every exception pickles
                from evaltui.errors import StoreError

                payload = pickle.dumps(
                    (False, str(exc) if isinstance(exc, StoreError) else f"{type(exc).__name__}: {exc}")
                )
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)

    def collect() -> None:
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        os.waitpid(pid, 0)
        try:
            ok, value = pickle.loads(data)
        except Exception:
            ok, value = False, "the start-up query process ended without an answer"
        if ok:
            future.set_result(value)
        else:
            from evaltui.errors import StoreError

            future.set_exception(StoreError(value))

    threading.Thread(target=collect, name="evaltui-startup", daemon=True).start()
