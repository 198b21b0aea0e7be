"""The write-ahead spool keeps what it acknowledged across restarts, and a record cut
short by a crash (never acknowledged) is dropped, not misread; `ingest --follow`, the
other long-running writer, lets other processes in between its chunks as serve does."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from evaltui.collect.spool import Spool, SpoolBusy, read_segment
from tests.helpers import EVALTUI
from tests.helpers import span, write_jsonl
from tests.serving import stored, wait_for


def test_a_spool_replays_its_records_after_a_restart_and_drops_a_torn_tail(tmp_path):
    spool = Spool(tmp_path / "spool")
    for i in range(3):
        spool.append(f"record {i}".encode())
    with pytest.raises(SpoolBusy):  # one server per spool
        Spool(tmp_path / "spool")
    os.close(spool._lock_fd)  # the process dies: the kernel lets go of its lock, the segment stays open
    segment = next((tmp_path / "spool").glob("*.spool"))
    with open(segment, "ab") as fh:  # an append cut short by the crash
        fh.write(b"\x40\x00\x00\x00\x01\x02\x03\x04half a rec")

    again = Spool(tmp_path / "spool")
    assert again.pending_bytes > 0
    sealed = again.seal()
    assert sealed == [segment]
    assert list(read_segment(segment)) == [b"record 0", b"record 1", b"record 2"]
    again.append(b"after the restart")  # a new segment, after the old ones
    later = again.seal()
    assert later[0] == segment and list(read_segment(later[1])) == [b"after the restart"]
    for s in later:
        again.delete(s)
    assert again.pending_bytes == 0
    again.close()


def test_ingest_follow_lets_other_processes_read_and_write_between_its_chunks(tmp_path):
    db, log = tmp_path / "follow.duckdb", tmp_path / "live.jsonl"
    write_jsonl(log, [span("c1", input="hello", output="hi")])
    proc = subprocess.Popen(
        [*EVALTUI, "ingest", str(log), "--follow", "--db", str(db)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_for(lambda: stored(db, busy=None) == 1, 60, "the first line")
        with open(log, "a") as fh:
            fh.write('{"id": "c2", "input": "again", "output": "hello again"}\n')
        wait_for(lambda: stored(db, busy=None) == 2, 60, "the appended line")  # read by this process meanwhile
        done = subprocess.run(
            [*EVALTUI, "label", "c2", "brand_alignment", "A", "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    assert stored(db, "SELECT count(*) FROM scores WHERE source = 'human'") == 1
