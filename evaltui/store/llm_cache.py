"""The LLM response cache: request hash -> model reply, in the store's ``llm_cache`` table.

The key is ``evaltui.llm.keys.request_key``, a hash of (model, messages, parameters), so
an unchanged re-run of a judge or an eval task makes no calls; an ``LLMClient`` is given
one as ``cache``. The API key, base URL and headers are never part of the stored request.
Writes are buffered and flushed in Arrow batches, not row by row; on an event loop a full
buffer is written from a background thread, so the insert never stalls the calls in flight.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, UTC
from typing import Any

import orjson
import pyarrow as pa

from evaltui.store.db import Store

_ARROW = pa.schema(
    [
        ("key", pa.string()),
        ("model", pa.string()),
        ("request", pa.string()),
        ("response", pa.string()),
        ("prompt_tokens", pa.int32()),
        ("completion_tokens", pa.int32()),
        ("created", pa.timestamp("us")),
    ]
)


class LLMCache:
    """Cached replies in the store's ``llm_cache`` table.

    ``get`` looks in the unflushed buffer, then the table; ``put`` buffers, and the
    buffer is written every ``flush_every`` replies (in a background thread when ``put``
    runs on an event loop) and on ``flush()``, which also waits for those writes. After
    ``prefetch(keys)``, a key of that batch is answered from memory either way: a hit
    from the batch, a miss without a query (the batch's one query found no reply).
    """

    def __init__(self, store: Store, *, flush_every: int = 64) -> None:
        self.con = store.con
        self.flush_every = flush_every
        self._pending: dict[str, dict[str, Any]] = {}
        self._writing: dict[str, dict[str, Any]] = {}  # handed to the background writer
        self._writes: list[Future] = []
        self._writer: ThreadPoolExecutor | None = None
        self._write_lock = threading.Lock()
        self._prefetched: dict[str, str] = {}
        self._prefetched_misses: set[str] = set()
        self._lock = threading.Lock()

    def prefetch(self, keys: list[str]) -> int:
        """Load the replies of a batch of requests in one query, so the calls that follow
        are answered from memory; replaces the previous batch. Returns the hits."""
        found = self.get_many(keys)
        with self._lock:
            self._prefetched = found
            self._prefetched_misses = {k for k in keys if k not in found}
        return len(found)

    def get(self, key: str) -> str | None:
        with self._lock:
            hit = self._prefetched.get(key)
            if hit is not None:
                return hit
            row = self._pending.get(key) or self._writing.get(key)
            if row is not None:
                return row["response"]
            if key in self._prefetched_misses:  # looked up with its batch: not there
                return None
            found = self.con.execute("SELECT response FROM llm_cache WHERE key = ?", [key]).fetchall()
        return found[0][0] if found else None

    def get_many(self, keys: list[str]) -> dict[str, str]:
        """Replies for many keys in one query (callers that know their requests up front)."""
        if not keys:
            return {}
        with self._lock:
            buffered = self._writing | self._pending
            out = {k: buffered[k]["response"] for k in keys if k in buffered}
            rest = [k for k in keys if k not in out]
            if rest:
                table = pa.table({"key": pa.array(rest, pa.string())})
                self.con.register("_cache_keys", table)
                try:
                    rows = self.con.execute(
                        "SELECT c.key, c.response FROM llm_cache c JOIN _cache_keys k ON k.key = c.key"
                    ).fetchall()
                finally:
                    self.con.unregister("_cache_keys")
                out.update(dict(rows))
        return out

    def put(
        self,
        key: str,
        model: str,
        request: dict[str, Any],
        response: str,
        prompt_tokens: int | None,
        completion_tokens: int | None,
    ) -> None:
        with self._lock:
            self._pending[key] = {
                "key": key,
                "model": model,
                "request": orjson.dumps(request).decode(),
                "response": response,
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "created": datetime.now(UTC).replace(tzinfo=None),
            }
            full = len(self._pending) >= self.flush_every
        if not full:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        with self._lock:
            rows = list(self._pending.values())
            self._writing.update(self._pending)
            self._pending.clear()
            if self._writer is None:
                self._writer = ThreadPoolExecutor(1, thread_name_prefix="evaltui-llm-cache")
            self._writes.append(self._writer.submit(self._write_batch, rows, True))

    def flush(self) -> int:
        """Write buffered replies and wait for background writes; returns how many were new."""
        with self._lock:
            writes, self._writes = self._writes, []
        added = sum(w.result() for w in writes)
        with self._lock:
            rows = list(self._pending.values())
            self._pending.clear()
        return added + self._write_batch(rows, False)

    def _write_batch(self, rows: list[dict[str, Any]], background: bool) -> int:
        if not rows:
            return 0
        table = pa.Table.from_pylist(rows, schema=_ARROW)
        with self._write_lock:  # one writer at a time: two INSERT OR IGNORE of a key would conflict
            con = self.con.cursor() if background else self.con  # a connection is not shared across threads
            con.register("_cache_rows", table)
            try:
                added = len(
                    con.execute(
                        "INSERT OR IGNORE INTO llm_cache BY NAME SELECT DISTINCT ON (key) * FROM _cache_rows RETURNING key"
                    ).fetchall()
                )
            finally:
                con.unregister("_cache_rows")
                if background:
                    con.close()
                    with self._lock:
                        for row in rows:
                            self._writing.pop(row["key"], None)
        return added

    def clear(self, model: str | None = None) -> int:
        """Forget cached replies (of one model, or all); returns how many."""
        self.flush()
        with self._lock:
            self._prefetched, self._prefetched_misses = {}, set()
        where, params = ("WHERE model = ?", [model]) if model else ("", [])
        n = self.con.execute(f"SELECT count(*) FROM llm_cache {where}", params).fetchall()[0][0]
        self.con.execute(f"DELETE FROM llm_cache {where}", params).fetchall()
        return n
