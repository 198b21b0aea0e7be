"""Opening the DuckDB file: locking, schema versions and migrations."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import duckdb

from evaltui.dbpath import resolve_db_path
from evaltui.errors import StoreBusy, StoreConfigConflict, StoreError, StoreNeedsUpgrade
from evaltui.store.schema import MIGRATIONS, SCHEMA_VERSION


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "could not set lock" in text or "conflicting lock" in text


def _is_config_conflict(exc: Exception) -> bool:
    """DuckDB's refusal to open a file this process has open with another configuration
    (read-only against read-write); the one place its text is matched."""
    return "different configuration" in str(exc)


# No row-group merges at checkpoints, in every process that writes the file. `serve` commits
# a batch of 2,000-20,000 spans at a time, and each becomes a row group of its own; with
# DuckDB's default, a checkpoint now and then merged the last few into one, rewriting (and
# compressing again) ~120,000 spans: 0.6-0.8 s of CPU in one commit's close, once every
# 122,880 spans, about half of the commit's CPU per span and its longest holds (over the
# readers' 1 s bar). Left to a process with the default, the merge of everything `serve`
# appended falls on whichever writer closes next (a label in the app: seconds). Reads of
# row groups of 5,000 spans cost the same as of 122,880 (page, trace, topic counts, a text
# search; bench/RESULTS.md, 2026-12-07), and row groups deleted whole are dropped all the
# same, so nothing else changes.
NO_VACUUM = "SET max_vacuum_tasks = 0"


class Store:
    """One evaltui database: a DuckDB file at a known schema version.

    Open it with ``Store(path)``; use it as a context manager or call ``close()``.
    Another process holding the file is waited for up to ``lock_timeout`` seconds,
    so short CLI commands can take turns on one file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        read_only: bool = False,
        lock_timeout: float = 10.0,
        host: FileHost | None = None,
    ) -> None:
        self.path = resolve_db_path(path)
        self._host: FileHost | None = None  # set when the file is attached to the host's connection
        self.read_only = read_only
        if read_only and not self.path.exists():
            from evaltui.dbpath import missing_db_message

            raise StoreError(missing_db_message(self.path))
        if self.path.parent and not self.path.parent.exists():
            raise StoreError(f"cannot create {self.path}: folder {self.path.parent} does not exist")
        if not read_only and not os.access(self.path.parent, os.W_OK | os.X_OK):
            # DuckDB opens such a file but fails at its first commit (it writes a journal beside it).
            raise StoreError(
                f"cannot write {self.path}: its folder {self.path.parent} is read-only "
                f"(DuckDB writes {self.path.name}.wal beside it); copy the file to a writable folder"
            )
        self.con = self._connect(lock_timeout) if host is None else self._attach(host, lock_timeout)
        self.temp_views: set[str] = set()  # temp views made on this connection (store.spans.drop_temp)
        try:
            if not read_only:
                self.con.execute(NO_VACUUM)
            self._migrate()
        except BaseException:
            self.close()
            raise

    def _attach(self, host: FileHost, lock_timeout: float) -> duckdb.DuckDBPyConnection:
        """The file attached to the host's connection (``FileHost``); when this process
        already has it open through ``duckdb.connect`` (which DuckDB will not attach twice),
        a connection of that instance, as ``_connect`` gives."""
        deadline = time.monotonic() + lock_timeout
        mode = " (READ_ONLY)" if self.read_only else ""
        path = str(self.path).replace("'", "''")

        def attach() -> duckdb.DuckDBPyConnection:
            con = host.connection()
            con.execute(f"ATTACH '{path}' AS {FileHost.ALIAS}{mode}")
            return con

        try:
            con = self._retry_while_locked(attach, deadline)
        except duckdb.ResourceInUseException:  # open in this process already: share its instance
            return self._connect(max(0.0, deadline - time.monotonic()))
        except duckdb.Error as exc:
            host.discard()
            raise StoreError(f"cannot open {self.path}: {str(exc).splitlines()[0]}") from None
        try:
            con.execute(f"USE {FileHost.ALIAS}")
        except BaseException:
            host.detach()
            raise
        self._host = host
        return con

    def _connect(self, lock_timeout: float) -> duckdb.DuckDBPyConnection:
        def connect() -> duckdb.DuckDBPyConnection:
            return duckdb.connect(str(self.path), read_only=self.read_only)

        try:
            return self._retry_while_locked(connect, time.monotonic() + lock_timeout)
        except duckdb.Error as exc:
            kind = StoreConfigConflict if _is_config_conflict(exc) else StoreError
            raise kind(f"cannot open {self.path}: {str(exc).splitlines()[0]}") from None

    def _retry_while_locked(
        self, open_step: Callable[[], duckdb.DuckDBPyConnection], deadline: float
    ) -> duckdb.DuckDBPyConnection:
        """``open_step()``, tried again while another process holds the file, until
        ``deadline`` (``time.monotonic()``): then StoreBusy. Another I/O error is a
        StoreError; any other error of DuckDB is left to the caller."""
        # A batching writer (`serve`) lets go within ~0.3 s: retry often, so a read waits little
        # past the end of its hold (retries at 0.05-0.1 s added 50-100 ms to the reads that met
        # a hold: most of the gap between the reads' p95 and the holds' p95). A failed attempt
        # costs about 5 ms of CPU, so waiting costs the waiter a sixth of a core.
        delay = 0.03
        while True:
            try:
                return open_step()
            except duckdb.IOException as exc:
                if _is_lock_error(exc) and time.monotonic() < deadline:
                    time.sleep(delay)
                    continue
                if _is_lock_error(exc):
                    raise StoreBusy(f"{self.path} is in use by another process; try again when it finishes") from None
                raise StoreError(f"cannot open {self.path}: {str(exc).splitlines()[0]}") from None

    # -- schema -------------------------------------------------------------

    def schema_version(self) -> int:
        row = self.con.execute("SELECT value FROM evaltui_meta WHERE key = 'schema_version'").fetchall()
        return int(row[0][0]) if row else 0

    def _migrate(self) -> None:
        try:  # the usual case, in one query: an evaltui database at this version
            if self.schema_version() == SCHEMA_VERSION:
                return
        except duckdb.CatalogException:  # no evaltui_meta: a new file, or not ours
            pass
        tables = {
            r[0]
            for r in self.con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
            ).fetchall()
        }
        if "evaltui_meta" not in tables:
            if tables:
                raise StoreError(f"{self.path} is a DuckDB file but not an evaltui database")
            if self.read_only:
                raise StoreError(f"{self.path} is empty: run `evaltui ingest` first")
            self.con.execute("BEGIN TRANSACTION")  # both or neither, even under a SIGKILL
            self.con.execute("CREATE TABLE evaltui_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
            self.con.execute("INSERT INTO evaltui_meta VALUES ('schema_version', '0')")
            self.con.execute("COMMIT")
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer evaltui (schema {current}; this one knows up to "
                f"{SCHEMA_VERSION}): upgrade evaltui to open it"
            )
        if current == SCHEMA_VERSION:
            return
        if self.read_only:
            raise StoreNeedsUpgrade(f"{self.path} needs a schema upgrade: open it once without read-only")
        migrate(self.con, current, SCHEMA_VERSION)

    def create_temp_view(self, name: str, select: str) -> None:
        """CREATE TEMP VIEW ``name`` AS ``select``, recorded in ``temp_views`` (which
        ``store.spans.drop_temp`` reads to drop a name as a view rather than a table)."""
        self.con.execute(f"CREATE TEMP VIEW {name} AS {select}")
        self.temp_views.add(name)

    # -- lifecycle ----------------------------------------------------------

    def close(self) -> None:
        """Close the connection, or detach the file from the host's (both checkpoint)."""
        if self._host is None:
            self.con.close()
            return
        host, self._host = self._host, None
        host.detach()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FileHost:
    """An in-memory DuckDB connection that a process keeps, to attach the file to for a
    short hold and detach it after (`serve`'s committer, docs/live-capture.md), and to
    hash a batch on before (``store.known.batch_hashes``).

    ``duckdb.connect`` of a file starts a DuckDB instance each time: about 25-30 ms of CPU
    on this machine whatever the file (an empty in-memory one costs the same), a fixed
    cost of every commit. Attaching the file to a kept instance and detaching it costs
    2-3 ms, and holds and lets go of the file's lock the same way: DETACH checkpoints and
    closes the file as closing a connection does. Temp tables and registered Arrow
    tables made on the connection outlive the hold: the holder drops them (after the
    file is let go, so that costs no hold). One thread at a time."""

    ALIAS = "evaltui_file"

    def __init__(self) -> None:
        self._con: duckdb.DuckDBPyConnection | None = None

    def connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = duckdb.connect(":memory:")
            self._con.execute(NO_VACUUM)  # the instance's setting, so the attached file's checkpoints too
        return self._con

    def owns(self, store: Store) -> bool:
        """Whether this Store's connection is the host's (it attached the file)."""
        return self._con is not None and store.con is self._con

    def detach(self) -> None:
        """Let go of the attached file (a checkpoint, then its lock). A connection that
        cannot detach is closed (that closes the file too) and made anew next time."""
        con = self._con
        if con is None:
            return
        try:
            con.execute("USE memory")
            con.execute(f"DETACH DATABASE IF EXISTS {self.ALIAS}")
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        con, self._con = self._con, None
        if con is not None:
            con.close()


def migrate(con: duckdb.DuckDBPyConnection, current: int, target: int) -> None:
    """Apply migrations current+1..target, each in its own transaction."""
    for version in range(current + 1, target + 1):
        _, statements = MIGRATIONS[version - 1]
        con.execute("BEGIN TRANSACTION")
        try:
            for sql in statements:
                con.execute(sql)
            # an upsert: a file killed between creating the table and its first row has none
            con.execute("INSERT OR REPLACE INTO evaltui_meta VALUES ('schema_version', ?)", [str(version)])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise


def add_by_hash(
    store: Store, table: str, key_column: str, key: str, digest: str, rest: list[object]
) -> tuple[int, bool]:
    """Versioned-by-content tables (prompts, stored scorers: ``key, version, hash, ...rest,
    created``): (the version holding ``digest``, whether it was added now). Numbers go
    1, 2, ... per key; content a version already has makes none."""
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        found = con.execute(
            f"SELECT version FROM {table} WHERE {key_column} = ? AND hash = ? ORDER BY version LIMIT 1", [key, digest]
        ).fetchall()
        if found:
            con.execute("COMMIT")
            return found[0][0], False
        version = con.execute(
            f"SELECT coalesce(max(version), 0) + 1 FROM {table} WHERE {key_column} = ?", [key]
        ).fetchall()[0][0]
        marks = ", ".join("?" for _ in range(3 + len(rest)))
        con.execute(f"INSERT INTO {table} VALUES ({marks}, now()::TIMESTAMP)", [key, version, digest, *rest])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return version, True
