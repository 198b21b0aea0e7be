"""SIGKILL `evaltui eval FILE` at 10 random points of one run, resuming after each: the
database opens cleanly every time, a stored result is never lost or stored twice, a
resumed run redoes no stored case, and the last resume ends with every (case, trial)
exactly once. (tests/reliability/test_kill_ingest.py does the same for `evaltui ingest`.)"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

from evaltui.store import Store
from tests.helpers import EVALTUI, ROOT

EVAL_FILE = ROOT / "tests" / "fixtures" / "reliability" / "kill_eval.py"
KILLS = 10
CASES, TRIALS, IN_FLIGHT = 60, 2, 4
PAIRS = {(f"case-{i:03d}", t) for i in range(CASES) for t in range(TRIALS)}


def _start(db: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "EVALTUI_TEST_TASK_LOG": str(log)}
    return subprocess.Popen(
        [*EVALTUI, "eval", str(EVAL_FILE), "--db", str(db), "--jsonl"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _finished(log: Path) -> list[tuple[str, int]]:
    if not log.exists():
        return []
    out = []
    for line in log.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:  # a line being written when the kill landed is not a finished task
            out.append((parts[0], int(parts[1])))
    return out


def _stored(db: Path) -> tuple[list[tuple[str, int]], int, int]:
    """(record id, trial) of every stored result; score rows; distinct score rows.
    Opening the file read-write replays its WAL: this is the "opens cleanly" check."""
    if not db.exists():
        return [], 0, 0
    with Store(db) as store:
        pairs = store.con.execute(
            "SELECT r.record_id, r.trial FROM experiment_results r JOIN experiments e ON e.id = r.experiment_id "
            "WHERE e.name = 'kill-me'"
        ).fetchall()
        scores, distinct = store.con.execute(
            "SELECT count(*), count(DISTINCT (result_id, scorer)) FROM result_scores"
        ).fetchall()[0]
    return [(r, int(t)) for r, t in pairs], scores, distinct


def test_kill_minus_nine_during_eval_then_resume_loses_and_duplicates_nothing(tmp_path):
    rng = random.Random(9)
    db = tmp_path / "eval.duckdb"
    stored_before: set[tuple[str, int]] = set()
    landed = 0
    at_kill: list[int] = []
    for k in range(KILLS):
        log = tmp_path / f"run{k}.log"
        proc = _start(db, log)
        if rng.random() < 0.2:  # during start-up: loading the file, creating or resuming the experiment
            time.sleep(rng.uniform(0.05, 0.8))
        else:  # after a random number of cases finished
            target = rng.randint(1, 12)
            deadline = time.monotonic() + 60
            while len(_finished(log)) < target and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        landed += proc.returncode == -signal.SIGKILL
        ran = set(_finished(log))
        pairs, scores, distinct_scores = _stored(db)
        stored = set(pairs)
        assert len(pairs) == len(stored), f"kill {k}: a result stored twice"
        assert scores == distinct_scores, f"kill {k}: a score stored twice"
        assert stored_before <= stored, f"kill {k}: stored results lost: {sorted(stored_before - stored)[:5]}"
        assert ran.isdisjoint(stored_before), (
            f"kill {k}: the resume redid stored cases {sorted(ran & stored_before)[:5]}"
        )
        new = stored - stored_before
        assert new <= ran, f"kill {k}: results stored for tasks that never finished"
        # a worker runs its next case while the previous one commits: two per worker at most
        assert len(ran - new) <= 2 * IN_FLIGHT, f"kill {k}: more than two cases per worker went missing"
        stored_before = stored
        at_kill.append(len(stored))
        if stored == PAIRS:
            break
    print(f"\nkill -9 eval: {landed}/{KILLS} kills mid-run; results stored after each: {at_kill}")
    assert landed >= KILLS - 2, f"only {landed} kills landed mid-run"
    assert len(stored_before) < len(PAIRS), "the run finished before the last kill"

    log = tmp_path / "final.log"
    proc = _start(db, log)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    summary = json.loads(out.decode().splitlines()[-1])
    assert summary["experiment_name"] == "kill-me"
    assert (summary["results"], summary["errors"]) == (len(PAIRS), 0)
    assert set(_finished(log)).isdisjoint(stored_before)  # nothing finished was redone
    pairs, scores, distinct_scores = _stored(db)
    assert len(pairs) == len(set(pairs)) and set(pairs) == PAIRS  # 0 lost, 0 duplicated
    assert scores == distinct_scores == 2 * len(PAIRS)

    shown = subprocess.run(
        [*EVALTUI, "experiments", "show", "kill-me", "--json", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    exp = json.loads(shown.stdout)
    assert exp["status"] == "finished" and len(exp["cases"]) == len(PAIRS)
    assert all(
        c["scores"]["tripled"]["score"] == 1.0 and c["scores"]["trial_kept"]["score"] == 1.0 and c["error"] is None
        for c in exp["cases"]
    )
    listed = [
        json.loads(line)
        for line in subprocess.run(
            [*EVALTUI, "experiments", "list", "--json", "--db", str(db)], capture_output=True, text=True
        ).stdout.splitlines()
    ]
    assert [e["name"] for e in listed] == ["kill-me"]  # resumed each time, never suffixed
