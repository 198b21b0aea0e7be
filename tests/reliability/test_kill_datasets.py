"""SIGKILL `evaltui datasets create` the moment its first commit reaches the WAL: the
dataset exists with its first version and every record, or does not exist at all, and
a second `datasets create` then succeeds. (Before, the header committed on its own, and
a kill before the version left an empty dataset that `create` refused as existing.)"""

from __future__ import annotations

import os
import signal
import subprocess
import time

from evaltui.store import Store
from tests.helpers import EVALTUI
from tests.helpers import conversation, write_jsonl

CONVERSATIONS = 5000


def _wal(db) -> int:
    try:
        return os.path.getsize(f"{db}.wal")
    except FileNotFoundError:
        return 0


def _dataset(db) -> tuple[int, int] | None:
    """(latest version, records in it) of dataset 'slice', or None if there is none."""
    with Store(db) as store:  # read-write: replays the WAL as the next command would
        rows = store.con.execute(
            "SELECT d.id, coalesce(max(v.version), 0) FROM datasets d LEFT JOIN dataset_versions v "
            "ON v.dataset_id = d.id WHERE d.name = 'slice' GROUP BY d.id"
        ).fetchall()
        if not rows:
            return None
        dataset_id, version = rows[0]
        records = store.con.execute(
            "SELECT count(*) FROM dataset_records WHERE dataset_id = ? AND removed_version IS NULL", [dataset_id]
        ).fetchall()[0][0]
    return version, records


def test_kill_minus_nine_at_the_first_commit_of_datasets_create_leaves_all_or_nothing(tmp_path):
    rows = [r for i in range(CONVERSATIONS) for r in conversation(i, "billing", (0.0, 0.5, 1.0)[i % 3])[:1]]
    db = tmp_path / "kill.duckdb"
    out = subprocess.run(
        [*EVALTUI, "ingest", str(write_jsonl(tmp_path / "logs.jsonl", rows)), "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0 and _wal(db) == 0, out.stderr

    proc = subprocess.Popen(
        [*EVALTUI, "datasets", "create", "slice", "--db", str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while _wal(db) == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.0005)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the command ended before the kill"

    assert _dataset(db) in (None, (1, CONVERSATIONS)), _dataset(db)
    again = subprocess.run(
        [*EVALTUI, "datasets", "create", "slice", "--db", str(db)], capture_output=True, text=True, timeout=120
    )
    if again.returncode == 0:
        assert _dataset(db) == (1, CONVERSATIONS)
    else:  # the first run had committed everything before it was killed
        assert "exists" in again.stderr and _dataset(db) == (1, CONVERSATIONS)
