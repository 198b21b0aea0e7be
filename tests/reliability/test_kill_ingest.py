"""SIGKILL `evaltui ingest` mid-write: after each kill the database opens cleanly, and
re-running the ingest ends with every span and score exactly once.

The line-by-line path commits every EVALTUI_INGEST_BATCH_SIZE spans (2,000 here, so a
file is many batches); each run is killed once it has been seen committing (its
journal, the .wal file, grew) a random number of batches, so kills land between and
inside batches, and some must leave a partial count that the next run completes.
evaltui's own format on its fast path is one read_json and one transaction: a kill
leaves nothing or everything."""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import time

import pytest

from evaltui.demo.generate import iter_spans, write_jsonl
from evaltui.store import Store
from tests.helpers import EVALTUI

KILLS = 10
BATCH = 2_000
SCHEMA_WAL_BYTES = 16_384  # a new file's journal holds the schema: more than this is a batch


def _ingest(db, src) -> subprocess.Popen:
    return subprocess.Popen(
        [*EVALTUI, "ingest", str(src), "--db", str(db)],
        env={**os.environ, "EVALTUI_INGEST_BATCH_SIZE": str(BATCH)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _counts(db) -> tuple[int, int, int, int]:
    with Store(db) as store:
        return store.con.execute(
            "SELECT (SELECT count(*) FROM spans), (SELECT count(DISTINCT id) FROM spans), "
            "(SELECT count(*) FROM scores), (SELECT count(DISTINCT id) FROM scores)"
        ).fetchall()[0]


def _write_source(tmp_path, fmt: str):
    spans = list(itertools.islice(iter_spans(seed=3, n_conversations=9000), 20_000 if fmt != "openai" else 60_000))
    src = tmp_path / "logs.jsonl"
    if fmt == "openai":  # OpenAI chat lines go the line-by-line path
        with open(src, "w") as fh:
            for s in spans:
                if s["parent_id"] is None:
                    fh.write(
                        json.dumps(
                            {
                                "messages": s["input"] + [{"role": "assistant", "content": s["output"]}],
                                "metadata": s["metadata"],
                            }
                        )
                        + "\n"
                    )
    else:
        write_jsonl(src, spans)
        if fmt == "evaltui-lines":  # one bad line sends the whole file the line-by-line way
            with open(src, "a") as fh:
                fh.write("not json\n")
    return src


def _kill_after_commits(proc: subprocess.Popen, wal, commits: int, rng: random.Random) -> None:
    """SIGKILL ``proc`` once its journal has been seen growing ``commits`` times (plus a
    few ms, so some kills land inside the next batch); it may finish first."""
    seen, last = 0, None
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        size = wal.stat().st_size if wal.exists() else 0
        if size != last and size > SCHEMA_WAL_BYTES:
            seen += 1
        last = size
        if seen >= commits:
            time.sleep(rng.uniform(0, 0.05))
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    proc.wait(30)


@pytest.mark.parametrize("fmt", ["evaltui-lines", "openai"])
def test_kill_minus_nine_between_and_inside_batches_loses_and_duplicates_nothing(tmp_path, fmt):
    rng = random.Random(2026)
    src = _write_source(tmp_path, fmt)
    reference = tmp_path / "reference.duckdb"
    assert _ingest(reference, src).wait(300) in (0, 3)  # 3: partly done, the bad line is reported
    expected = _counts(reference)
    assert expected[0] > 5 * BATCH  # several batches

    db = tmp_path / "killed.duckdb"
    wal = tmp_path / "killed.duckdb.wal"
    kills = runs = 0
    after_kills: list[int] = []
    while kills < KILLS:
        runs += 1
        assert runs <= 4 * KILLS, "kills keep missing the run"
        before = _counts(db)[0] if db.exists() else 0
        proc = _ingest(db, src)
        _kill_after_commits(proc, wal, rng.randint(1, 3), rng)
        spans_n, distinct_spans, scores_n, distinct_scores = _counts(db)  # opens cleanly
        assert spans_n == distinct_spans and scores_n == distinct_scores
        assert spans_n >= before  # a kill never takes away what an earlier run committed
        if proc.returncode == -signal.SIGKILL:
            kills += 1
            after_kills.append(spans_n)
        else:  # the run finished before the kill: complete, so start over for more kill points
            assert proc.returncode in (0, 3) and _counts(db) == expected
            for leftover in tmp_path.glob("killed.duckdb*"):
                leftover.unlink()
    partial = [n for n in after_kills if 0 < n < expected[0]]
    assert len(partial) >= KILLS // 2, after_kills  # the kills really landed mid-ingest
    assert _ingest(db, src).wait(300) in (0, 3)
    assert _counts(db) == expected
    print(
        f"\n{fmt}: {KILLS} kills, spans stored after each: {after_kills} of {expected[0]}; "
        f"after resume: {_counts(db)[0]} spans, {_counts(db)[2]} scores, 0 lost, 0 duplicated"
    )


def test_kill_minus_nine_on_the_fast_path_leaves_nothing_or_everything(tmp_path):
    rng = random.Random(7)
    src = _write_source(tmp_path, "evaltui")
    reference = tmp_path / "reference.duckdb"
    t0 = time.monotonic()
    assert _ingest(reference, src).wait(300) == 0
    duration = time.monotonic() - t0
    expected = _counts(reference)
    for _ in range(4):
        db = tmp_path / "killed.duckdb"
        for leftover in tmp_path.glob("killed.duckdb*"):
            leftover.unlink()
        proc = _ingest(db, src)
        time.sleep(rng.uniform(0.05, duration))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        counts = _counts(db) if db.exists() else (0, 0, 0, 0)
        assert counts in ((0, 0, 0, 0), expected)
        assert _ingest(db, src).wait(300) == 0 and _counts(db) == expected
