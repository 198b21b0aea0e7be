"""Moving spooled spans into the database in short batches, letting go of the file
between them (docs/live-capture.md).

DuckDB lets one process hold the file read-write and then no other may open it, even
read-only. The committer therefore opens the file only to commit a batch (every
``interval`` seconds) and closes it at once, so the app, `evaltui stats`, a label or an
eval in another process take their turn in between. A batch is sized from the last
commits so that it holds the file about ``target_hold`` seconds (at most ``max_batch``
spans); when behind, it commits again after leaving the file free at least as long as
it held it (and 0.15 s), so a reader retrying every 0.1 s always gets in.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


class FileTurns:
    """Turns on the file for this process's threads (the committer, the online worker).

    Threads of one process share DuckDB's instance, so their holds would join into one
    long hold that shuts other processes out. One hold at a time, and after each the
    file stays free at least as long as it was held (and ``min_gap`` s), so a reader
    in another process retrying every 0.1 s always gets in between.
    """

    def __init__(self, min_gap: float = 0.15) -> None:
        self.min_gap = min_gap
        self._lock = threading.Lock()
        self._free_from = 0.0

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self._lock:
            wait = self._free_from - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            held = time.monotonic()
            try:
                yield
            finally:
                hold = time.monotonic() - held
                self._free_from = time.monotonic() + max(self.min_gap, hold)


@dataclass
class CommitStats:
    commits: int = 0
    spans_committed: int = 0  # new spans stored
    spans_duplicate: int = 0  # already stored (an exporter's retry, a replay): kept once
    busy_waits: int = 0  # turns another process held the file
    spans_unstorable: int = 0  # acknowledged but refused by the Arrow batch (reported, never retried forever)
    last_hold_s: float = 0.0  # the file held for the last commit
    max_hold_s: float = 0.0
    last_error: str | None = None
    holds: list[float] = field(default_factory=list, repr=False)


class Committer:
    """Commits sealed spool segments to the database at ``db_path``, oldest first."""

    def __init__(self, db_path: str | os.PathLike[str], spool: Spool, *, interval: float = 0.5,
                 max_batch: int = 20_000, target_hold: float = 0.2, on_commit: Callable[[int], None] | None = None,
                 turns: FileTurns | None = None) -> None:
        self.db_path = db_path
        self.spool = spool
        self.interval = interval
        self.max_batch = max_batch
        self.on_commit = on_commit
        self.turns = turns or FileTurns()
        self.stats = CommitStats()
        self.batch_limit = min(2_000, max_batch)  # spans per commit: adapted so a commit holds the file ~target_hold
        self.target_hold = target_hold
        # Held while the file is: the receiver waits on it before mapping a request, so the
        # commit's Python steps do not queue for the GIL behind decoding threads and the
        # file is let go sooner (requests wait instead, a fraction of a second).
        self.holding = threading.Lock()
        self._cursor: dict[Path, int] = {}  # records already committed of a partly committed segment

    def run(self, stop: threading.Event, drain_seconds: float = 30.0) -> None:
        """Commit until ``stop`` is set, then commit what is left (for up to ``drain_seconds``)."""
        while not stop.is_set():
            started = time.monotonic()
            wait = self.interval
            try:
                self.commit_once()
                if self._cursor or self.spool.sealed_count() > 0:
                    # Behind: commit again soon, but leave the file free at least as long
                    # as it was held, so readers always get their turn.
                    wait = max(0.15, self.stats.last_hold_s)
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
        """Commit the oldest spooled records, up to ``batch_limit`` spans (at least one
        record); returns the new spans stored. Raises StoreBusy when another process
        holds the file (nothing is lost: the records wait)."""
        segments = self.spool.seal()
        batch: list[MappedSpan] = []
        progress: list[tuple[Path, int, bool]] = []  # segment, records taken up to, whole
        for segment in segments:
            records = list(read_segment(segment))
            end = self._cursor.get(segment, 0)
            while end < len(records) and (len(batch) < self.batch_limit or not batch):
                batch.extend(decode_spans(records[end]))
                end += 1
            progress.append((segment, end, end == len(records)))
            if len(batch) >= self.batch_limit:
                break
        added = self._commit(batch) if batch else 0
        self.spool.committed(len(batch))
        for segment, end, whole in progress:  # committed: only now may the spool let go
            if whole:
                self.spool.delete(segment)
                self._cursor.pop(segment, None)
            else:  # a crash now replays the segment from its start: the store keeps one copy
                self._cursor[segment] = end
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
            try:
                builder.add(s.row)
            except (ValueError, TypeError) as exc:  # a value Arrow cannot hold: skip that span, not the batch
                self.stats.spans_unstorable += 1
                self.stats.last_error = f"span {s.row.id}: {exc}"
        spans, scores = builder.take()
        root_table = pa.Table.from_pydict({"trace_id": list(roots), "root_id": list(roots.values())},
                                          schema=ROOTS_ARROW_SCHEMA)
        with self.turns.turn(), self.holding:  # the gap after another thread's hold first, then the file
            held = time.monotonic()
            store = Store(self.db_path, lock_timeout=0)
            try:
                create_stage(store)
                stage_arrow(store, spans, scores)
                stage_roots(store.con, root_table)
                result = merge_stage(store, SOURCE, prepare=link_roots)
                drop_stage(store)
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
        if len(batch) >= self.batch_limit:  # a full batch: size the next one to hold the file ~target_hold
            scaled = int(len(batch) * self.target_hold / max(hold, 1e-3))
            self.batch_limit = max(500, min(self.max_batch, scaled, 2 * self.batch_limit))
        elif hold > self.target_hold:
            self.batch_limit = max(500, int(len(batch) * self.target_hold / hold))
        return result.spans_added

    def backlog_limit(self) -> int:
        """Spans waiting in the spool beyond which the receiver says it is behind: about
        three commits' worth, so a new conversation reaches the database within a few
        seconds however long the load lasts."""
        return max(5_000, 3 * self.batch_limit)

    def snapshot(self) -> dict[str, Any]:
        st = self.stats
        holds = sorted(st.holds)
        p95 = holds[int(0.95 * (len(holds) - 1))] if holds else 0.0
        return {"commits": st.commits, "spans_committed": st.spans_committed,
                "spans_duplicate": st.spans_duplicate, "busy_waits": st.busy_waits,
                "spans_unstorable": st.spans_unstorable,
                "hold_s_last": round(st.last_hold_s, 4), "hold_s_p95": round(p95, 4),
                "hold_s_max": round(st.max_hold_s, 4), "last_error": st.last_error}
