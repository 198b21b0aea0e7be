"""Work as logs arrive: after each commit, `serve` files new conversations under the
active topic map and runs the stored online scoring rules (docs/live-capture.md).

It runs in its own thread, woken by the committer, never on the receive path: a 2xx
does not wait for it. It opens the file only for short steps (read a page of pending
turns with its cached replies, then write the scores and cache entries) and never
while a judge call is in flight, so other processes keep their turns on the file.
Nothing is remembered between runs: the pending queries (conversations not in the map,
turns this scorer version has not scored) are the state, so a restart picks up what
was committed but not yet filed or scored, and each is done once. A failed judgement
is counted, logged and retried on a later pass; it never stops serving.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from dataclasses import dataclass
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

from evaltui.collect.committer import FileTurns
from evaltui.errors import StoreBusy

log = logging.getLogger("evaltui.serve")

PAGE = 64  # turns judged between two short holds of the file
FILE_CHUNK = 64  # conversations filed (embedded, placed) in one hold: a fraction of a second


@dataclass
class WorkStats:
    passes: int = 0
    conversations_filed: int = 0  # placed in the active map (assigned or left unassigned)
    turns_scored: int = 0
    score_failures: int = 0  # judgements that failed (retried on a later pass)
    work_errors: int = 0  # a pass that failed as a whole (e.g. a rule naming an unknown scorer)
    last_error: str | None = None


class Worker:
    """Files and scores what the committer has committed, in its own thread."""

    def __init__(self, db_path: str | os.PathLike[str], *, retry_seconds: float = 5.0,
                 concurrency: int | None = None, turns: FileTurns | None = None) -> None:
        self.db_path = db_path
        self.turns = turns or FileTurns()
        self.retry_seconds = retry_seconds
        self.concurrency = concurrency
        self.stats = WorkStats()
        self.wake = threading.Event()
        self.wake.set()  # a first pass at start: what an earlier run committed but did not finish
        self._lock = threading.Lock()
        self._no_score: dict[str, set[str]] = {}

    def committed(self, added: int) -> None:
        """The committer's hook: new spans are in the database."""
        self.wake.set()

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.wake.wait(0.5)
            if stop.is_set():
                break
            if not self.wake.is_set():
                continue
            self.wake.clear()
            failed = False
            try:
                failed = self.run_once(stop)
            except StoreBusy:  # another process's turn
                self.wake.set()
                stop.wait(0.1)
                continue
            except Exception as exc:  # reported, never the end of serving
                with self._lock:
                    self.stats.work_errors += 1
                    self.stats.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("serve: filing/scoring pass failed: %s", self.stats.last_error)
                failed = True
            if failed and not stop.wait(self.retry_seconds):
                self.wake.set()

    @contextmanager
    def _held(self) -> Iterator[Any]:
        """The file for one short step, in this process's turn (FileTurns)."""
        from evaltui.store.db import Store

        with self.turns.turn():
            store = Store(self.db_path, lock_timeout=1.0)
            try:
                yield store
            finally:
                store.close()

    def run_once(self, stop: threading.Event | None = None) -> bool:
        """One pass: file, then score. Returns True when something failed (retry later)."""
        from evaltui.store.scoring import list_rules
        from evaltui.topics.assign import assign_new_spans

        from evaltui.store import topics as topic_store

        with self._held() as store:
            current = topic_store.active_map(store) if topic_store.has_active_map(store) else None
            rules = list_rules(store)
        if current is not None:
            from evaltui.topics.embed import load_model

            load_model(current["model"])  # loaded before a turn on the file, never during it
        while current is not None and not (stop is not None and stop.is_set()):  # a chunk per turn
            with self._held() as store:
                placed = assign_new_spans(store, limit=FILE_CHUNK)
            if placed is None or placed.conversations == 0:
                break
            with self._lock:
                self.stats.conversations_filed += placed.conversations
        with self._lock:
            self.stats.passes += 1
        failed = False
        for rule in rules:
            if stop is not None and stop.is_set():
                break
            failed |= self._score_rule(rule, stop)
        return failed

    def _score_rule(self, rule: Any, stop: threading.Event | None) -> bool:
        from evaltui.config import get_settings
        from evaltui.scoring.online import rule_specs

        workers = self.concurrency or get_settings().llm_concurrency
        with self._held() as store:
            specs = rule_specs(store, rule, concurrency=workers)
        failed = False
        for spec in specs:
            try:
                failed |= asyncio.run(self._score_spec(spec, rule, workers, stop))
            finally:
                if spec.client is not None:
                    spec.client.cache = None
                asyncio.run(spec.aclose())
        return failed

    async def _score_spec(self, spec: Any, rule: Any, workers: int, stop: threading.Event | None) -> bool:
        from evaltui.scoring.online import ScoringReport, _record
        from evaltui.scoring.protocol import ScorerError
        from evaltui.store.scoring import PendingQuery, write_scores

        scope = spec.scope if rule.scope in ("auto", "", None) else rule.scope
        query = PendingQuery(rule.filter, scope, spec.key, spec.version, rule.sample_rate)
        limit = asyncio.Semaphore(workers)
        after = None
        failed = False
        while not (stop is not None and stop.is_set()):
            with self._held() as store:  # a short hold: the page, and its cached replies into memory
                page = query.page(store.con, after, PAGE)
                if page:
                    spec.bind(store)
                    cache = spec.client.cache if spec.client is not None else None
                    if cache is not None:
                        cache.flush_every = 1 << 30  # nothing written while the file is let go
                    prefetch = getattr(spec.fn, "prefetch", None)
                    if prefetch is not None:
                        prefetch(page)
            if not page:
                break
            after = (page[-1]["ts"], page[-1]["id"])
            report = ScoringReport(spec.name, spec.version, scope)
            writes: list[Any] = []
            skip: set[str] = set()

            no_score = self._no_score.setdefault(spec.spec, set())
            page = [p for p in page if p["id"] not in no_score]
            async for span, outcome in _judge(spec, page, limit):
                _record(spec, span, outcome, report, writes, skip)
                if not isinstance(outcome, ScorerError) and not outcome:
                    no_score.add(span["id"])  # the scorer has nothing to say: not asked again
            with self._held() as store:  # a short hold: the scores and the new cache entries
                write_scores(store, writes)
                if spec.client is not None and spec.client.cache is not None:
                    spec.client.cache.con = store.con
                    spec.client.cache.flush()
            with self._lock:
                self.stats.turns_scored += report.scored
                self.stats.score_failures += report.errors
                if report.errors:
                    self.stats.last_error = f"{spec.name}: {report.error_samples[0][1]}"
            if report.errors:
                failed = True
                log.warning("serve: rule %s: %d judgements failed (retried later); first: %s",
                            rule.name, report.errors, report.error_samples[0][1])
        return failed

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            st = self.stats
            return {"conversations_filed": st.conversations_filed, "turns_scored": st.turns_scored,
                    "score_failures": st.score_failures, "work_passes": st.passes,
                    "work_errors": st.work_errors, "work_last_error": st.last_error}


async def _judge(spec: Any, page: list[dict[str, Any]], limit: asyncio.Semaphore) -> AsyncIterator[tuple[dict[str, Any], Any]]:
    """(span, Scores or a ScorerError) as each arrives, the file not held (the page's
    cached replies were loaded before)."""
    from evaltui.scoring.online import _score_page
    from evaltui.scoring.protocol import ScorerError, run_scorer

    if getattr(spec.fn, "score_batch", None) is not None:
        async for pair in _score_page(spec, page, limit):
            yield pair
        return

    async def one(span: dict[str, Any]) -> tuple[dict[str, Any], Any]:
        async with limit:
            try:
                return span, await run_scorer(spec.fn, input=span["input"], output=span["output"],
                                              expected=span["expected"], metadata=span["metadata"])
            except ScorerError as exc:
                return span, exc

    tasks = [asyncio.ensure_future(one(span)) for span in page]
    try:
        for arrived in asyncio.as_completed(tasks):
            yield await arrived
    finally:
        for task in tasks:
            task.cancel()


class WorkerProcess:
    """The worker in a child process of `serve`, at a lower priority: its imports (torch for
    the embedding model) and its embedding never take the receiver's interpreter lock or
    its core first. It is woken by a line on its stdin after each commit and reports its
    counters as JSON lines on its stdout; it takes turns on the file like any other process."""

    def __init__(self, db_path: str | os.PathLike[str], *, retry_seconds: float = 5.0) -> None:
        self.db_path = str(db_path)
        self.retry_seconds = retry_seconds
        self.latest: dict[str, Any] = {"conversations_filed": 0, "turns_scored": 0, "score_failures": 0,
                                       "work_passes": 0, "work_errors": 0, "work_last_error": None}
        self._proc: Any = None
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None

    def start(self) -> None:
        import subprocess
        import sys

        self._proc = subprocess.Popen([sys.executable, "-m", "evaltui.collect.work", self.db_path,
                                       str(self.retry_seconds)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        import orjson

        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            try:
                self.latest = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue

    def committed(self, added: int) -> None:
        with self._lock:
            proc = self._proc
            if proc is None or proc.poll() is not None or proc.stdin is None:
                return
            try:
                proc.stdin.write(b"\n")
                proc.stdin.flush()
            except (BrokenPipeError, ValueError, OSError):
                pass

    def stop(self, timeout: float = 30.0) -> None:
        """Let the worker finish its step (its stdin closed), then end it."""
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout)
        except Exception:
            proc.kill()
            proc.wait()
        if self._reader is not None:
            self._reader.join(5)

    def snapshot(self) -> dict[str, Any]:
        return dict(self.latest)


def main(argv: list[str] | None = None) -> None:
    """The child process: ``python -m evaltui.collect.work DB RETRY_SECONDS``."""
    import sys

    import orjson

    args = argv if argv is not None else sys.argv[1:]
    try:
        os.nice(10)  # the receiver first
    except OSError:
        pass
    worker = Worker(args[0], retry_seconds=float(args[1]))
    stop = threading.Event()

    def wakes() -> None:
        for _ in sys.stdin.buffer:
            worker.wake.set()
        stop.set()  # stdin closed: serve is stopping
        worker.wake.set()

    def report() -> None:
        last = None
        while True:
            snap = worker.snapshot()
            if snap != last:
                sys.stdout.buffer.write(orjson.dumps(snap) + b"\n")
                sys.stdout.buffer.flush()
                last = snap
            if stop.wait(0.1):
                sys.stdout.buffer.write(orjson.dumps(worker.snapshot()) + b"\n")
                sys.stdout.buffer.flush()
                return

    threading.Thread(target=wakes, daemon=True).start()
    reporter = threading.Thread(target=report)
    reporter.start()
    worker.run(stop)
    stop.set()
    reporter.join()


if __name__ == "__main__":
    main()
