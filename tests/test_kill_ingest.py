"""SIGKILL `evaltui ingest` at random points: after each, the database opens cleanly,
and re-running the ingest ends with every span exactly once."""

from __future__ import annotations

import itertools
import json
import random
import signal
import subprocess
import time

import pytest

from evaltui.demo.generate import iter_spans, write_jsonl
from evaltui.store import Store
from tests.conftest import EVALTUI

KILLS = 10


def _ingest(db, src) -> subprocess.Popen:
    return subprocess.Popen([*EVALTUI, "ingest", str(src), "--db", str(db)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _counts(db) -> tuple[int, int, int, int]:
    with Store(db) as store:
        return store.con.execute(
            "SELECT (SELECT count(*) FROM spans), (SELECT count(DISTINCT id) FROM spans), "
            "(SELECT count(*) FROM scores), (SELECT count(DISTINCT id) FROM scores)"
        ).fetchall()[0]


@pytest.mark.parametrize("fmt", ["evaltui", "openai"])
def test_kill_minus_nine_during_ingest_loses_and_duplicates_nothing(tmp_path, fmt):
    rng = random.Random(2026)
    spans = list(itertools.islice(iter_spans(seed=3, n_conversations=9000), 20_000 if fmt == "evaltui" else 60_000))
    src = tmp_path / "logs.jsonl"
    if fmt == "evaltui":
        write_jsonl(src, spans)
    else:  # OpenAI chat lines go the line-by-line path, committed in batches
        with open(src, "w") as fh:
            for s in spans:
                if s["parent_id"] is None:
                    fh.write(json.dumps({"messages": s["input"] + [{"role": "assistant", "content": s["output"]}],
                                         "metadata": s["metadata"]}) + "\n")
    reference = tmp_path / "reference.duckdb"
    t0 = time.monotonic()
    assert _ingest(reference, src).wait(300) == 0
    duration = time.monotonic() - t0
    expected = _counts(reference)

    db = tmp_path / "killed.duckdb"
    kills = runs = 0
    while kills < KILLS:
        runs += 1
        assert runs <= 4 * KILLS, "kills keep missing the run"
        proc = _ingest(db, src)
        time.sleep(rng.uniform(0.05, duration))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        spans_n, distinct_spans, scores_n, distinct_scores = _counts(db)  # opens cleanly
        assert spans_n == distinct_spans and scores_n == distinct_scores
        if proc.returncode == -signal.SIGKILL:
            kills += 1
        else:  # the run finished before the kill: complete, so start over for more kill points
            assert proc.returncode == 0 and _counts(db) == expected
            for leftover in tmp_path.glob("killed.duckdb*"):
                leftover.unlink()
    assert _ingest(db, src).wait(300) == 0
    assert _counts(db) == expected
