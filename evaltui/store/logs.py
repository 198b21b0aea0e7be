"""Reading spans: filtered pages (keyset paging), counts and per-topic statistics.

Everything is computed in DuckDB and returned as Arrow, so a caller showing one
page of a million spans only ever holds that page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from evaltui.store.db import Store, StoreError
from evaltui.store.filters import CompiledFilter, FilterError, compile_filter
from evaltui.store.scores import scorer_keys


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the (ts, id) of its last row, newest first."""

    ts: datetime
    id: str


PAGE_COLUMNS = (
    "s.id, s.root_id, s.parent_id, s.name, s.span_type, s.ts, s.topic, "
    "s.input, s.output, s.expected, s.error, s.metadata, s.tags, s.metrics, s.source"
)


def _scope(roots_only: bool) -> str:
    return "s.parent_id IS NULL" if roots_only else "true"


def page_sql(compiled: CompiledFilter, *, roots_only: bool, after: Cursor | None, limit: int) -> tuple[str, list[Any]]:
    """The SQL of one page of matching spans with their score roll-up."""
    params: list[Any] = [*compiled.join_params, *compiled.params]
    keyset = ""
    if after is not None:
        keyset = "AND (s.ts < ? OR (s.ts = ? AND s.id < ?))"
        params += [after.ts, after.ts, after.id]
    params.append(limit)
    sql = f"""
        WITH page AS (
            SELECT {PAGE_COLUMNS}
            FROM {compiled.from_sql}
            WHERE {_scope(roots_only)} AND ({compiled.where}) {keyset}
            ORDER BY s.ts DESC, s.id DESC
            LIMIT ?
        ),
        page_scores AS (
            SELECT r.span_id, map_from_entries(list((r.scorer_key, r.score) ORDER BY r.scorer_key)) AS scores
            FROM score_rollup r WHERE r.span_id IN (SELECT id FROM page)
            GROUP BY r.span_id
        )
        SELECT page.*, coalesce(ps.scores, MAP {{}}) AS scores
        FROM page LEFT JOIN page_scores ps ON ps.span_id = page.id
        ORDER BY page.ts DESC, page.id DESC
    """
    return sql, params


def query_page(
    store: Store,
    where: str | None = None,
    *,
    limit: int = 50,
    after: Cursor | None = None,
    roots_only: bool = True,
) -> pa.Table:
    """One page of spans matching ``where``, newest first; pass the last row's Cursor for the next."""
    compiled = compile_filter(where)
    sql, params = page_sql(compiled, roots_only=roots_only, after=after, limit=limit)
    return _run(store.con, sql, params, where, arrow=True)


def next_cursor(page: pa.Table) -> Cursor | None:
    if page.num_rows == 0:
        return None
    last = page.slice(page.num_rows - 1).to_pylist()[0]
    return Cursor(last["ts"], last["id"])


def count(store: Store, where: str | None = None, *, roots_only: bool = True) -> int:
    compiled = compile_filter(where)
    sql = f"SELECT count(*) FROM {compiled.from_sql} WHERE {_scope(roots_only)} AND ({compiled.where})"
    return _run(store.con, sql, [*compiled.join_params, *compiled.params], where).fetchall()[0][0]


def topic_stats(store: Store, where: str | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    """Per topic: conversations and the mean of each score. Returns (scorer keys, rows)."""
    compiled = compile_filter(where)
    keys = [k for k, _ in scorer_keys(store.con)]
    means = ", ".join(f"avg(r.score) FILTER (WHERE r.scorer_key = ?) AS m{i}" for i in range(len(keys)))
    sql = f"""
        WITH matched AS (
            SELECT s.id, coalesce(s.topic, '(unassigned)') AS topic
            FROM {compiled.from_sql}
            WHERE s.parent_id IS NULL AND ({compiled.where})
        )
        SELECT m.topic, count(DISTINCT m.id) AS conversations {', ' + means if keys else ''}
        FROM matched m LEFT JOIN score_rollup r ON r.span_id = m.id
        GROUP BY m.topic ORDER BY conversations DESC, m.topic
    """
    params = [*compiled.join_params, *compiled.params, *keys]
    rows = []
    for row in _run(store.con, sql, params, where).fetchall():
        item = {"topic": row[0], "conversations": row[1]}
        item.update({k: row[2 + i] for i, k in enumerate(keys)})
        rows.append(item)
    return keys, rows


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any], where: str | None, *, arrow: bool = False):
    try:
        if arrow:
            return con.sql(sql, params=params).to_arrow_table()
        return con.execute(sql, params)
    except duckdb.ConversionException as exc:
        raise FilterError(f"a value does not fit its field ({str(exc).splitlines()[0]})", 0, where or "") from None
    except duckdb.Error as exc:
        raise StoreError(f"query failed: {str(exc).splitlines()[0]}") from None
