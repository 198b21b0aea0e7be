"""Topic maps in the store: maps, their topics, each root span's assignment, and the
topic x score statistics. Bulk writes go through Arrow; the spans.topic update is one
set-based statement, so a million spans are filed in seconds.

``spans.topic`` holds the *key* of the active map's topic for a conversation and all
its child spans (NULL when unassigned); the original tag stays in ``metadata.topic``.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Sequence

import duckdb
import orjson
import pyarrow as pa

from evaltui.store.db import Store
from evaltui.store.scores import scorer_keys

UNASSIGNED = "(unassigned)"

TOPICS_ARROW_SCHEMA = pa.schema(
    [
        ("topic_id", pa.int32()),
        ("key", pa.string()),
        ("label", pa.string()),
        ("name", pa.string()),
        ("keywords", pa.list_(pa.string())),
        ("size", pa.int64()),
        ("radius", pa.float64()),
        ("centroid", pa.list_(pa.float32())),
        ("group_id", pa.int32()),
    ]
)
GROUPS_ARROW_SCHEMA = pa.schema(
    [
        ("group_id", pa.int32()),
        ("key", pa.string()),
        ("label", pa.string()),
        ("name", pa.string()),
        ("keywords", pa.list_(pa.string())),
        ("size", pa.int64()),
    ]
)
ASSIGNMENTS_ARROW_SCHEMA = pa.schema(
    [("span_id", pa.string()), ("topic_id", pa.int32()), ("distance", pa.float64()), ("method", pa.string())]
)


# -- maps ------------------------------------------------------------------------


def has_active_map(store: Store) -> bool:
    """Cheap: is there a map to assign new spans to?"""
    con = store.con
    return bool(con.execute("SELECT count(*) FROM topic_maps WHERE active").fetchall()[0][0])


def active_map(store: Store) -> dict[str, Any] | None:
    con = store.con
    rows = con.execute(
        "SELECT id, facet, model, params, n_spans, n_topics, created FROM topic_maps WHERE active"
    ).fetchall()
    if not rows:
        return None
    r = rows[0]
    return {
        "id": r[0],
        "facet": r[1],
        "model": r[2],
        "params": orjson.loads(r[3] or "{}"),
        "n_spans": r[4],
        "n_topics": r[5],
        "created": r[6],
    }


def map_topics(store: Store, map_id: int, *, with_centroids: bool = True) -> list[dict[str, Any]]:
    """The topics of a map, by topic_id: key, label, name, keywords, size, radius (and centroid)."""
    con = store.con
    cols = "topic_id, key, label, name, keywords, size, radius, group_id" + (", centroid" if with_centroids else "")
    table = con.sql(f"SELECT {cols} FROM topics WHERE map_id = ? ORDER BY topic_id", params=[map_id]).to_arrow_table()
    return table.to_pylist()


def map_groups(store: Store, map_id: int) -> list[dict[str, Any]]:
    """The groups of a map, by group_id: key, label, name, keywords, size."""
    con = store.con
    return (
        con.sql(
            "SELECT group_id, key, label, name, keywords, size FROM topic_groups WHERE map_id = ? ORDER BY group_id",
            params=[map_id],
        )
        .to_arrow_table()
        .to_pylist()
    )


def all_topic_keys(store: Store) -> set[str]:
    con = store.con
    return {r[0] for r in con.execute("SELECT DISTINCT key FROM topics").fetchall()}


def all_group_keys(store: Store) -> set[str]:
    con = store.con
    return {r[0] for r in con.execute("SELECT DISTINCT key FROM topic_groups").fetchall()}


def save_map(
    store: Store,
    *,
    facet: str,
    model: str,
    params: dict[str, Any],
    topics: pa.Table,
    assignments: pa.Table,
    groups: pa.Table | None = None,
) -> int:
    """Store a new map (topics: TOPICS_ARROW_SCHEMA, assignments: ASSIGNMENTS_ARROW_SCHEMA),
    make it the active one and file every assigned conversation under its topic. One transaction."""
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        map_id = con.execute("SELECT coalesce(max(id), 0) + 1 FROM topic_maps").fetchall()[0][0]
        con.execute("UPDATE topic_maps SET active = false WHERE active").fetchall()
        con.execute(
            "INSERT INTO topic_maps VALUES (?, ?, ?, ?, true, ?, ?, now()::TIMESTAMP)",
            [map_id, facet, model, orjson.dumps(params).decode(), assignments.num_rows, topics.num_rows],
        ).fetchall()
        con.register("_new_topics", topics)
        try:
            con.execute(
                "INSERT INTO topics (map_id, topic_id, key, label, name, keywords, size, radius, centroid, group_id) "
                "SELECT ?, topic_id, key, label, name, keywords, size, radius, centroid, group_id FROM _new_topics",
                [map_id],
            ).fetchall()
        finally:
            con.unregister("_new_topics")
        if groups is not None and groups.num_rows:
            con.register("_new_groups", groups)
            try:
                con.execute(
                    "INSERT INTO topic_groups SELECT ?, group_id, key, label, name, keywords, size FROM _new_groups",
                    [map_id],
                ).fetchall()
            finally:
                con.unregister("_new_groups")
        _insert_assignments(con, map_id, assignments)
        file_spans(store, map_id)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return map_id


def _insert_assignments(con: duckdb.DuckDBPyConnection, map_id: int, assignments: pa.Table) -> None:
    con.register("_new_assignments", assignments)
    try:
        con.execute(
            "INSERT INTO span_topics SELECT ?, span_id, topic_id, distance, method, now()::TIMESTAMP "
            "FROM _new_assignments",
            [map_id],
        ).fetchall()
    finally:
        con.unregister("_new_assignments")


def add_assignments(store: Store, map_id: int, assignments: pa.Table) -> None:
    """Add assignments of new conversations to a map and file them (and their child spans)."""
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        _insert_assignments(con, map_id, assignments)
        con.register("_assigned_roots", assignments.select(["span_id"]))
        try:
            file_spans(store, map_id, roots_table="_assigned_roots")
        finally:
            con.unregister("_assigned_roots")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def file_spans(store: Store, map_id: int, roots_table: str | None = None) -> None:
    """Set spans.topic (and spans.topic_group) of conversations (all in the map, or those in
    ``roots_table``) and their child spans to their topic's (and group's) key; NULL for
    unassigned. Set-based."""
    con = store.con
    only = f"AND st.span_id IN (SELECT span_id FROM {roots_table})" if roots_table else ""
    con.execute(
        f"""
        UPDATE spans SET topic = a.key, topic_group = a.group_key
        FROM (
            SELECT st.span_id AS root_id, t.key, g.key AS group_key
            FROM span_topics st LEFT JOIN topics t ON t.map_id = st.map_id AND t.topic_id = st.topic_id
            LEFT JOIN topic_groups g ON g.map_id = t.map_id AND g.group_id = t.group_id
            WHERE st.map_id = ? {only}
        ) a
        WHERE spans.root_id = a.root_id
        """,
        [map_id],
    ).fetchall()


def unassigned_roots_sql(map_id_param: bool = True) -> str:
    """Root spans not yet placed in the active map (parameter: the map id)."""
    return (
        "SELECT s.* FROM spans s WHERE s.parent_id IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM span_topics st WHERE st.map_id = ? AND st.span_id = s.id)"
    )


def root_texts(store: Store, text_sql: str, *, map_id: int | None = None, limit: int | None = None) -> pa.Table:
    """(span_id, text, text_hash) of root spans: all, or those not yet in map ``map_id``
    (the first ``limit`` by id, when given)."""
    con = store.con
    source = "spans s WHERE s.parent_id IS NULL" if map_id is None else f"({unassigned_roots_sql()}) s WHERE true"
    params = [] if map_id is None else [map_id]
    return con.sql(
        f"""
        SELECT id AS span_id, text, md5(text) AS text_hash FROM (
            SELECT s.id, nullif(trim(regexp_replace(({text_sql}), '\\s+', ' ', 'g')), '') AS text
            FROM {source}
        ) ORDER BY id {"" if limit is None else f"LIMIT {int(limit)}"}
        """,
        params=params,
    ).to_arrow_table()


# -- statistics --------------------------------------------------------------------


def topic_score_rows(
    store: Store, thresholds: dict[str, float], topic: str | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """Per topic (spans.topic of roots): conversations and, per scorer, the number scored,
    the mean and the share failing (score below the scorer's threshold)."""
    con = store.con
    keys = [k for k, _ in scorer_keys(store)]
    where = "" if topic is None else "AND coalesce(s.topic, ?) = ?"
    params: list[Any] = [] if topic is None else [UNASSIGNED, topic]
    per_scorer = pa.table(
        {"scorer_key": keys, "threshold": [float(thresholds.get(k, thresholds.get("default", 0.5))) for k in keys]}
    )
    con.register("_thresholds", per_scorer)
    try:
        rows = con.execute(
            f"""
            WITH roots AS (
                SELECT s.id, coalesce(s.topic, '{UNASSIGNED}') AS topic FROM spans s
                WHERE s.parent_id IS NULL {where}
            ),
            counts AS (SELECT topic, count(*) AS n FROM roots GROUP BY topic),
            scored AS (
                SELECT r.topic, ro.scorer_key, count(ro.score) AS n, avg(ro.score) AS mean,
                       avg(CASE WHEN ro.score < th.threshold THEN 1.0 ELSE 0.0 END) FILTER (WHERE ro.score IS NOT NULL) AS fail
                FROM roots r JOIN score_rollup ro ON ro.span_id = r.id
                JOIN _thresholds th ON th.scorer_key = ro.scorer_key
                GROUP BY r.topic, ro.scorer_key
            )
            SELECT c.topic, c.n, list((sc.scorer_key, sc.n, sc.mean, sc.fail)) FILTER (WHERE sc.scorer_key IS NOT NULL)
            FROM counts c LEFT JOIN scored sc ON sc.topic = c.topic
            GROUP BY c.topic, c.n ORDER BY c.n DESC, c.topic
            """,
            params,
        ).fetchall()
    finally:
        con.unregister("_thresholds")
    out = []
    for topic_key, n, scored in rows:
        by_key = {s[0] if isinstance(s, tuple) else s["scorer_key"]: s for s in (scored or [])}
        scores = {}
        for k in keys:
            s = by_key.get(k)
            if s is None:
                continue
            vals = list(s.values()) if isinstance(s, dict) else list(s)
            scores[k] = {"n": vals[1], "mean": vals[2], "fail_share": vals[3]}
        out.append({"topic": topic_key, "conversations": n, "scores": scores})
    return keys, out


def daily_trend(store: Store, topic: str, keys: Sequence[str]) -> list[dict[str, Any]]:
    """Per day (UTC) for one topic: conversations and the mean of each score."""
    con = store.con
    means = "".join(f", avg(ro.score) FILTER (WHERE ro.scorer_key = ?) AS m{i}" for i in range(len(keys)))
    rows = con.execute(
        f"""
        SELECT CAST(date_trunc('day', s.ts) AS DATE) AS day, count(DISTINCT s.id) {means}
        FROM spans s LEFT JOIN score_rollup ro ON ro.span_id = s.id
        WHERE s.parent_id IS NULL AND coalesce(s.topic, '{UNASSIGNED}') = ?
        GROUP BY day ORDER BY day
        """,
        [*keys, topic],
    ).fetchall()
    return [{"day": r[0].isoformat(), "conversations": r[1], **{k: r[2 + i] for i, k in enumerate(keys)}} for r in rows]


def examples(store: Store, map_id: int, topic_id: int, text_sql: str, limit: int = 5) -> list[dict[str, Any]]:
    """The conversations closest to a topic's centroid: span id, distance, text."""
    con = store.con
    rows = con.execute(
        f"""
        SELECT s.id, st.distance, {text_sql} AS text
        FROM span_topics st JOIN spans s ON s.id = st.span_id
        WHERE st.map_id = ? AND st.topic_id = ? AND st.distance IS NOT NULL
        ORDER BY st.distance, s.id LIMIT ?
        """,
        [map_id, topic_id, limit],
    ).fetchall()
    return [{"span_id": r[0], "distance": r[1], "text": r[2]} for r in rows]


def dominant_tag(store: Store, topic: str) -> str | None:
    """The most common ``metadata.topic`` tag among a topic's conversations."""
    rows = store.con.execute(
        "SELECT json_extract_string(metadata, '$.topic') AS tag, count(*) AS n FROM spans "
        "WHERE parent_id IS NULL AND topic = ? GROUP BY tag ORDER BY n DESC, tag LIMIT 1",
        [topic],
    ).fetchall()
    return rows[0][0] if rows else None


def means_before_and_after(store: Store, topic: str, since: str, keys: Sequence[str]) -> dict[bool, tuple[Any, ...]]:
    """Of the topic's conversations before and after ``since`` (False / True): each
    scorer key's mean score, then how many conversations (a side without any is absent)."""
    means = ", ".join("avg(r.score) FILTER (WHERE r.scorer_key = ?)" for _ in keys)
    rows = store.con.execute(
        f"""
        SELECT s.ts >= CAST(? AS TIMESTAMP) AS after, {means}, count(DISTINCT s.id)
        FROM spans s JOIN score_rollup r ON r.span_id = s.id
        WHERE s.parent_id IS NULL AND s.topic = ? GROUP BY after
        """,
        [since, *keys, topic],
    ).fetchall()
    return {bool(row[0]): tuple(row[1:]) for row in rows}
