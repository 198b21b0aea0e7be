"""The queries behind `serve`'s known ids (``evaltui.collect.known_ids.KnownIds``): 64-bit
hashes (DuckDB's ``hash``) of span ids, root ids and trace ids, and the row counts that
tell whether another process changed the tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evaltui.store.db import FileHost, Store


def batch_hashes(host: FileHost, table: Any) -> tuple[Any, Any, Any]:
    """(hashes of the ids, of the root ids, of the roots' trace ids) of a batch of spans
    (an Arrow table with ``_trace_id`` and ``_is_root``), on the host's connection before
    the file is attached to it, so that the file need not be held for them. The table is
    registered for these two queries only; a connection that fails them is made anew at
    its next use (``FileHost.discard``), as one that cannot detach is."""
    import duckdb

    con = host.connection()
    try:
        con.register("_batch", table)
        try:
            cols = con.execute("SELECT hash(id) AS i, hash(root_id) AS r FROM _batch").fetchnumpy()
            traces = con.execute("SELECT hash(_trace_id) AS t FROM _batch WHERE _is_root").fetchnumpy()["t"]
        finally:
            con.unregister("_batch")
    except duckdb.Error:
        host.discard()
        raise
    return cols["i"], cols["r"], traces


def stored_id_hashes(store: Store) -> Any:
    """Hashes of every stored span id and root id and every trace in ``trace_roots``."""
    return store.con.execute(
        "SELECT hash(id) AS h FROM spans UNION ALL SELECT hash(root_id) FROM spans "
        "UNION ALL SELECT hash(trace_id) FROM trace_roots"
    ).fetchnumpy()["h"]


def span_row_counts(store: Store) -> tuple[int, int]:
    """Rows in ``spans`` and in ``trace_roots``."""
    n = store.con.execute("SELECT (SELECT count(*) FROM spans), (SELECT count(*) FROM trace_roots)").fetchall()[0]
    return int(n[0]), int(n[1])
