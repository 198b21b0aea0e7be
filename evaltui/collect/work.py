"""Work as logs arrive: after each commit, `serve` files new conversations under the
active topic map and runs the stored online scoring rules (docs/live-capture.md).

It runs in a child process of `serve` (at a lower priority), woken after commits, never
on the receive path: a 2xx does not wait for it. It touches the file only in turns that
`serve` grants (``TurnGate``): one short step per turn (file a chunk of conversations
sized to hold the file ~0.25 s; read a page of pending turns with its cached replies;
write a page's scores and cache entries), never while a judge call is in flight. The
gate grants a turn at once when the committer has nothing waiting, and otherwise only
after the committer has had the file for ``(1 - share) / share`` times the worker's last
turn, so under sustained load the work takes at most ``share`` (default 0.1) of the
file's time and its steps still advance; its progress shows in ``GET /status``.
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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from evaltui.collect.committer import FileTurns
from evaltui.errors import StoreBusy

if TYPE_CHECKING:
    from evaltui.store.db import Store

log = logging.getLogger("evaltui.serve")

PAGE = 64  # turns judged between two short holds of the file
FILE_CHUNK = 16  # conversations filed (embedded, placed) in a first turn; then sized to hold ~FILE_HOLD
FILE_CHUNK_MAX = 256
FILE_HOLD = 0.25  # seconds a filing turn aims to hold the file
PASS_GAP = 1.0  # seconds at least between the starts of two passes (at most one pass a second)


class Stopping(Exception):
    """`serve` is stopping: no more turns on the file."""


@dataclass
class WorkStats:
    passes: int = 0
    conversations_filed: int = 0  # placed in the active map (assigned or left unassigned)
    turns_scored: int = 0
    score_failures: int = 0  # judgements that failed (retried on a later pass)
    work_errors: int = 0  # a pass that failed as a whole (e.g. a rule naming an unknown scorer)
    last_error: str | None = None
    state: str = "starting"  # idle, loading model, waiting (for a turn on the file), filing, scoring, working
    last_pass_s: float = 0.0  # how long the last finished pass took


class Worker:
    """Files and scores what the committer has committed, in its own thread."""

    def __init__(
        self,
        db_path: str | os.PathLike[str],
        *,
        retry_seconds: float = 5.0,
        concurrency: int | None = None,
        turns: Any = None,
    ) -> None:
        self.db_path = db_path
        self.turns = turns or FileTurns()  # or the child's GrantedTurns
        self.retry_seconds = retry_seconds
        self.concurrency = concurrency
        self.stats = WorkStats()
        self.wake = threading.Event()
        self.wake.set()  # a first pass at start: what an earlier run committed but did not finish
        self._lock = threading.Lock()
        self._no_score: dict[str, set[str]] = {}
        self._chunk = FILE_CHUNK

    def _state(self, state: str) -> None:
        with self._lock:
            self.stats.state = state

    def committed(self, added: int) -> None:
        """The committer's hook: new spans are in the database."""
        self.wake.set()

    def run(self, stop: threading.Event) -> None:
        import time

        last_start = -PASS_GAP
        while not stop.is_set():
            self._state("idle")
            self.wake.wait(0.5)
            if stop.is_set():
                break
            if not self.wake.is_set():
                continue
            if stop.wait(max(0.0, last_start + PASS_GAP - time.monotonic())):  # at most a pass a second
                break
            self.wake.clear()
            last_start = time.monotonic()
            failed = False
            try:
                failed = self.run_once(stop)
                with self._lock:
                    self.stats.last_pass_s = round(time.monotonic() - last_start, 3)
            except Stopping:
                break
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
    def _held(self, state: str = "") -> Iterator[Store]:
        """The file for one short step, in a turn granted by ``self.turns``."""
        from evaltui.store.db import Store

        self._state("waiting")
        with self.turns.turn():
            if state:
                self._state(state)
            store = Store(self.db_path, lock_timeout=1.0)
            try:
                yield store
            finally:
                store.close()
                self._state("working")  # between turns: embedding done, judges called without the file

    def run_once(self, stop: threading.Event | None = None) -> bool:
        """One pass: file, then score. Returns True when something failed (retry later)."""
        from evaltui.store.scoring import list_rules
        from evaltui.topics.assign import assign_new_spans

        from evaltui.store import topics as topic_store

        import time

        with self._held() as store:
            current = topic_store.active_map(store) if topic_store.has_active_map(store) else None
            rules = list_rules(store)
        if current is not None:
            from evaltui.topics.embed import load_model

            self._state("loading model")
            load_model(current["model"])  # loaded before a turn on the file, never during it
        while current is not None and not (stop is not None and stop.is_set()):  # a chunk per turn
            with self._held("filing") as store:
                started = time.monotonic()
                placed = assign_new_spans(store, limit=self._chunk)
                hold = time.monotonic() - started
            if placed is None or placed.conversations == 0:
                break
            with self._lock:
                self.stats.conversations_filed += placed.conversations
            if placed.conversations >= self._chunk:  # a full chunk: size the next to hold ~FILE_HOLD
                scaled = int(self._chunk * FILE_HOLD / max(hold, 1e-3))
                self._chunk = max(4, min(FILE_CHUNK_MAX, scaled, 2 * self._chunk))
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
        with self._held("scoring") as store:
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
        from evaltui.scoring.online import ScoringReport, _record, read_page, score_page, write_page
        from evaltui.scoring.protocol import ScorerError
        from evaltui.store.scoring import PendingQuery

        scope = spec.scope if rule.scope in ("auto", "", None) else rule.scope
        query = PendingQuery(rule.filter, scope, spec.key, spec.version, rule.sample_rate)
        limit = asyncio.Semaphore(workers)
        after = None
        failed = False
        no_score = self._no_score.setdefault(spec.spec, set())
        while not (stop is not None and stop.is_set()):
            with self._held("scoring") as store:  # a short hold: the page, and its cached replies into memory
                page = read_page(store, spec, query, after, PAGE, no_score)
            if page is None:
                break
            after = page.after
            report = ScoringReport(spec.name, spec.version, scope)
            writes: list[Any] = []
            skip: set[str] = set()
            async for span, outcome in score_page(spec, page.spans, limit, prefetch=False):
                _record(spec, span, outcome, report, writes, skip)
                if not isinstance(outcome, ScorerError) and not outcome:
                    no_score.add(span["id"])  # the scorer has nothing to say: not asked again
            with self._held("scoring") as store:  # a short hold: the scores and the new cache entries
                write_page(store, spec, writes)
            with self._lock:
                self.stats.turns_scored += report.scored
                self.stats.score_failures += report.errors
                if report.errors:
                    self.stats.last_error = f"{spec.name}: {report.error_samples[0][1]}"
            if report.errors:
                failed = True
                log.warning(
                    "serve: rule %s: %d judgements failed (retried later); first: %s",
                    rule.name,
                    report.errors,
                    report.error_samples[0][1],
                )
        return failed

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            st = self.stats
            return {
                "conversations_filed": st.conversations_filed,
                "turns_scored": st.turns_scored,
                "score_failures": st.score_failures,
                "work_passes": st.passes,
                "work_errors": st.work_errors,
                "work_last_error": st.last_error,
                "work_state": st.state,
                "work_last_pass_s": st.last_pass_s,
            }


class GrantedTurns:
    """The child's side of the gate: a turn on the file is asked for on stdout
    (``{"t": "want"}``) and starts when `serve` answers ``g`` on stdin; its end is
    reported (``{"t": "done"}``). One turn at a time."""

    def __init__(self, send: Any, stop: threading.Event) -> None:
        self._send = send
        self._stop = stop
        self._go = threading.Event()
        self._lock = threading.Lock()

    def granted(self) -> None:
        self._go.set()

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self._lock:
            self._go.clear()
            self._send({"t": "want"})
            while not self._go.wait(0.2):
                if self._stop.is_set():
                    raise Stopping
            try:
                yield
            finally:
                self._send({"t": "done"})


class WorkerProcess:
    """The worker in a child process of `serve`, at a lower priority: its imports (torch for
    the embedding model) and its embedding never take the receiver's interpreter lock or
    its core first. It is woken by a line on its stdin after each commit, asks for each
    turn on the file and gets it from this process's gate (see the module's docstring),
    in the same queue (``FileTurns``) as the committer's commits; it reports its counters
    as JSON lines on its stdout."""

    def __init__(
        self,
        db_path: str | os.PathLike[str],
        *,
        retry_seconds: float = 5.0,
        turns: FileTurns | None = None,
        behind: Any = None,
        share: float = 0.1,
    ) -> None:
        self.db_path = str(db_path)
        self.retry_seconds = retry_seconds
        self.turns = turns or FileTurns()
        self.behind = behind or (lambda: False)  # the committer has spans waiting
        self.share = min(1.0, max(0.01, share))
        self.latest: dict[str, Any] = {
            "conversations_filed": 0,
            "turns_scored": 0,
            "score_failures": 0,
            "work_passes": 0,
            "work_errors": 0,
            "work_last_error": None,
            "work_state": "starting",
            "work_last_pass_s": 0.0,
        }
        self.turns_granted = 0
        self.hold_s = 0.0  # the file held in the worker's turns, in all
        self.wait_s = 0.0  # the worker waited for a turn (the committer first), in all
        self._proc: Any = None
        self._lock = threading.Lock()
        self._want = threading.Event()
        self._done = threading.Event()
        self._stopping = threading.Event()
        self._next_allowed = 0.0
        self._threads: list[threading.Thread] = []
        self._io = threading.Lock()  # writes to the child's stdin
        self._running = True  # not paused by the governor
        self._in_turn = False  # the child holds a granted turn on the file
        self.paused_s = 0.0  # the child was paused (the committer behind), in all

    def start(self) -> None:
        import subprocess
        import sys

        env = dict(os.environ)
        for key in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # one core for embedding: the other is the receiver's
            env.setdefault(key, "1")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "evaltui.collect.work", self.db_path, str(self.retry_seconds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            preexec_fn=_die_with_parent,
        )
        for target in (self._read, self._gate, self._govern):
            t = threading.Thread(target=target, daemon=True)
            t.start()
            self._threads.append(t)

    def _signal(self, running: bool) -> None:
        """Let the child run, or pause it (SIGSTOP); called with ``self._lock`` held."""
        import signal

        proc = self._proc
        if proc is None or proc.poll() is not None or running == self._running:
            return
        try:
            proc.send_signal(signal.SIGCONT if running else signal.SIGSTOP)
        except OSError:
            return
        self._running = running

    def _govern(self) -> None:
        """While spans wait to be committed, the child runs ``share`` of each second (its
        CPU: loading the embedding model, embedding, its imports all compete with the
        receiver on two cores, and a lower priority alone did not keep them out); it is
        never paused while it holds the file (a granted turn)."""
        import time

        period = 1.0
        phase_start = time.monotonic()
        while not self._stopping.wait(0.02):
            now = time.monotonic()
            with self._lock:
                if self._in_turn or not self.behind():
                    self._signal(True)
                    phase_start = now
                elif self._running and now - phase_start >= self.share * period:
                    self._signal(False)
                    phase_start = now
                elif not self._running and now - phase_start >= (1 - self.share) * period:
                    self._signal(True)
                    phase_start = now
                if not self._running:
                    self.paused_s += 0.02
        with self._lock:
            self._signal(True)  # stopping: the child finishes its step and exits

    def _read(self) -> None:
        import orjson

        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            try:
                msg = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            kind = msg.pop("t", None)
            if kind == "want":
                self._want.set()
            elif kind == "done":
                self._done.set()
            else:
                self.latest = msg
        self._done.set()  # the child is gone: no turn outlives it

    def _gate(self) -> None:
        """Grant the child's turns: at once when the committer has nothing waiting, else
        after the committer has had ``(1 - share) / share`` times the child's last turn."""
        import time

        while not self._stopping.is_set():
            if not self._want.wait(0.2):
                continue
            self._want.clear()
            asked = time.monotonic()
            while not self._stopping.is_set() and self.behind() and time.monotonic() < self._next_allowed:
                self._stopping.wait(min(0.05, max(0.0, self._next_allowed - time.monotonic())))
            if self._stopping.is_set():
                return
            with self.turns.turn():  # after the committer's hold and its gap for other processes
                granted = time.monotonic()
                self._done.clear()
                with self._lock:
                    self._in_turn = True
                    self._signal(True)
                try:
                    if not self._send(b"g\n"):
                        return
                    self._done.wait()
                finally:
                    with self._lock:
                        self._in_turn = False
                held = time.monotonic() - granted
            self.turns_granted += 1
            self.hold_s += held
            self.wait_s += granted - asked
            self._next_allowed = time.monotonic() + held * (1 - self.share) / self.share

    def _send(self, line: bytes) -> bool:
        with self._io:
            proc = self._proc
            if proc is None or proc.poll() is not None or proc.stdin is None:
                return False
            try:
                proc.stdin.write(line)
                proc.stdin.flush()
                return True
            except (BrokenPipeError, ValueError, OSError):
                return False

    def committed(self, added: int) -> None:
        """The committer's hook: new spans are in the database."""
        self._send(b"w\n")

    def stop(self, timeout: float = 30.0) -> None:
        """Let the worker finish its step (its stdin closed), then end it."""
        self._stopping.set()
        with self._lock:
            self._signal(True)
        with self._lock, self._io:
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
        for t in self._threads:
            t.join(5)

    def snapshot(self) -> dict[str, Any]:
        out = dict(self.latest)
        out.update(
            {
                "work_turns": self.turns_granted,
                "work_hold_s": round(self.hold_s, 2),
                "work_wait_s": round(self.wait_s, 2),
                "work_paused_s": round(self.paused_s, 1),
                "work_share": self.share,
            }
        )
        return out


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it when `serve` dies (kill -9 included), so a
    paused worker is never left behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> None:
    """The child process: ``python -m evaltui.collect.work DB RETRY_SECONDS``."""
    import sys

    import orjson

    args = argv if argv is not None else sys.argv[1:]
    try:
        os.nice(10)  # the receiver first
    except OSError:
        pass
    stop = threading.Event()
    out = threading.Lock()

    def send(msg: dict[str, Any]) -> None:
        with out:
            sys.stdout.buffer.write(orjson.dumps(msg) + b"\n")
            sys.stdout.buffer.flush()

    turns = GrantedTurns(send, stop)
    worker = Worker(args[0], retry_seconds=float(args[1]), turns=turns)

    def commands() -> None:
        for line in sys.stdin.buffer:
            if line.startswith(b"g"):
                turns.granted()
            else:
                worker.wake.set()
        stop.set()  # stdin closed: serve is stopping
        worker.wake.set()

    def report() -> None:
        last = None
        while True:
            snap = worker.snapshot()
            if snap != last:
                send(snap)
                last = snap
            if stop.wait(0.1):
                send(worker.snapshot())
                return

    threading.Thread(target=commands, daemon=True).start()
    reporter = threading.Thread(target=report)
    reporter.start()
    worker.run(stop)
    stop.set()
    reporter.join()


if __name__ == "__main__":
    main()
