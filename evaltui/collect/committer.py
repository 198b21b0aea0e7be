"""Moving spooled spans into the database in short batches, letting go of the file
between them (docs/live-capture.md).

DuckDB lets one process hold the file read-write and then no other may open it, even
read-only. The committer therefore opens the file only to commit a batch (every
``interval`` seconds, at most ``max_batch`` spans) and closes it at once, so the app,
`evaltui stats`, a label or an eval in another process take their turn in between.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from evaltui.collect.spool import Spool, read_segment
from evaltui.errors import StoreBusy
from evaltui.ingest.otel import MappedSpan
from evaltui.model import ScoreRow, SpanRow

SOURCE = "otlp:serve"


def encode_spans(spans: list[MappedSpan]) -> bytes:
    """One spool record: the mapped spans of one request."""
    return orjson.dumps([[s.row, s.trace_id, s.is_root] for s in spans],
                        option=orjson.OPT_NON_STR_KEYS, default=str)


def decode_spans(payload: bytes) -> list[MappedSpan]:
    out = []
    for row, trace_id, is_root in orjson.loads(payload):
        row["scores"] = [ScoreRow(**sc) for sc in row.get("scores") or []]
        out.append(MappedSpan(SpanRow(**row), trace_id, is_root))
    return out


@dataclass
class CommitStats:
    commits: int = 0
    spans_committed: int = 0  # new spans stored
    spans_duplicate: int = 0  # already stored (an exporter's retry, a replay): kept once
    busy_waits: int = 0  # turns another process held the file
    last_hold_s: float = 0.0  # the file held for the last commit
    max_hold_s: float = 0.0
    last_error: str | None = None
    holds: list[float] = field(default_factory=list, repr=False)


class Committer:
    """Commits sealed spool segments to the database at ``db_path``, oldest first."""

    def __init__(self, db_path: str | os.PathLike[str], spool: Spool, *, interval: float = 0.5,
                 max_batch: int = 20_000, on_commit: Callable[[int], None] | None = None) -> None:
        self.db_path = db_path
        self.spool = spool
        self.interval = interval
        self.max_batch = max_batch
        self.on_commit = on_commit
        self.stats = CommitStats()
        self._wake = threading.Event()

    def run(self, stop: threading.Event, drain_seconds: float = 30.0) -> None:
        """Commit until ``stop`` is set, then commit what is left (for up to ``drain_seconds``)."""
        while not stop.is_set():
            started = time.monotonic()
            wait = self.interval
            try:
                self.commit_once()
            except StoreBusy:  # another process's turn: try again soon, between its queries
                self.stats.busy_waits += 1
                wait = 0.05
            except Exception as exc:  # a bad batch must not end the server; it stays spooled
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
            stop.wait(max(0.0, wait - (time.monotonic() - started)))
        deadline = time.monotonic() + drain_seconds
        while self.spool.pending_bytes and time.monotonic() < deadline:
            try:
                self.commit_once()
            except StoreBusy:
                time.sleep(0.05)

    def commit_once(self) -> int:
        """Commit up to ``max_batch`` spans of whole sealed segments (at least one
        segment); returns the new spans stored. Raises StoreBusy when another process
        holds the file (nothing is lost: the segments wait)."""
        segments = self.spool.seal()
        if not segments:
            return 0
        batch: list[MappedSpan] = []
        taken: list[Path] = []
        for segment in segments:
            spans = [s for payload in read_segment(segment) for s in decode_spans(payload)]
            if taken and len(batch) + len(spans) > self.max_batch:
                break
            batch.extend(spans)
            taken.append(segment)
        added = self._commit(batch) if batch else 0
        for segment in taken:  # committed: only now may the spool let go of them
            self.spool.delete(segment)
        if self.on_commit and added:
            self.on_commit(added)
        return added

    def _commit(self, batch: list[MappedSpan]) -> int:
        import pyarrow as pa

        from evaltui.ingest.otel import resolve_roots
        from evaltui.ingest.writer import BatchBuilder
        from evaltui.store.db import Store
        from evaltui.store.spans import create_stage, drop_stage, merge_stage, stage_arrow
        from evaltui.store.traces import ROOTS_ARROW_SCHEMA, link_roots, stage_roots

        # Everything but the database first, so the file is held only for the SQL.
        roots = resolve_roots(batch)
        builder = BatchBuilder()
        for s in batch:
            builder.add(s.row)
        spans, scores = builder.take()
        root_table = pa.Table.from_pydict({"trace_id": list(roots), "root_id": list(roots.values())},
                                          schema=ROOTS_ARROW_SCHEMA)
        held = time.monotonic()
        store = Store(self.db_path, lock_timeout=0)
        try:
            create_stage(store.con)
            stage_arrow(store.con, spans, scores)
            stage_roots(store.con, root_table)
            result = merge_stage(store.con, SOURCE, prepare=link_roots)
            drop_stage(store.con)
        finally:
            store.close()
        hold = time.monotonic() - held
        st = self.stats
        st.commits += 1
        st.spans_committed += result.spans_added
        st.spans_duplicate += result.spans_already_present
        st.last_hold_s, st.max_hold_s = hold, max(st.max_hold_s, hold)
        st.holds.append(hold)
        del st.holds[:-1000]
        return result.spans_added

    def snapshot(self) -> dict[str, Any]:
        st = self.stats
        holds = sorted(st.holds)
        p95 = holds[int(0.95 * (len(holds) - 1))] if holds else 0.0
        return {"commits": st.commits, "spans_committed": st.spans_committed,
                "spans_duplicate": st.spans_duplicate, "busy_waits": st.busy_waits,
                "hold_s_last": round(st.last_hold_s, 4), "hold_s_p95": round(p95, 4),
                "hold_s_max": round(st.max_hold_s, 4), "last_error": st.last_error}
