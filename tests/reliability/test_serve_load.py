"""While `evaltui serve` takes a steady load, the database stays usable by everyone:
another process reads within 1 s, a label from the CLI is stored, a new conversation
is visible within 5 s of its reply; and when the server cannot write (another process
holds the file), it answers 503 with Retry-After instead of buffering without bound,
then stores everything it acknowledged once the file is free."""

from __future__ import annotations

import itertools
import subprocess
import threading
import time

import orjson

from evaltui.store.db import Store
from tests.helpers import EVALTUI
from tests.serving import Serve, chat_spans, otlp_json, post, protobuf, stored, wait_for

CONVERSATIONS_PER_REQUEST = 100  # x 5 spans: about an exporter's batch of 512


def _body(first_trace: int, turns: int = 4) -> bytes:
    """OTLP JSON (cheap to make, so the clients leave the CPU to the server and the reads)."""
    spans = [s for t in range(first_trace, first_trace + CONVERSATIONS_PER_REQUEST) for s in chat_spans(t, turns)]
    return orjson.dumps(otlp_json(spans))


class Load:
    """Threads posting requests of fresh conversations until stopped; counts what was acknowledged."""

    def __init__(self, url: str, threads: int = 2) -> None:
        self.url, self.stop, self.acked, self.statuses = url, threading.Event(), 0, []
        self._next = itertools.count(1_000_000, CONVERSATIONS_PER_REQUEST)
        self._lock = threading.Lock()
        self.bodies = [_body(next(self._next)) for _ in range(40)]  # made up front: the clients stay light
        self._bodies = iter(self.bodies)
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            with self._lock:
                body = next(self._bodies, None)
            if body is None:
                body = _body(next(self._next))
            status, _, headers = post(self.url, body, "application/json")
            with self._lock:
                self.statuses.append(status)
                if status == 200:
                    self.acked += CONVERSATIONS_PER_REQUEST * 5
                elif status in (429, 503):
                    time.sleep(float(headers.get("Retry-After", 1)))  # as the OTel exporter does

    def finish(self) -> int:
        self.stop.set()
        for t in self.threads:
            t.join(60)
        return self.acked


def test_other_processes_read_write_and_see_new_conversations_while_serve_is_under_load(tmp_path):
    with Serve(tmp_path / "live.duckdb") as serve:
        _under_load(serve)


def _under_load(serve: Serve) -> None:
    load = Load(serve.url)
    try:
        wait_for(lambda: serve.status()["commits"] >= 3, 60, "serve to commit under load")
        # Every read gets through within the app's own retry window (5 s, else StoreBusy).
        # How long they wait (the goal: under 1 s) is a figure of bench/collector.py, which
        # measures it at a known load; here the machine may be busy with anything.
        waits = []
        for _ in range(25):
            started = time.monotonic()
            assert stored(serve.db) > 0
            waits.append(time.monotonic() - started)

        # A label from another process (the CLI) while serve writes.
        done = subprocess.run(
            [*EVALTUI, "label", f"{1_000_000:012x}0000", "brand_alignment", "A", "--db", str(serve.db)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert stored(serve.db, "SELECT count(*) FROM scores WHERE source = 'human'") == 1

        # A new conversation shows within 5 s of its reply. Sent as an exporter does: a 503
        # (the server behind, under this load) is retried after its Retry-After.
        deadline = time.monotonic() + 60
        while (reply := post(serve.url, protobuf(otlp_json(chat_spans(7, turns=0)))))[0] in (429, 503):
            assert time.monotonic() < deadline, "still throttled after 60 s"
            time.sleep(float(reply[2].get("Retry-After", 1)))
        assert reply[0] == 200, reply
        acked_at = time.monotonic()
        wait_for(  # within 5 s at the bench's loads (bench/RESULTS.md); here: that it shows at all
            lambda: stored(serve.db, f"SELECT count(*) FROM spans WHERE id = '{7:012x}0000'", busy=0),
            60,
            "the new conversation",
        )
        visible_after = time.monotonic() - acked_at
    finally:
        acked = load.finish()
    assert serve.stop() == 0
    st_reads = sorted(waits)
    print(
        f"\nreads while serving: p50 {st_reads[len(st_reads) // 2] * 1000:.0f} ms, max {st_reads[-1] * 1000:.0f} ms; "
        f"new conversation visible after {visible_after:.2f} s; {acked} spans acknowledged under load"
    )
    assert stored(serve.db) == acked + 1
    assert stored(serve.db, "SELECT count(DISTINCT id) FROM spans") == acked + 1


def test_a_server_that_cannot_write_answers_503_with_retry_after_then_stores_all_it_acknowledged(tmp_path):
    with Serve(tmp_path / "live.duckdb", "--max-spool-mb", "1") as serve:
        _held_elsewhere(serve)


def _held_elsewhere(serve: Serve) -> None:
    holder = Store(serve.db)  # another process's long write: serve cannot commit
    try:
        accepted, first = 0, 0
        status, headers = 200, {}
        while status == 200:
            status, _, headers = post(serve.url, _body(first, turns=1), "application/json")
            if status == 200:
                accepted += CONVERSATIONS_PER_REQUEST * 2
                first += CONVERSATIONS_PER_REQUEST
            assert accepted < 100_000, "the spool grew without bound"
        assert status == 503 and int(headers["Retry-After"]) >= 1
        st = serve.status()
        assert st["throttled"] >= 1 and st["spans_committed"] == 0
        assert st["spool_bytes"] > 1024 * 1024 or st["spool_spans"] >= 5_000  # bounded: bytes, or spans
        wait_for(lambda: serve.status()["busy_waits"] >= 1, 10, "the committer to find the file held")
    finally:
        holder.close()
    wait_for(lambda: serve.status()["spool_bytes"] == 0, 60, "the spool to drain")
    assert post(serve.url, _body(first, turns=1), "application/json")[0] == 200  # taking requests again
    accepted += CONVERSATIONS_PER_REQUEST * 2
    wait_for(lambda: stored(serve.db) == accepted, 30, "every acknowledged span")
    assert serve.stop() == 0
