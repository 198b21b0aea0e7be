"""`serve`'s commits on a kept in-memory DuckDB (``store.db.FileHost``) that the file is
attached to for each commit, and row groups left as the commits wrote them.

Against a real file and real other processes: the file is let go after every commit (a
read-write open in another process gets in), the rows are those of the usual path, the
stage and the batch's hashing do not outlive the commit, a host's connection that fails
is made anew, a file this process already has open is shared as before, and a write from
another process does not merge the row groups `serve` wrote."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pytest

from evaltui.collect import otlp
from evaltui.collect.committer import decode_record, encode_spans, store_batch
from evaltui.collect.known_ids import KnownIds
from evaltui.errors import StoreBusy
from evaltui.store import Store
from evaltui.store.db import FileHost
from tests.serving import chat_spans, otlp_json

ROWS = "SELECT * EXCLUDE (ingested_at) FROM spans ORDER BY id"
SPANS = 9  # a batch: 3 traces of 2 turns, 3 spans each
ROW_GROUPS = "SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('spans')"


def _batch(first: int, n: int = 3) -> tuple[list[Any], list[Any]]:
    spans = [s for t in range(first, first + n) for s in chat_spans(t, 2)]
    payload = encode_spans(otlp.decode(orjson.dumps(otlp_json(spans)), "application/json").spans).payload
    table, scores = decode_record(payload)
    assert table.num_rows == 3 * n == SPANS * n // 3
    return [table], [scores]


def _other_process(db: Path, code: str) -> str:
    """Run ``code`` with ``con``, a read-write connection to ``db``, in another process."""
    script = f"import duckdb\ncon = duckdb.connect({str(db)!r})\n{code}\ncon.close()\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_commits_through_a_host_store_the_same_rows_and_let_go_of_the_file(tmp_path):
    plain, hosted = tmp_path / "plain.duckdb", tmp_path / "hosted.duckdb"
    host = FileHost()
    try:
        for i in range(4):
            batch = _batch(10 * i)
            assert store_batch(plain, *batch, KnownIds())[0] == SPANS
            assert store_batch(hosted, *batch, KnownIds(), host)[0] == SPANS
            # Let go: another process opens it read-write and writes between commits.
            _other_process(hosted, f"con.execute(\"INSERT INTO evaltui_meta VALUES ('other{i}', 'x')\")")
            # The stage and the registered tables did not outlive the commit.
            left = host.connection().execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
            assert left == []
            shown = {r[0] for r in host.connection().execute("SHOW ALL TABLES").fetchall()}
            assert not shown & {"_stage_roots", "_batch"}  # the roots staged, the batch hashed
        # A commit that fails (its transaction rolled back) lets go of the file too, and the next one works.
        (table,), scores = _batch(100)
        at = table.schema.get_field_index("ts")
        not_times = table.set_column(at, "ts", pa.array(["not a time"] * table.num_rows))
        with pytest.raises(duckdb.Error):
            store_batch(hosted, [not_times], scores, KnownIds(), host)
        _other_process(hosted, "con.execute(\"INSERT INTO evaltui_meta VALUES ('after-failure', 'x')\")")
        assert store_batch(hosted, *_batch(200), KnownIds(), host)[0] == SPANS
        assert store_batch(plain, *_batch(200), KnownIds())[0] == SPANS
    finally:
        host.discard()
    with Store(plain, read_only=True) as a, Store(hosted, read_only=True) as b:
        assert a.con.execute(ROWS).fetchall() == b.con.execute(ROWS).fetchall()
        assert b.con.execute("SELECT count(*) FROM evaltui_meta WHERE key LIKE 'other%'").fetchall()[0][0] == 4


def test_a_host_holding_the_file_shuts_other_processes_out_until_it_lets_go(tmp_path):
    db = tmp_path / "db.duckdb"
    Store(db).close()
    host = FileHost()
    try:
        store = Store(db, lock_timeout=0, host=host)
        script = (
            "import sys\nfrom evaltui.store import Store\nfrom evaltui.errors import StoreBusy\n"
            f"try:\n    Store({str(db)!r}, read_only=True, lock_timeout=0).close()\n"
            "except StoreBusy:\n    print('busy')\nelse:\n    print('opened')\n"
        )
        run = [sys.executable, "-c", script]
        assert subprocess.run(run, capture_output=True, text=True, timeout=60).stdout.strip() == "busy"
        store.close()
        assert subprocess.run(run, capture_output=True, text=True, timeout=60).stdout.strip() == "opened"
        # And the other way round: held by another process, an attach is StoreBusy.
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"import duckdb, sys\nc = duckdb.connect({str(db)!r})\nprint('held', flush=True)\nsys.stdin.read()",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            with pytest.raises(StoreBusy):
                Store(db, lock_timeout=0, host=host)
        finally:
            assert holder.stdin is not None
            holder.stdin.close()
            holder.wait(30)
        Store(db, lock_timeout=0, host=host).close()
    finally:
        host.discard()


def test_a_file_this_process_has_open_is_shared_as_before(tmp_path):
    """DuckDB will not attach a file its process has open through ``duckdb.connect``; the
    commit then uses that instance, as a plain open would."""
    db = tmp_path / "db.duckdb"
    host = FileHost()
    try:
        with Store(db) as mine:
            assert store_batch(db, *_batch(1), KnownIds(), host)[0] == SPANS
            assert mine.con.execute("SELECT count(*) FROM spans").fetchall()[0][0] == SPANS
        assert store_batch(db, *_batch(50), KnownIds(), host)[0] == SPANS  # then attached again
    finally:
        host.discard()


def test_a_host_whose_connection_fails_the_batch_hashes_makes_it_anew(tmp_path):
    """The batch is hashed on the host's connection before the file is attached; one that
    fails there is replaced, so the next commit goes through."""
    db = tmp_path / "db.duckdb"
    host, known = FileHost(), KnownIds()
    try:
        host.connection().close()  # as a connection DuckDB invalidated
        with pytest.raises(duckdb.ConnectionException):
            store_batch(db, *_batch(1), known, host)
        assert store_batch(db, *_batch(1), known, host)[0] == SPANS
    finally:
        host.discard()


def test_a_new_file_is_created_on_a_host_with_temp_tables_left(tmp_path):
    host = FileHost()
    try:
        host.connection().execute("CREATE TEMP TABLE leftover (x INT)")
        db = tmp_path / "new.duckdb"
        with Store(db, host=host) as store:  # not "a DuckDB file but not an evaltui database"
            assert store.schema_version() > 0
    finally:
        host.discard()


@pytest.mark.parametrize("hosted", [False, True], ids=["connect", "host"])
def test_another_writer_leaves_the_row_groups_commits_wrote(tmp_path, hosted):
    """Each commit's spans are a row group; DuckDB's default merged small ones at a
    checkpoint (rewriting them all), in whichever process closed the file next."""
    db = tmp_path / "db.duckdb"
    host = FileHost() if hosted else None
    try:
        for i in range(5):
            store_batch(db, *_batch(10 * i), KnownIds(), host)
    finally:
        if host is not None:
            host.discard()
    with Store(db, read_only=True) as store:
        groups = store.con.execute(ROW_GROUPS).fetchall()[0][0]
    assert groups == 5  # 9 spans each: nothing merged them
    with Store(db) as store:  # an evaltui writer in another role (a label, an eval)
        store.con.execute("INSERT INTO evaltui_meta VALUES ('label', 'x')")
    with Store(db, read_only=True) as store:
        assert store.con.execute(ROW_GROUPS).fetchall()[0][0] == 5
    # The check can fail: DuckDB's default, in another process, merges them.
    _other_process(db, "con.execute(\"INSERT INTO evaltui_meta VALUES ('default', 'x')\")")
    with Store(db, read_only=True) as store:
        assert store.con.execute(ROW_GROUPS).fetchall()[0][0] < 5
