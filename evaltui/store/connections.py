"""Short connections for a long-lived browser: ``reading(path)`` opens the file read-only
for the length of one query and closes it again, ``writing(path)`` likewise for one short
write, so the app never keeps the DuckDB file locked and `evaltui ingest` in another
terminal can take its turn between queries. ``data_stamp`` tells that another process
wrote, without opening the file.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Iterator

from evaltui.errors import StoreConfigConflict
from evaltui.store.db import Store


@contextmanager
def reading(path: str | os.PathLike[str], lock_timeout: float = 5.0, memory_limit: str = "256MB") -> Iterator[Store]:
    """A read-only Store for one query; waits up to ``lock_timeout`` s for a writer.

    ``memory_limit`` caps DuckDB's buffers so a browser stays small next to the writers.
    """
    try:
        store = Store(path, read_only=True, lock_timeout=lock_timeout)
    except StoreConfigConflict:
        # An eval run (or a save) in this process holds the file read-write: DuckDB lets
        # this process in only with the same configuration, and shares the instance.
        yield from _shared(path, lock_timeout)
        return
    try:
        store.con.execute(f"SET memory_limit = '{memory_limit}'").fetchall()
    except Exception:
        store.close()
        raise
    try:
        yield store
    finally:
        store.close()


def _shared(path: str | os.PathLike[str], lock_timeout: float) -> Iterator[Store]:
    store = Store(path, lock_timeout=lock_timeout)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def writing(path: str | os.PathLike[str], lock_timeout: float = 5.0) -> Iterator[Store]:
    """A read-write Store for one short write (a save, a label); waits for other writers.

    Opening read-write while this process has the file open read-only fails at once in
    DuckDB, so that case is retried until ``lock_timeout``."""
    import time

    deadline = time.monotonic() + lock_timeout
    while True:
        try:
            store = Store(path, lock_timeout=lock_timeout)
            break
        except StoreConfigConflict:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    try:
        yield store
    finally:
        store.close()


def data_stamp(path: str | os.PathLike[str]) -> tuple[int, ...]:
    """Changes when another process writes the file (its WAL included); never opens it."""
    stamp: list[int] = []
    for p in (Path(path), Path(f"{path}.wal")):
        try:
            st = p.stat()
            stamp += [st.st_mtime_ns, st.st_size]
        except OSError:
            stamp += [0, 0]
    return tuple(stamp)
