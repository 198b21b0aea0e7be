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
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from evaltui.collect.known_ids import KnownIds
from evaltui.collect.spool import Spool, read_segment
from evaltui.errors import StoreBusy
from evaltui.ingest.otel import MappedBlock, MappedSpan
from evaltui.model import ScoreRow, SpanRow, parse_ts

if TYPE_CHECKING:
    from evaltui.store.db import FileHost

SOURCE = "otlp:serve"


_ARROW = b"\x00ARW"  # a spool record of Arrow IPC streams (older records are JSON: they start with "[")
_LEN = struct.Struct("<I")
_EXTRA = ("_trace_id", "_is_root")  # beside SPANS_ARROW_SCHEMA's columns: what the commit needs to link roots
MIN_BATCH = 2_000  # spans: below it a commit's fixed cost dominates


@dataclass
class Encoded:
    """One request's spans as a spool record, and the spans Arrow could not hold."""

    payload: bytes
    spans: int
    unstorable: list[str] = field(default_factory=list)


def encode_spans(spans: list[MappedSpan]) -> Encoded:
    """One spool record: the mapped spans of one request as Arrow (the columns the
    commit stages, so a commit does no work per span in Python). Roots within the
    request are resolved here; the rest is the commit's (in SQL, ``link_roots``)."""
    return encode_mapped(spans)


def encode_mapped(entries: Sequence[MappedSpan | MappedBlock]) -> Encoded:
    """``encode_spans`` of a request mapped by ``map_export_blocks``: its spans one by one
    and in blocks, in order. The same record as ``encode_spans`` of the same spans as
    MappedSpans: roots resolved over all of them (as ``resolve_roots``), the columns as
    ``BatchBuilder.add`` makes them, and a span whose values Arrow cannot hold dropped
    and reported (its root still counts for its trace's other spans)."""
    import pyarrow as pa

    from evaltui.ingest.writer import BatchBuilder, to_json
    from evaltui.store.spans import SPANS_ARROW_SCHEMA

    roots: dict[str, str] = {}
    for e in entries:
        if isinstance(e, MappedBlock):
            for trace_id, span_id, parent_id in zip(e.trace_id, e.id, e.parent_id):
                if parent_id is None:
                    roots.setdefault(trace_id, span_id)
        elif e.is_root:
            roots.setdefault(e.trace_id, e.row.id)
    builder, bad = BatchBuilder(), []
    columns = builder.spans
    in_order = [columns[f.name] for f in SPANS_ARROW_SCHEMA]
    trace_ids: list[str] = []
    is_roots: list[bool] = []
    for e in entries:
        if isinstance(e, MappedBlock):
            whole = _block_columns(e, roots)
            if whole is not None:  # the usual case: column by column
                for column, filled in zip(in_order, whole):
                    column.extend(filled)
                trace_ids.extend(e.trace_id)
                is_roots.extend([parent_id is None for parent_id in e.parent_id])
                continue
            for k in range(len(e)):  # a value that cannot be stored: row by row, to drop its span alone
                span_id, trace_id, parent_id = e.id[k], e.trace_id[k], e.parent_id[k]
                ts = e.ts[k]
                try:
                    values: tuple[Any, ...] = (
                        span_id,
                        span_id if parent_id is None else roots.get(trace_id, trace_id),
                        parent_id,
                        e.name[k],
                        e.span_type[k],
                        ts if isinstance(ts, datetime) and not ts.tzinfo else parse_ts(ts),
                        to_json(e.input[k]),
                        to_json(e.output[k]),
                        None,  # expected
                        e.error[k],
                        to_json(e.metadata[k] or {}),
                        [],  # tags
                        to_json(e.metrics[k] or {}),
                    )
                except (ValueError, TypeError, OverflowError) as exc:  # as BatchBuilder.add would fail
                    bad.append(f"span {span_id}: {exc}")
                    continue
                for column, value in zip(in_order, values):
                    column.append(value)
                trace_ids.append(trace_id)
                is_roots.append(parent_id is None)
            continue
        row = e.row
        row.root_id = row.id if e.is_root else roots.get(e.trace_id, e.trace_id)
        spans_before = len(columns["id"])
        scores_before = len(builder.scores["target_id"])
        try:
            builder.add(row)
        except (ValueError, TypeError, OverflowError) as exc:  # a value Arrow cannot hold: that span, not the request
            bad.append(f"span {row.id}: {exc}")
            for filled in columns.values():  # a failed add may have filled some columns: cut them back
                del filled[spans_before:]
            for filled in builder.scores.values():
                del filled[scores_before:]
            continue
        trace_ids.append(e.trace_id)
        is_roots.append(e.is_root)
    table, scores = builder.take()
    table = table.append_column("_trace_id", pa.array(trace_ids, pa.string()))
    table = table.append_column("_is_root", pa.array(is_roots, pa.bool_()))
    first, second = _ipc(table), _ipc(scores)
    return Encoded(_ARROW + _LEN.pack(len(first)) + first + second, len(trace_ids), bad)


def _block_columns(block: MappedBlock, roots: dict[str, str]) -> list[list[Any]] | None:
    """A block's span columns (in SPANS_ARROW_SCHEMA's order), as ``BatchBuilder.add``
    makes them row by row; None when a value cannot be stored (then row by row)."""
    dumps, option = orjson.dumps, orjson.OPT_NON_STR_KEYS
    if not all(type(ts) is datetime and ts.tzinfo is None for ts in block.ts):
        return None
    try:
        inputs = [None if v is None else dumps(v, option=option, default=str).decode() for v in block.input]
        outputs = [None if v is None else dumps(v, option=option, default=str).decode() for v in block.output]
        metadata = [dumps(v or {}, option=option, default=str).decode() for v in block.metadata]
        metrics = [dumps(v or {}, option=option, default=str).decode() for v in block.metrics]
    except (ValueError, TypeError, OverflowError):
        return None
    n = len(block)
    root_ids = [
        span_id if parent_id is None else roots.get(trace_id, trace_id)
        for span_id, trace_id, parent_id in zip(block.id, block.trace_id, block.parent_id)
    ]
    tags: list[list[str]] = [[] for _ in range(n)]
    expected: list[None] = [None] * n
    return [
        block.id,
        root_ids,
        block.parent_id,
        block.name,
        block.span_type,
        block.ts,
        inputs,
        outputs,
        expected,
        block.error,
        metadata,
        tags,
        metrics,
    ]


def _ipc(table: Any) -> bytes:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def decode_record(payload: bytes) -> tuple[Any, Any]:
    """(spans with _trace_id and _is_root, scores) Arrow tables of one spool record."""
    import pyarrow as pa

    if payload.startswith(_ARROW):
        (n,) = _LEN.unpack_from(payload, len(_ARROW))
        start = len(_ARROW) + _LEN.size
        buf = pa.py_buffer(payload)  # slices of it are views: the record is not copied
        return (
            pa.ipc.open_stream(buf.slice(start, n)).read_all(),
            pa.ipc.open_stream(buf.slice(start + n)).read_all(),
        )
    # A record of an earlier version (JSON rows), left in the spool by a crash: replayed the same way.
    spans = []
    for row, trace_id, is_root in orjson.loads(payload):
        row["scores"] = [ScoreRow(**sc) for sc in row.get("scores") or []]
        spans.append(MappedSpan(SpanRow(**row), trace_id, is_root))
    encoded = encode_spans(spans)
    return decode_record(encoded.payload)


def record_spans(payload: bytes) -> int:
    """How many spans a spool record holds, without decoding its columns (what the
    committer needs of a record it sends to its commit process as it is)."""
    import pyarrow as pa

    if payload.startswith(_ARROW):
        (n,) = _LEN.unpack_from(payload, len(_ARROW))
        reader = pa.ipc.open_stream(pa.py_buffer(payload).slice(len(_ARROW) + _LEN.size, n))
        return sum(batch.num_rows for batch in reader)
    return len(orjson.loads(payload))


def store_batch(
    db_path: str | os.PathLike[str],
    span_tables: list[Any],
    score_tables: list[Any],
    known: KnownIds | None = None,
    host: FileHost | None = None,
) -> tuple[int, int, float]:
    """Open the file, stage these spool records' tables, merge them in one transaction,
    close; returns (spans added, spans already stored, seconds the file was held).
    Raises StoreBusy when another process holds the file. ``known``: the stored ids this
    process knows of (``KnownIds``), which it keeps in step. ``host``: a kept in-memory
    connection to attach the file to for the commit, and to hash the batch on before
    (``store.db.FileHost``: the open and close of a DuckDB instance were a fixed 25-30 ms
    of CPU a commit); without one, the commit makes its own instances."""
    import pyarrow as pa

    from evaltui.store.db import FileHost, Store
    from evaltui.store.spans import create_stage, drop_stage, merge_stage, stage_arrow
    from evaltui.store.traces import ROOTS_ARROW_SCHEMA, link_roots, stage_roots

    # Everything but the database first, so the file is held only for the SQL.
    table = pa.concat_tables(span_tables)
    roots = table.filter(table.column("_is_root"))
    root_table = pa.table(
        {"trace_id": roots.column("_trace_id"), "root_id": roots.column("id")}, schema=ROOTS_ARROW_SCHEMA
    )
    spans = table.drop_columns(list(_EXTRA))
    scores = pa.concat_tables(score_tables)
    hasher = host if host is not None else FileHost()
    try:
        hashes, distinct = known.hashes(table, hasher) if known is not None else (None, False)
    finally:
        if hasher is not host:
            hasher.discard()
    held = time.monotonic()
    store = Store(db_path, lock_timeout=0, host=host)
    try:
        # (DuckDB on one thread spent a quarter less CPU per commit, but through the bench
        # the longest hold reached 1.0-1.1 s in 3 runs of 4, against 0.5-0.75 s on two
        # threads: over the readers' 1 s bar; bench/RESULTS.md, 2026-12-07.)
        new = False
        if known is not None:
            counts = known.row_counts(store)
            if counts != known.counts:  # the first commit, or another process ingested spans
                known.drop()
                known.read(store)
                known.counts = counts
            new = distinct and not known.any_known(hashes)
        create_stage(store, fresh=True)
        stage_arrow(store, spans, scores if scores.num_rows else None)
        stage_roots(store, root_table)
        has_scores = scores.num_rows > 0
        result = merge_stage(
            store,
            SOURCE,
            prepare=lambda st: link_roots(st, scores=has_scores, new_traces=new),
            new=spans.num_rows if new else None,
        )
        if known is not None:
            if new:
                known.proved += 1
                assert known.counts is not None
                after = (known.counts[0] + result.spans_added, known.counts[1] + roots.num_rows)
            else:
                after = known.row_counts(store)
            known.add(hashes, after)
        # The stage is not dropped yet: the connection closes now, or (a host's) drops it
        # after the file is let go.
    except BaseException:
        if known is not None:
            known.drop()
        raise
    finally:
        try:
            store.close()
        finally:
            hold = time.monotonic() - held
            if host is not None and host.owns(store):
                try:
                    drop_stage(store)
                except Exception:
                    host.discard()
    return result.spans_added, result.spans_already_present, hold


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc; 0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CommitProcess:
    """The commits' SQL in a child process (``python -m evaltui.collect.committer DB``).

    In `serve`'s own process a commit's statements competed for the interpreter lock with
    the threads decoding requests, so either the receivers waited while the file was held
    (half of the time, on a busy server) or the holds grew. In a child, the receivers
    decode on one core while the commit runs on the other. The child is sent the spool
    records of a batch (their bytes, as spooled) and answers one JSON line; it dies with
    `serve` (PR_SET_PDEATHSIG). A child that died is started again at the next commit;
    the batch it had stays spooled.
    """

    def __init__(self, db_path: str | os.PathLike[str]) -> None:
        self.db_path = str(db_path)
        self._proc: Any = None
        self.pid: int | None = None

    def _start(self) -> Any:
        import subprocess
        import sys

        from evaltui.collect.work import _die_with_parent

        self._proc = subprocess.Popen(
            [sys.executable, "-m", "evaltui.collect.committer", self.db_path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
        self.pid = self._proc.pid
        return self._proc

    def commit(self, payloads: list[bytes]) -> tuple[int, int, float]:
        proc = self._proc if self._proc is not None and self._proc.poll() is None else self._start()
        message = [_LEN.pack(len(payloads))]
        for p in payloads:
            message += [_LEN.pack(len(p)), p]
        try:
            proc.stdin.write(b"".join(message))
            proc.stdin.flush()
            line = proc.stdout.readline()
        except OSError as exc:
            line = b""
            err = f"{type(exc).__name__}: {exc}"
        else:
            err = "the commit process exited"
        if not line:
            self.stop()
            raise RuntimeError(err)
        reply = orjson.loads(line)
        if reply.get("busy"):
            raise StoreBusy(reply["busy"])
        if reply.get("error"):
            raise RuntimeError(reply["error"])
        return int(reply["added"]), int(reply["present"]), float(reply["hold"])

    def cpu_seconds(self) -> float:
        """User + system CPU of the child so far (0 when not running)."""
        return process_cpu_seconds(self.pid) if self.pid is not None else 0.0

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(30)
        except Exception:
            proc.kill()
            proc.wait()


def _serve_commits(db_path: str) -> None:
    """The child's loop: a batch in (record count, then each record length-prefixed), one
    JSON line out: {"added", "present", "hold"}, {"busy": reason} or {"error": reason}."""
    import sys

    inp = sys.stdin.buffer
    # The replies get their own copy of stdout; anything else printed goes to stderr, so
    # it cannot be taken for a reply.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)

    def exactly(n: int) -> bytes:
        data = inp.read(n)
        if len(data) < n:
            raise EOFError
        return data

    from evaltui.store.db import FileHost

    known, host = KnownIds(), FileHost()
    while True:
        try:
            (count,) = _LEN.unpack(exactly(_LEN.size))
            payloads = [exactly(_LEN.unpack(exactly(_LEN.size))[0]) for _ in range(count)]
        except EOFError:
            return
        reply: dict[str, Any]
        try:
            tables = [decode_record(p) for p in payloads]
            added, present, hold = store_batch(db_path, [t[0] for t in tables], [t[1] for t in tables], known, host)
            reply = {"added": added, "present": present, "hold": hold}
        except StoreBusy as exc:
            reply = {"busy": str(exc)}
        except Exception as exc:
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        out.write(orjson.dumps(reply) + b"\n")
        out.flush()


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
    last_hold_s: float = 0.0  # the file held for the last commit
    max_hold_s: float = 0.0
    last_error: str | None = None
    holds: list[float] = field(default_factory=list, repr=False)


class Committer:
    """Commits sealed spool segments to the database at ``db_path``, oldest first."""

    def __init__(
        self,
        db_path: str | os.PathLike[str],
        spool: Spool,
        *,
        interval: float = 0.5,
        max_batch: int = 20_000,
        target_hold: float = 0.3,
        on_commit: Callable[[int], None] | None = None,
        turns: FileTurns | None = None,
        process: bool = False,
    ) -> None:
        self.db_path = db_path
        self._process = CommitProcess(db_path) if process else None
        self.known = KnownIds()  # in-process commits' (a commit process keeps its own)
        from evaltui.store.db import FileHost

        self.host = FileHost()  # the connection in-process commits attach the file to
        self.spool = spool
        self.interval = interval
        self.max_batch = max_batch
        self.on_commit = on_commit
        self.turns = turns or FileTurns()
        self.stats = CommitStats()
        self.batch_limit = min(5_000, max_batch)  # spans per commit: adapted so a commit holds the file ~target_hold
        self.target_hold = target_hold
        self._fixed = float("inf")  # a commit's fixed hold, estimated
        # Held while the file is: the receiver waits on it before mapping a request, so the
        # commit's statements do not queue for the GIL behind decoding threads and the file
        # is let go sooner (requests wait instead). Measured both ways on 2026-12-06: without
        # it holds were longer, more requests got 503, and fewer spans/s were stored.
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
        try:
            while self.spool.pending_bytes and time.monotonic() < deadline:
                try:
                    self.commit_once()
                except StoreBusy:
                    time.sleep(0.05)
        finally:
            self.close()

    def close(self) -> None:
        """End the commit process, if any (it finishes the batch it was sent first)."""
        if self._process is not None:
            self._process.stop()
        self.host.discard()

    def commit_once(self) -> int:
        """Commit the oldest spooled records, up to ``batch_limit`` spans (at least one
        record); returns the new spans stored. Raises StoreBusy when another process
        holds the file (nothing is lost: the records wait)."""
        segments = self.spool.seal()
        spans: list[Any] = []
        scores: list[Any] = []
        taken = 0
        payloads: list[bytes] = []  # the records as spooled: what a commit process is sent
        progress: list[tuple[Path, int, bool]] = []  # segment, records taken up to, whole
        for segment in segments:
            records = list(read_segment(segment))
            end = self._cursor.get(segment, 0)
            while end < len(records) and (taken < self.batch_limit or not taken):
                if self._process is not None:  # sent as spooled: the child decodes it, once
                    taken += record_spans(records[end])
                    payloads.append(records[end])
                else:
                    table, score_table = decode_record(records[end])
                    spans.append(table)
                    scores.append(score_table)
                    taken += table.num_rows
                end += 1
            progress.append((segment, end, end == len(records)))
            if taken >= self.batch_limit:
                break
        added = self._commit(spans, scores, taken, payloads) if taken else 0
        self.spool.committed(taken)
        for segment, end, whole in progress:  # committed: only now may the spool let go
            if whole:
                self.spool.delete(segment)
                self._cursor.pop(segment, None)
            else:  # a crash now replays the segment from its start: the store keeps one copy
                self._cursor[segment] = end
        if self.on_commit and added:
            self.on_commit(added)
        return added

    def _commit(self, span_tables: list[Any], score_tables: list[Any], taken: int, payloads: list[bytes]) -> int:
        if self._process is not None:
            with self.turns.turn():  # the gap after another thread's hold first; receivers go on meanwhile
                added, present, hold = self._process.commit(payloads)
        else:
            with self.turns.turn(), self.holding:  # the gap after another thread's hold first, then the file
                added, present, hold = store_batch(self.db_path, span_tables, score_tables, self.known, self.host)
        st = self.stats
        st.commits += 1
        st.spans_committed += added
        st.spans_duplicate += present
        st.last_hold_s, st.max_hold_s = hold, max(st.max_hold_s, hold)
        st.holds.append(hold)
        del st.holds[:-1000]
        self._size_next(taken, hold)
        return added

    def _size_next(self, taken: int, hold: float) -> None:
        """Size the next batch to hold the file about ``target_hold``. A commit's hold is
        mostly fixed (open, a dozen statements, close with its checkpoint) plus a little
        per span, so the model is linear: the fixed part is the shortest recent hold
        (allowed to creep up 5% a commit, so a busier machine is followed)."""
        self._fixed = min(hold, self._fixed * 1.05)
        per_span = max((hold - self._fixed) / max(taken, 1), 1e-6)
        fits = int(max(self.target_hold - self._fixed, 0.5 * self.target_hold) / per_span)
        if taken >= self.batch_limit:  # a full batch: grow (by a quarter at most: holds are noisy) or shrink to fit
            self.batch_limit = max(MIN_BATCH, min(self.max_batch, fits, int(1.25 * self.batch_limit)))
        elif hold > self.target_hold:
            self.batch_limit = max(MIN_BATCH, min(self.batch_limit, fits))

    def backlog_limit(self) -> int:
        """Spans waiting in the spool beyond which the receiver says it is behind: about
        three commits' worth, so a new conversation reaches the database within a few
        seconds however long the load lasts."""
        return max(10_000, 3 * self.batch_limit)

    def snapshot(self) -> dict[str, Any]:
        st = self.stats
        holds = sorted(st.holds)
        p95 = holds[int(0.95 * (len(holds) - 1))] if holds else 0.0
        return {
            "commits": st.commits,
            "spans_committed": st.spans_committed,
            "spans_duplicate": st.spans_duplicate,
            "busy_waits": st.busy_waits,
            "hold_s_last": round(st.last_hold_s, 4),
            "hold_s_p95": round(p95, 4),
            "hold_s_max": round(st.max_hold_s, 4),
            "batch_limit": self.batch_limit,
            "commit_process_cpu_s": round(self._process.cpu_seconds(), 2) if self._process is not None else None,
            "last_error": st.last_error,
        }


if __name__ == "__main__":
    import sys

    _serve_commits(sys.argv[1])
