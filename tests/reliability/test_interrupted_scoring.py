"""`evaltui score` interrupted by a real SIGINT or SIGKILL while an LLM judge (the
loopback fake endpoint, with latency) grades 120 turns: judgements are committed as
they arrive, with their response-cache entries, so an interrupt loses at most the calls
in flight (SIGINT) or one small group (SIGKILL), and the next run asks only for the rest."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from evaltui.scoring.online import COMMIT_EVERY
from evaltui.store import Store
from evaltui.testing import FakeOpenAI
from tests.helpers import EVALTUI
from tests.helpers import span, write_jsonl

TURNS, CONCURRENCY, LATENCY = 120, 4, 0.2


def _logs(tmp_path):
    rows = []
    for i in range(TURNS):
        rows += [
            span(
                f"c{i}",
                name="conversation",
                ts=f"2026-11-01T10:{i % 60:02d}:00Z",
                input=[{"role": "user", "content": f"question {i}"}],
                output=f"answer {i}",
            ),
            span(
                f"c{i}-t1",
                f"c{i}",
                f"c{i}",
                name="turn",
                ts=f"2026-11-01T10:{i % 60:02d}:00Z",
                input=f"question {i}",
                output=f"answer {i}",
            ),
        ]
    return write_jsonl(tmp_path / "logs.jsonl", rows)


def _stored(db) -> tuple[int, int]:
    """(scores stored, response-cache rows); opening read-write replays the WAL."""
    with Store(db) as store:
        scores = store.con.execute("SELECT count(*) FROM scores WHERE scorer_key = 'brand_alignment'").fetchall()[0][0]
        cached = store.con.execute("SELECT count(*) FROM llm_cache").fetchall()[0][0]
    return scores, cached


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_an_interrupted_score_run_keeps_the_judgements_that_came_back(tmp_path, sig):
    db = tmp_path / "score.duckdb"
    env = {**os.environ, "EVALTUI_CONFIG": str(tmp_path / "none.toml"), "EVALTUI_LLM_MAX_RETRIES": "0"}
    assert (
        subprocess.run(
            [*EVALTUI, "ingest", str(_logs(tmp_path)), "--db", str(db)], env=env, capture_output=True, timeout=120
        ).returncode
        == 0
    )
    with FakeOpenAI(latency=LATENCY) as fake:
        env |= {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test"}
        args = [*EVALTUI, "score", "--scorer", "brand_alignment", "--concurrency", str(CONCURRENCY), "--db", str(db)]
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(fake.chat_requests) < 8 * CONCURRENCY and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        # From here on replies hang, so however slow this machine is the run cannot finish
        # before the signal: the replies already asked for (at most CONCURRENCY in flight) come back.
        fake.latency = 120
        asked = len(fake.chat_requests)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        if sig == signal.SIGINT:
            assert proc.returncode == 130 and "Traceback" not in err, err
        else:
            assert proc.returncode == -signal.SIGKILL
        answered = asked - CONCURRENCY  # at most this many replies were in flight when it was asked
        scores, cached = _stored(db)
        # Up to CONCURRENCY replies can have come back but not yet reached the commit loop; a
        # Ctrl-C keeps them as cached replies (free on resume), a SIGKILL loses them with the
        # group of at most COMMIT_EVERY judgements not yet committed.
        if sig == signal.SIGINT:
            assert cached >= answered > 0, (asked, cached)
            assert scores >= answered - CONCURRENCY, (asked, scores)
        else:
            assert scores >= answered - COMMIT_EVERY - CONCURRENCY > 0, (asked, scores)
        assert cached >= scores  # every stored judgement's reply is cached too
        print(f"\n{sig.name} after {asked} requests: {scores} scores, {cached} cached replies stored")

        fake.latency = LATENCY
        before = len(fake.chat_requests)
        again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        assert _stored(db)[0] == TURNS
        # the resume asks only for what was not stored (a reply cached but not scored is free)
        assert len(fake.chat_requests) - before <= TURNS - scores
