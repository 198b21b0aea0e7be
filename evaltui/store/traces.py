"""Spans that arrive trace by trace in batches (`evaltui serve`): each span's root.

An exporter sends a span when it ends, so a trace's children usually arrive before its
root. A span whose root is not known yet is stored under its trace id (as the file
importer does for a trace with no root); when the root arrives, ``link_roots`` files
the stored spans, their scores and score roll-ups under it, in the same transaction as
the root itself, and remembers it in ``trace_roots`` for spans still to come.
"""

from __future__ import annotations

import pyarrow as pa

from evaltui.store.db import Store
from evaltui.store.scores import refresh_rollup

ROOTS_ARROW_SCHEMA = pa.schema([("trace_id", pa.string()), ("root_id", pa.string())])


def stage_roots(store: Store, roots: pa.Table) -> None:
    """The (trace id, root span id) pairs of the batch being staged (ROOTS_ARROW_SCHEMA),
    as ``_stage_roots`` until ``link_roots`` is done with them: the Arrow table itself,
    registered on the connection (a copy into a temp table cost two statements and a
    drop per commit, and the pairs are read twice)."""
    store.con.register("_stage_roots", roots)


def link_roots(store: Store, scores: bool = True, new_traces: bool = False) -> None:
    """Inside the merge's transaction: give staged spans the roots earlier batches brought,
    remember this batch's roots, and move spans stored before their root under it.
    ``scores``: whether scores are staged (when not, their table is left alone).
    ``new_traces``: the caller proved (`serve`'s committer, from the ids it knows are
    stored) that the staged roots are one per trace, that no staged root's trace is in
    ``trace_roots`` or has spans stored under its id, and that no staged span's root id
    is a trace in ``trace_roots``: then only this batch's roots are read (each read of
    ``trace_roots`` or ``spans`` scanned the whole table)."""
    con = store.con
    if new_traces:
        con.execute("INSERT INTO trace_roots SELECT trace_id, root_id FROM _stage_roots")
        for table in ("_stage_spans", "_stage_scores") if scores else ("_stage_spans",):
            con.execute(
                f"UPDATE {table} SET root_id = t.root_id FROM _stage_roots t WHERE {table}.root_id = t.trace_id"
            )
        con.unregister("_stage_roots")
        return
    # The first root seen for a trace stays its root.
    # (An anti-join, not INSERT OR IGNORE: DuckDB checks each row's conflict in the key's
    # index one by one, which took 50-170 ms of a commit's hold with 200k traces stored.)
    con.execute(
        "INSERT INTO trace_roots "
        "SELECT DISTINCT ON (trace_id) trace_id, root_id FROM _stage_roots s "
        "WHERE NOT EXISTS (SELECT 1 FROM trace_roots t WHERE t.trace_id = s.trace_id) ORDER BY trace_id"
    )
    for table in ("_stage_spans", "_stage_scores") if scores else ("_stage_spans",):
        con.execute(f"UPDATE {table} SET root_id = t.root_id FROM trace_roots t WHERE {table}.root_id = t.trace_id")
    # Traces of this batch's roots with spans stored under the trace id: fetched, and a
    # table of them (an Arrow view) only when there are some (seldom: most traces come whole).
    rerooted = con.execute(
        """
        SELECT t.trace_id, t.root_id FROM trace_roots t
        WHERE t.trace_id IN (SELECT trace_id FROM _stage_roots)
          AND EXISTS (SELECT 1 FROM spans s WHERE s.root_id = t.trace_id)
        """
    ).fetchall()
    if rerooted:
        con.register("_rerooted", pa.table(list(zip(*rerooted)), schema=ROOTS_ARROW_SCHEMA))
        try:
            for table in ("spans", "scores"):
                con.execute(
                    f"UPDATE {table} SET root_id = r.root_id FROM _rerooted r WHERE {table}.root_id = r.trace_id"
                )
            con.execute("DELETE FROM score_rollup WHERE root_id IN (SELECT trace_id FROM _rerooted)")
            refresh_rollup(store, "SELECT root_id FROM _rerooted")
        finally:
            con.unregister("_rerooted")
    con.unregister("_stage_roots")
