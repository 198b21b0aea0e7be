"""Interrupting and hanging runs, with real subprocesses and real signals: a sync task
stuck past ``timeout=`` does not keep `evaltui eval` alive; one Ctrl-C (SIGINT) stops a
run, keeps its finished cases, exits 130 without a traceback, and the next run resumes
it, a suffixed one (``slow-2``) included."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from evaltui.store import Store
from tests.helpers import EVALTUI, ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "reliability"


def _stored(db: Path, experiment: str) -> tuple[set[str], str | None]:
    with Store(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT coalesce(r.record_id, r.case_id) FROM experiment_results r JOIN experiments e ON e.id = r.experiment_id "
            "WHERE e.name = ?",
            [experiment],
        ).fetchall()
        status = store.con.execute("SELECT status FROM experiments WHERE name = ?", [experiment]).fetchall()
    return {r[0] for r in rows}, (status[0][0] if status else None)


def _ran(log: Path) -> list[str]:
    return [line.split()[0] for line in log.read_text().splitlines() if len(line.split()) == 2] if log.exists() else []


def _eval(db: Path, log: Path, name: str = "slow") -> subprocess.Popen:
    env = {**os.environ, "EVALTUI_TEST_TASK_LOG": str(log), "EVALTUI_TEST_EXPERIMENT": name}
    return subprocess.Popen(
        [*EVALTUI, "eval", str(FIXTURES / "slow_eval.py"), "--db", str(db)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _interrupt_after(proc: subprocess.Popen, log: Path, finished: int) -> tuple[str, str]:
    deadline = time.monotonic() + 60
    while len(_ran(log)) < finished and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    return proc.communicate(timeout=60)


def test_eval_exits_after_a_sync_task_hits_its_timeout(tmp_path):
    db = tmp_path / "hang.duckdb"
    started = time.monotonic()
    out = subprocess.run(
        [*EVALTUI, "eval", str(FIXTURES / "hang_eval.py"), "--db", str(db)], capture_output=True, text=True, timeout=90
    )
    elapsed = time.monotonic() - started
    assert "Traceback" not in out.stderr, out.stderr
    assert out.returncode == 3  # one case of four timed out
    stored, status = _stored(db, "hang-t")
    assert stored and len(stored) == 4 and status == "finished"
    assert elapsed < 60, f"the process took {elapsed:.0f} s to exit"


def test_eval_exits_after_a_sync_scorer_hits_the_timeout(tmp_path):
    db = tmp_path / "hang.duckdb"
    out = subprocess.run(
        [*EVALTUI, "eval", str(FIXTURES / "hang_scorer_eval.py"), "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert "Traceback" not in out.stderr, out.stderr
    assert out.returncode == 3  # that case's only scorer failed: the case failed
    stored, status = _stored(db, "hang-s")
    assert len(stored) == 4 and status == "finished"


def test_one_ctrl_c_stops_the_run_keeps_finished_cases_and_exits_130(tmp_path):
    db, log = tmp_path / "slow.duckdb", tmp_path / "run1.log"
    proc = _eval(db, log)
    out, err = _interrupt_after(proc, log, 6)
    assert proc.returncode == 130, (proc.returncode, err)
    assert "Traceback" not in err and "interrupted" in err, err
    stored, status = _stored(db, "slow")
    assert 4 <= len(stored) < 20 and status != "finished", (len(stored), status)

    resume_log = tmp_path / "run2.log"
    resumed = _eval(db, resume_log)
    resumed.communicate(timeout=120)
    assert resumed.returncode == 0
    after, status = _stored(db, "slow")
    assert len(after) == 20 and status == "finished"
    assert not stored & set(_ran(resume_log)), "a case stored before the interrupt ran again"


def test_an_interrupted_suffixed_experiment_is_resumed_by_the_next_run(tmp_path):
    db = tmp_path / "suffix.duckdb"
    first = _eval(db, tmp_path / "run1.log")
    first.communicate(timeout=120)
    assert first.returncode == 0 and _stored(db, "slow")[1] == "finished"

    second = _eval(db, tmp_path / "run2.log")
    _interrupt_after(second, tmp_path / "run2.log", 6)
    assert second.returncode == 130
    stored, status = _stored(db, "slow-2")
    assert stored and status != "finished"

    third_log = tmp_path / "run3.log"
    third = _eval(db, third_log)
    _, err = third.communicate(timeout=120)
    assert third.returncode == 0, err
    after, status = _stored(db, "slow-2")
    assert len(after) == 20 and status == "finished"
    assert _stored(db, "slow-3")[1] is None, "a new experiment was made instead of resuming slow-2"
    assert not stored & set(_ran(third_log))
