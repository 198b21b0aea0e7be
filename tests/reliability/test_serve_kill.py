"""SIGKILL `evaltui serve` under load at random points, restart it each time: every span
it acknowledged ends up stored exactly once (from the database, or replayed from its
write-ahead spool), even the requests an exporter sent twice; nothing is stored twice."""

from __future__ import annotations

import itertools
import random
import signal
import threading
import urllib.error

import orjson

from evaltui.store.db import Store
from tests.serving import Serve, chat_spans, otlp_json, post, stored, wait_for

KILLS = 10  # issue 18: "kill -9 of serve at 10 random points under load"
CONVERSATIONS = 40  # per request; 3 spans each


def _ids(first: int) -> set[str]:
    return {s["spanId"] for t in range(first, first + CONVERSATIONS) for s in chat_spans(t, 2)}


class Client:
    """Posts fresh conversations (and now and then an acknowledged request again, as an
    exporter retrying after a lost reply) until the server goes away."""

    def __init__(
        self,
        url: str,
        numbers: itertools.count,
        rng: random.Random,
        acked: set[str],
        sent: set[str],
        done_bodies: list[int],
    ) -> None:
        self.url, self.numbers, self.rng = url, numbers, rng
        self.acked, self.sent, self.done_bodies = acked, sent, done_bodies
        self.replies = 0
        self.ack = threading.Condition()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            if self.done_bodies and self.rng.random() < 0.2:
                first = self.rng.choice(self.done_bodies)  # a retry of an acknowledged request
            else:
                first = next(self.numbers)
            body = orjson.dumps(otlp_json([s for t in range(first, first + CONVERSATIONS) for s in chat_spans(t, 2)]))
            self.sent |= _ids(first)
            try:
                status = post(self.url, body, "application/json", timeout=30)[0]
            except (urllib.error.URLError, ConnectionError, OSError):
                return  # killed
            if status == 200:
                self.acked |= _ids(first)
                self.done_bodies.append(first)
            with self.ack:
                self.replies += 1
                self.ack.notify_all()

    def wait_replies(self, n: int) -> bool:
        with self.ack:
            return self.ack.wait_for(lambda: self.replies >= n or not self.thread.is_alive(), 60)


def _db_ids(db) -> tuple[int, set[str]]:
    with Store(db, read_only=True) as store:  # opens cleanly after every kill
        rows = store.con.execute("SELECT id FROM spans").fetchall()
    return len(rows), {r[0] for r in rows}


def test_kill_minus_nine_under_load_loses_no_acknowledged_span_and_duplicates_none(tmp_path):
    rng = random.Random(18)
    db = tmp_path / "live.duckdb"
    numbers = itertools.count(0, CONVERSATIONS)
    acked: set[str] = set()
    sent: set[str] = set()
    done_bodies: list[int] = []
    stored_after_kill = []
    for _ in range(KILLS):
        with Serve(db, "--commit-every", "0.05") as serve:
            _kill_under_load(serve, rng, numbers, acked, sent, done_bodies)
        n, ids = _db_ids(db)
        assert n == len(ids)  # no duplicate, even mid-replay
        stored_after_kill.append(n)

    with Serve(db) as serve:  # the last restart replays what the spool still holds
        wait_for(lambda: serve.status()["spool_bytes"] == 0, 60, "the spool to be replayed")
        assert serve.stop() == 0
    n, ids = _db_ids(db)
    assert n == len(ids)
    assert acked <= ids, f"{len(acked - ids)} acknowledged spans lost"
    assert ids <= sent
    assert stored(db, "SELECT count(*) FROM spans WHERE parent_id IS NOT NULL AND root_id <> parent_id") == 0
    print(
        f"\n{KILLS} kills; spans stored after each: {stored_after_kill}; acknowledged {len(acked)}, "
        f"stored {n} (sent, unacknowledged: {n - len(acked)}), 0 lost, 0 duplicated"
    )


def _kill_under_load(
    serve: Serve, rng: random.Random, numbers: itertools.count, acked: set[str], sent: set[str], done_bodies: list[int]
) -> None:
    clients = [Client(serve.url, numbers, rng, acked, sent, done_bodies) for _ in range(2)]
    assert clients[0].wait_replies(rng.randint(2, 15))
    serve.proc.send_signal(signal.SIGKILL)
    assert serve.proc.wait(30) == -signal.SIGKILL
    for c in clients:
        c.thread.join(60)
