"""Reading spans: filtered pages (keyset paging), counts and per-topic statistics.

Everything is computed in DuckDB and returned as Arrow, so a caller showing one
page of a million spans only ever holds that page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb

from evaltui.store.db import Store, StoreError
from evaltui.model import scorer_key
from evaltui.store.filters import CompiledFilter, FilterError, compile_filter
from evaltui.store.scores import scorer_keys

if TYPE_CHECKING:  # pyarrow (and numpy) load only for callers that want Arrow
    import pyarrow as pa


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the (ts, id) of its last row, newest first.

    For another sort (``query_page(sort=...)``) ``value`` holds the last row's sort
    value, so the next page starts after (value, id) whatever the column.
    """

    ts: datetime | None
    id: str
    value: Any = None


# Columns a page can be sorted by (filter-language names), besides scores.NAME.
SORT_COLUMNS = {
    "ts": "s.ts",
    "time": "s.ts",
    "topic": "s.topic",
    "id": "s.id",
    "name": "s.name",
    # The preview a person reads: the last message of a chat history, else the text.
    "input": "coalesce(json_extract_string(s.input, '$[#-1].content'), s.input ->> '$')",
    "output": "(s.output ->> '$')",
}


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_\-]+")


def _sort_expr(sort: str) -> tuple[str, str, list[Any]]:
    """(expression, extra join, join params) for a sort column name."""
    head, _, rest = sort.partition(".")
    if head.lower() in ("scores", "score") and rest:
        return (
            "srt.score",
            "LEFT JOIN score_rollup srt ON srt.span_id = s.id AND srt.scorer_key = ?",
            [scorer_key(rest.strip('"'))],
        )
    if sort.lower() in SORT_COLUMNS:
        return SORT_COLUMNS[sort.lower()], "", []
    # A chosen column: metrics sort as numbers, metadata as text. The key is spliced into
    # the JSON path, so only plain keys are accepted.
    if head in ("metrics", "metadata") and _PLAIN_KEY.fullmatch(rest):
        if head == "metrics":
            return f"TRY_CAST(json_extract(s.metrics, '$.\"{rest}\"') AS DOUBLE)", "", []
        return f"json_extract_string(s.metadata, '$.\"{rest}\"')", "", []
    raise FilterError(
        f"cannot sort by {sort!r}; sort by ts, topic, input, output, id, name, scores.NAME, "
        "metrics.KEY or metadata.KEY",
        0,
        sort,
    )


def check_sort(sort: str) -> None:
    """Raise FilterError when the log browser cannot sort by ``sort``."""
    _sort_expr(sort)


PAGE_COLUMNS = (
    "s.id, s.root_id, s.parent_id, s.name, s.span_type, s.ts, s.topic, "
    "s.input, s.output, s.expected, s.error, s.metadata, s.tags, s.metrics, s.source"
)


def _scope(roots_only: bool) -> str:
    return "s.parent_id IS NULL" if roots_only else "true"


def page_sql(
    compiled: CompiledFilter,
    *,
    roots_only: bool,
    after: Cursor | None,
    limit: int,
    sort: str = "ts",
    descending: bool = True,
    backward: bool = False,
) -> tuple[str, list[Any]]:
    """The SQL of one page of matching spans with their score roll-up.

    Rows are ordered by (sort value missing, sort value, id): keyset paging stays exact
    for any column, ties and missing values included. Other sorts than ``ts`` add a
    ``sort_value`` column that ``next_cursor`` reads.
    """
    key, sort_join, sort_params = _sort_expr(sort)
    params: list[Any] = [*compiled.join_params, *sort_params, *compiled.params]
    flip = {"DESC": "ASC", "ASC": "DESC"}
    direction = "DESC" if descending else "ASC"
    # Reading backward (the page before a cursor, or the last page) walks the exact
    # reverse order and the outer query turns the rows back round.
    inner_dir = flip[direction] if backward else direction
    inner_nulls = "DESC" if backward else "ASC"
    op = "<" if inner_dir == "DESC" else ">"
    keyset = ""
    if after is not None:
        value = after.ts if key == "s.ts" else after.value
        if value is None and not backward:
            keyset = f"AND ({key} IS NULL AND s.id {op} ?)"
            params += [after.id]
        elif value is None:
            keyset = f"AND ({key} IS NOT NULL OR s.id {op} ?)"
            params += [after.id]
        elif not backward:
            keyset = f"AND ({key} IS NULL OR {key} {op} ? OR ({key} = ? AND s.id {op} ?))"
            params += [value, value, after.id]
        else:
            keyset = f"AND ({key} IS NOT NULL AND ({key} {op} ? OR ({key} = ? AND s.id {op} ?)))"
            params += [value, value, after.id]
    params.append(limit)
    extra = "" if key == "s.ts" else f", {key} AS sort_value"
    inner_order = f"({key} IS NULL) {inner_nulls}, {key} {inner_dir}, s.id {inner_dir}"
    k = "page.ts" if key == "s.ts" else "page.sort_value"
    outer_order = f"({k} IS NULL), {k} {direction}, page.id {direction}"
    # Late materialisation: order and cut the narrow (rowid, sort key) first, then read
    # the wide JSON columns of those rows only (~10x faster on a million spans).
    sql = f"""
        WITH keys AS (
            SELECT s.rowid AS _rid{extra}
            FROM {compiled.from_sql} {sort_join}
            WHERE {_scope(roots_only)} AND ({compiled.where}) {keyset}
            ORDER BY {inner_order}
            LIMIT ?
        ),
        page AS (
            SELECT {PAGE_COLUMNS}{", keys.sort_value" if extra else ""}
            FROM keys JOIN spans s ON s.rowid = keys._rid
        ),
        page_scores AS (
            SELECT r.span_id, map_from_entries(list((r.scorer_key, r.score) ORDER BY r.scorer_key)) AS scores
            FROM score_rollup r WHERE r.span_id IN (SELECT id FROM page)
            GROUP BY r.span_id
        )
        SELECT page.*, coalesce(ps.scores, MAP {{}}) AS scores
        FROM page LEFT JOIN page_scores ps ON ps.span_id = page.id
        ORDER BY {outer_order}
    """
    return sql, params


def query_page(
    store: Store,
    where: str | None = None,
    *,
    limit: int = 50,
    after: Cursor | None = None,
    roots_only: bool = True,
    sort: str = "ts",
    descending: bool = True,
    backward: bool = False,
) -> pa.Table:
    """One page of spans matching ``where``, newest first; pass the last row's Cursor for the next.

    ``sort`` names a column (``ts``, ``topic``, ``input``, ``output``, ``id``, ``name``,
    ``scores.NAME``); spans without a value come last in either direction.
    ``backward=True`` returns the ``limit`` rows *before* ``after`` (the last page when
    ``after`` is None), still in display order.
    """
    sql, params = page_sql(
        compile_filter(where),
        roots_only=roots_only,
        after=after,
        limit=limit,
        sort=sort,
        descending=descending,
        backward=backward,
    )
    return _run(store.con, sql, params, where, arrow=True)


def query_rows(
    store: Store,
    where: str | None = None,
    *,
    limit: int = 50,
    after: Cursor | None = None,
    roots_only: bool = True,
    sort: str = "ts",
    descending: bool = True,
    backward: bool = False,
) -> list[dict[str, Any]]:
    """``query_page`` as plain dicts (``scores`` a dict), without loading pyarrow: what an
    interactive browser wants for its first page."""
    sql, params = page_sql(
        compile_filter(where),
        roots_only=roots_only,
        after=after,
        limit=limit,
        sort=sort,
        descending=descending,
        backward=backward,
    )
    cur = _run(store.con, sql, params, where)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def next_cursor(page: pa.Table, row: int | None = None) -> Cursor | None:
    """The cursor after ``row`` of ``page`` (its last row by default)."""
    if page.num_rows == 0:
        return None
    last = page.slice(page.num_rows - 1 if row is None else row, 1).to_pylist()[0]
    return Cursor(last["ts"], last["id"], last.get("sort_value"))


def count(store: Store, where: str | None = None, *, roots_only: bool = True) -> int:
    compiled = compile_filter(where)
    sql = f"SELECT count(*) FROM {compiled.from_sql} WHERE {_scope(roots_only)} AND ({compiled.where})"
    return _run(store.con, sql, [*compiled.join_params, *compiled.params], where).fetchall()[0][0]


def topic_stats(store: Store, where: str | None = None, level: str = "topic") -> tuple[list[str], list[dict[str, Any]]]:
    """Per topic (``level="group"``: per group of topics): conversations and the mean of
    each score. Returns (scorer keys, rows)."""
    column = {"topic": "topic", "group": "topic_group"}[level]
    compiled = compile_filter(where)
    keys = [k for k, _ in scorer_keys(store)]
    means = ", ".join(f"avg(r.score) FILTER (WHERE r.scorer_key = ?) AS m{i}" for i in range(len(keys)))
    sql = f"""
        WITH matched AS (
            SELECT s.id, coalesce(s.{column}, '(unassigned)') AS topic
            FROM {compiled.from_sql}
            WHERE s.parent_id IS NULL AND ({compiled.where})
        )
        SELECT m.topic, count(DISTINCT m.id) AS conversations {", " + means if keys else ""}
        FROM matched m LEFT JOIN score_rollup r ON r.span_id = m.id
        GROUP BY m.topic ORDER BY conversations DESC, m.topic
    """
    return keys, _stat_rows(store, sql, compiled, keys, where, "topic")


def _stat_rows(
    store: Store, sql: str, compiled: Any, keys: list[str], where: str | None, name: str
) -> list[dict[str, Any]]:
    """Rows of (name, conversations, one mean per scorer key) as dicts."""
    params = [*compiled.join_params, *compiled.params, *keys]
    rows = []
    for row in _run(store.con, sql, params, where).fetchall():
        item = {name: row[0], "conversations": row[1]}
        item.update({k: row[2 + i] for i, k in enumerate(keys)})
        rows.append(item)
    return rows


def group_stats(store: Store, where: str | None, key: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Conversations matching ``where`` grouped by metadata ``key``: per value, the
    conversations and the mean of each score, largest group first (no value: None)."""
    if not _PLAIN_KEY.fullmatch(key):
        raise FilterError(f"cannot group by metadata key {key!r}: letters, digits, _ and - only", 0, key)
    compiled = compile_filter(where)
    keys = [k for k, _ in scorer_keys(store)]
    means = ", ".join(f"avg(r.score) FILTER (WHERE r.scorer_key = ?) AS m{i}" for i in range(len(keys)))
    sql = f"""
        WITH matched AS (
            SELECT s.id, json_extract_string(s.metadata, '$."{key}"') AS value
            FROM {compiled.from_sql}
            WHERE s.parent_id IS NULL AND ({compiled.where})
        )
        SELECT m.value, count(DISTINCT m.id) AS conversations {", " + means if keys else ""}
        FROM matched m LEFT JOIN score_rollup r ON r.span_id = m.id
        GROUP BY m.value ORDER BY conversations DESC, m.value NULLS LAST
    """
    return keys, _stat_rows(store, sql, compiled, keys, where, "value")


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any], where: str | None, *, arrow: bool = False):
    try:
        if arrow:
            return con.sql(sql, params=params).to_arrow_table()
        return con.execute(sql, params)
    except duckdb.ConversionException as exc:
        raise FilterError(f"a value does not fit its field ({str(exc).splitlines()[0]})", 0, where or "") from None
    except duckdb.Error as exc:
        raise StoreError(f"query failed: {str(exc).splitlines()[0]}") from None


def newest_with_scores(
    store: Store, ids: list[str], *, limit: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Of the spans ``ids``: the newest ``limit`` as (id, ts, topic), and every score of
    each in the roll-up as (span_id, scorer_key, score), by scorer key."""
    import pyarrow as pa

    con = store.con
    con.register("_wanted_ids", pa.table({"id": pa.array(ids, pa.string())}))
    try:
        spans = con.execute(
            """
            SELECT s.id, s.ts, s.topic FROM spans s JOIN _wanted_ids b ON b.id = s.id
            ORDER BY s.ts DESC NULLS LAST, s.id DESC LIMIT ?
            """,
            [limit],
        ).fetchall()
        scores = con.execute(
            "SELECT r.span_id, r.scorer_key, r.score FROM score_rollup r JOIN _wanted_ids b ON b.id = r.span_id "
            "ORDER BY r.scorer_key"
        ).fetchall()
    finally:
        con.unregister("_wanted_ids")
    return spans, scores


def span_outputs(store: Store, ids: list[str]) -> dict[str, Any]:
    """The output of each of the spans ``ids`` (its JSON as text), by id."""
    return dict(store.con.execute("SELECT id, output->>'$' FROM spans WHERE list_contains(?, id)", [ids]).fetchall())
