"""Queries behind the interactive browser: pages with cursors, the topic overview,
one trace, human labels, and completion words (experiments and diffs are in
``browse_experiments``). Plain data out, no UI: the TUI is one caller.

Every function takes an open Store. ``reading(path)`` opens one for the length of a
query and closes it again, so a long-lived browser never keeps the DuckDB file locked
and `evaltui ingest` in another terminal can take its turn between queries.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterator

from evaltui.jsondepth import loads_stored
from evaltui.output import preview
from evaltui.store.db import Store, StoreError
from evaltui.store.filters import compile_filter, field_names
from evaltui.store.logs import Cursor, _run, count, next_cursor, query_rows
from evaltui.store.overview import TopicOverview, TopicRow, rank_where_it_hurts
from evaltui.store.scores import scorer_keys

UNASSIGNED = "(unassigned)"
COLUMN_KEY = re.compile(r"[A-Za-z0-9_\-]+")  # metadata/metrics keys a column (and a sort) can name


@contextmanager
def reading(path: str | os.PathLike[str], lock_timeout: float = 5.0, memory_limit: str = "256MB") -> Iterator[Store]:
    """A read-only Store for one query; waits up to ``lock_timeout`` s for a writer.

    ``memory_limit`` caps DuckDB's buffers so a browser stays small next to the writers.
    """
    try:
        store = Store(path, read_only=True, lock_timeout=lock_timeout)
    except StoreError as exc:
        # An eval run (or a save) in this process holds the file read-write: DuckDB lets
        # this process in only with the same configuration, and shares the instance.
        if "different configuration" not in str(exc):
            raise
        yield from _shared(path, lock_timeout)
        return
    try:
        store.con.execute(f"SET memory_limit = '{memory_limit}'").fetchall()
    except Exception:
        store.close()
        raise
    try:
        yield store
    finally:
        store.close()


def _shared(path: str | os.PathLike[str], lock_timeout: float) -> Iterator[Store]:
    store = Store(path, lock_timeout=lock_timeout)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def writing(path: str | os.PathLike[str], lock_timeout: float = 5.0) -> Iterator[Store]:
    """A read-write Store for one short write (a save, a label); waits for other writers.

    Opening read-write while this process has the file open read-only fails at once in
    DuckDB, so that case is retried until ``lock_timeout``."""
    import time

    deadline = time.monotonic() + lock_timeout
    while True:
        try:
            store = Store(path, lock_timeout=lock_timeout)
            break
        except StoreError as exc:
            if "different configuration" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    try:
        yield store
    finally:
        store.close()


def data_stamp(path: str | os.PathLike[str]) -> tuple[int, ...]:
    """Changes when another process writes the file (its WAL included); never opens it."""
    stamp: list[int] = []
    for p in (Path(path), Path(f"{path}.wal")):
        try:
            st = p.stat()
            stamp += [st.st_mtime_ns, st.st_size]
        except OSError:
            stamp += [0, 0]
    return tuple(stamp)


# -- pages of spans --------------------------------------------------------------


@dataclass
class SpanRow:
    """One row of the log browser."""

    id: str
    root_id: str
    ts: datetime | None
    topic: str | None
    preview: str
    scores: dict[str, float | None]
    cursor: Cursor
    metadata: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    def value(self, column: str) -> Any:
        """A chosen column's value: ``metadata.KEY`` or ``metrics.KEY`` (None when absent)."""
        head, _, key = column.partition(".")
        source = self.metadata if head == "metadata" else self.metrics if head == "metrics" else {}
        return source.get(key) if isinstance(source, dict) else None


@dataclass
class SpanPage:
    """A window of rows in display order and whether more rows lie before/after it."""

    rows: list[SpanRow]
    more_before: bool
    more_after: bool


def fetch_page(
    store: Store,
    where: str | None = None,
    *,
    sort: str = "ts",
    descending: bool = True,
    after: Cursor | None = None,
    backward: bool = False,
    limit: int = 100,
    roots_only: bool = True,
) -> SpanPage:
    """``limit`` rows after ``after`` (or, with ``backward``, before it; the last page
    when ``after`` is None), each with its own cursor for paging and next/previous."""
    raws = query_rows(
        store, where, limit=limit + 1, after=after, roots_only=roots_only,
        sort=sort, descending=descending, backward=backward,
    )
    extra = len(raws) > limit
    if extra:  # the look-ahead row tells whether there is more; drop it
        raws = raws[1:] if backward else raws[:limit]
    rows = []
    for raw in raws:
        rows.append(
            SpanRow(
                id=raw["id"], root_id=raw["root_id"], ts=raw["ts"], topic=raw["topic"],
                preview=preview(raw["input"], 200), scores=dict(raw["scores"] or {}),
                cursor=Cursor(raw["ts"], raw["id"], raw.get("sort_value")),
                metadata=_object(raw.get("metadata")), metrics=_object(raw.get("metrics")),
            )
        )
    if backward:
        return SpanPage(rows, more_before=extra, more_after=after is not None)
    return SpanPage(rows, more_before=after is not None, more_after=extra)


def _object(text: str | None) -> dict[str, Any]:
    value = _json(text)
    return value if isinstance(value, dict) else {}


def column_choices(store: Store) -> list[str]:
    """Columns the log browser can add: every metrics and metadata key of the
    conversations (from a sample of them), metrics first."""
    out = []
    for column in ("metrics", "metadata"):
        rows = store.con.execute(
            f"""
            SELECT DISTINCT unnest(json_keys({column})) AS k
            FROM (SELECT {column} FROM spans WHERE parent_id IS NULL AND {column} IS NOT NULL
                  AND json_type({column}) = 'OBJECT' LIMIT 2000)
            ORDER BY k
            """
        ).fetchall()
        out += [f"{column}.{k}" for (k,) in rows if k and COLUMN_KEY.fullmatch(k)]
    return out


def neighbour(
    store: Store,
    where: str | None,
    cursor: Cursor,
    *,
    step: int,
    sort: str = "ts",
    descending: bool = True,
) -> SpanRow | None:
    """The conversation after (step=1) or before (step=-1) ``cursor`` in the filter's order."""
    page = fetch_page(store, where, sort=sort, descending=descending, after=cursor, backward=step < 0, limit=1)
    return page.rows[0] if page.rows else None


def total(store: Store, where: str | None = None) -> int:
    """Conversations matching ``where``."""
    return count(store, where)


def scorers(store: Store) -> list[str]:
    """Machine scorer keys, in a stable order (the log browser's score columns)."""
    return [k for k, _ in scorer_keys(store.con)]


def topic_filter(topic: str) -> str:
    """The filter that selects one topic of the overview."""
    if topic == UNASSIGNED:
        return "topic is null"
    return 'topic = "' + topic.replace("\\", "\\\\").replace('"', '\\"') + '"'


def group_filter(group: str) -> str:
    """The filter that selects one group of topics."""
    return 'group = "' + group.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- the topic overview ------------------------------------------------------------


def topic_sizes(
    store: Store,
    threshold: Callable[[str], float] = lambda _key: 0.5,
    where: str | None = None,
) -> TopicOverview:
    """The cheap part of ``topic_overview``: each topic's conversations and daily volume,
    largest first, without scores (``complete`` is False). One scan of the root spans,
    so a browser can show the topics while the scores are aggregated."""
    compiled = compile_filter(where)
    keys = scorers(store)
    sql = f"""
        SELECT coalesce(s.topic, '{UNASSIGNED}') AS topic, CAST(s.ts AS DATE) AS day, count(*) AS n,
               any_value(s.topic_group) AS grp
        FROM {compiled.from_sql}
        WHERE s.parent_id IS NULL AND ({compiled.where})
        GROUP BY ALL
    """
    result = _run(store.con, sql, [*compiled.join_params, *compiled.params], where).fetchall()
    days = _day_range({d for _, d, _, _ in result if d is not None})
    index = {d: i for i, d in enumerate(days)}
    sizes: dict[str, int] = {}
    daily: dict[str, list[int]] = {}
    group: dict[str, str | None] = {}
    for topic, day, n, grp in result:
        group[topic] = group.get(topic) or grp
        sizes[topic] = sizes.get(topic, 0) + n
        per_day = daily.setdefault(topic, [0] * len(days))
        if day is not None:
            per_day[index[day]] += n
    rows = [
        TopicRow(t, n, 0, {k: None for k in keys}, {k: None for k in keys}, daily[t], [0] * len(days), group[t])
        for t, n in sorted(sizes.items(), key=lambda item: (-item[1], item[0]))
    ]
    return TopicOverview(keys, {k: float(threshold(k)) for k in keys}, days, rows, complete=False,
                         group_labels=_group_labels(store))


def _group_labels(store: Store) -> dict[str, str]:
    """The active map's group keys and readable names."""
    return {k: n or label or k for k, label, n in store.con.execute(
        "SELECT g.key, g.label, g.name FROM topic_groups g JOIN topic_maps m ON m.id = g.map_id WHERE m.active"
    ).fetchall()}


def topic_overview(
    store: Store,
    threshold: Callable[[str], float] = lambda _key: 0.5,
    where: str | None = None,
) -> TopicOverview:
    """Per topic: size, mean and failing share of each score, failing conversations,
    and a daily trend; everything aggregated in DuckDB."""
    compiled = compile_filter(where)
    keys = scorers(store)
    thresholds = {k: float(threshold(k)) for k in keys}
    per_key = "".join(
        f", max(r.score) FILTER (WHERE r.scorer_key = ?) AS s{i}" for i in range(len(keys))
    )
    aggregates = "".join(
        f", avg(s{i}) AS m{i}, avg(CASE WHEN s{i} < ? THEN 1.0 ELSE 0.0 END) FILTER (WHERE s{i} IS NOT NULL) AS f{i}"
        for i in range(len(keys))
    )
    thr_rows = ", ".join("(?, ?)" for _ in keys) or "(NULL, NULL)"
    sql = f"""
        WITH matched AS (
            SELECT s.id, coalesce(s.topic, '{UNASSIGNED}') AS topic, CAST(s.ts AS DATE) AS day,
                   s.topic_group AS grp
            FROM {compiled.from_sql}
            WHERE s.parent_id IS NULL AND ({compiled.where})
        ),
        thr AS (SELECT * FROM (VALUES {thr_rows}) t(scorer_key, threshold)),
        conv AS (
            SELECT m.id, m.topic, m.day, any_value(m.grp) AS grp,
                   coalesce(bool_or(r.score < CAST(thr.threshold AS DOUBLE)), false) AS failing
                   {per_key}
            FROM matched m
            LEFT JOIN score_rollup r ON r.span_id = m.id
            LEFT JOIN thr ON thr.scorer_key = r.scorer_key
            GROUP BY m.id, m.topic, m.day
        ),
        daily AS (
            SELECT topic, day, count(*) AS n, count(*) FILTER (WHERE failing) AS nf
            FROM conv GROUP BY topic, day
        ),
        trend AS (
            SELECT topic, list(day ORDER BY day) AS days, list(n ORDER BY day) AS ns,
                   list(nf ORDER BY day) AS nfs
            FROM daily WHERE day IS NOT NULL GROUP BY topic
        ),
        topics AS (
            SELECT topic, count(*) AS conversations, count(*) FILTER (WHERE failing) AS failing {aggregates},
                   any_value(grp) AS grp
            FROM conv GROUP BY topic
        )
        SELECT topics.*, trend.days, trend.ns, trend.nfs
        FROM topics LEFT JOIN trend USING (topic)
        ORDER BY failing DESC, conversations DESC, topic
    """
    # Placeholders in text order: matched (join + where), thr, per_key, aggregates.
    params: list[Any] = [
        *compiled.join_params, *compiled.params,
        *[x for k in keys for x in (k, thresholds[k])],
        *keys,
        *[thresholds[k] for k in keys],
    ]
    result = _run(store.con, sql, params, where).fetchall()
    all_days: set[date] = set()
    for row in result:
        all_days.update(row[-3] or [])
    days = _day_range(all_days)
    index = {d: i for i, d in enumerate(days)}
    rows = []
    for row in result:
        topic, n, failing = row[0], row[1], row[2]
        means = {k: row[3 + 2 * i] for i, k in enumerate(keys)}
        shares = {k: row[4 + 2 * i] for i, k in enumerate(keys)}
        daily, daily_failing = [0] * len(days), [0] * len(days)
        for d, c, cf in zip(row[-3] or [], row[-2] or [], row[-1] or []):
            daily[index[d]], daily_failing[index[d]] = c, cf
        rows.append(TopicRow(topic, n, failing, means, shares, daily, daily_failing, row[3 + 2 * len(keys)]))
    return TopicOverview(keys, thresholds, days, rank_where_it_hurts(rows), group_labels=_group_labels(store))


def _day_range(days: set[date]) -> list[date]:
    if not days:
        return []
    first, last = min(days), max(days)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# -- one trace ---------------------------------------------------------------------


@dataclass
class ScoreDetail:
    scorer: str
    scorer_key: str
    score: float | None
    label: str | None
    rationale: str | None
    source: str
    scorer_version: str
    created: datetime | None


@dataclass
class TraceSpan:
    id: str
    parent_id: str | None
    name: str | None
    span_type: str | None
    ts: datetime | None
    input: Any
    output: Any
    expected: Any
    error: str | None
    metadata: dict[str, Any]
    tags: list[str]
    metrics: dict[str, Any]
    scores: list[ScoreDetail] = field(default_factory=list)


@dataclass
class Trace:
    root: TraceSpan
    topic: str | None
    children: list[TraceSpan]  # in time order
    rollup: dict[str, float | None]  # the root's score per scorer (own or mean over turns)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The conversation as (role, content) messages: the root's history plus its reply."""
        history = self.root.input if isinstance(self.root.input, list) else []
        out = [m for m in history if isinstance(m, dict)]
        if self.root.output is not None:
            out.append({"role": "assistant", "content": self.root.output})
        return out


def _json(text: str | None) -> Any:
    return loads_stored(text)


def load_trace(store: Store, root_id: str) -> Trace | None:
    """A conversation with every span, each span's scores (labels, rationales) and metrics."""
    spans = store.con.execute(
        """
        SELECT id, parent_id, name, span_type, ts, input, output, expected, error, metadata,
               tags, metrics, topic
        FROM spans WHERE root_id = ?
        ORDER BY (parent_id IS NOT NULL), ts, id
        """,
        [root_id],
    ).fetchall()
    if not spans:
        return None
    scores = store.con.execute(
        """
        SELECT target_id, scorer, scorer_key, score, label, rationale, source, scorer_version, created
        FROM scores WHERE root_id = ? ORDER BY scorer_key, created
        """,
        [root_id],
    ).fetchall()
    rollup = dict(
        store.con.execute(
            "SELECT scorer_key, score FROM score_rollup WHERE span_id = ? ORDER BY scorer_key", [root_id]
        ).fetchall()
    )
    by_id: dict[str, TraceSpan] = {}
    topic = None
    for r in spans:
        by_id[r[0]] = TraceSpan(
            id=r[0], parent_id=r[1], name=r[2], span_type=r[3], ts=r[4], input=_json(r[5]),
            output=_json(r[6]), expected=_json(r[7]), error=r[8], metadata=_json(r[9]) or {},
            tags=list(r[10] or []), metrics=_json(r[11]) or {},
        )
        if r[1] is None:
            topic = r[12]
    for target, scorer, key, score, label, rationale, source, version, created in scores:
        if target in by_id:
            kept = by_id[target].scores
            if source == "human":  # a relabel replaces the label: only the latest shows (rows in time order)
                kept[:] = [s for s in kept if not (s.source == "human" and s.scorer_key == key)]
            kept.append(ScoreDetail(scorer, key, score, label, rationale, source, version, created))
    ordered = list(by_id.values())
    root = next((s for s in ordered if s.id == root_id), ordered[0])
    return Trace(root, topic, [s for s in ordered if s is not root], rollup)


# -- completion ----------------------------------------------------------------------


def completion_words(store: Store) -> list[str]:
    """Words a filter bar can complete: fields, scorer and label names, metadata keys."""
    keys = scorers(store)
    words = [w for w in field_names() if not w.endswith(".")]
    words += [f"scores.{k}" for k in keys] + [f"labels.{k}" for k in keys]
    meta = store.con.execute(
        """
        SELECT DISTINCT unnest(json_keys(metadata)) AS k
        FROM (SELECT metadata FROM spans WHERE parent_id IS NULL AND metadata IS NOT NULL LIMIT 2000)
        ORDER BY k
        """
    ).fetchall()
    words += [f"metadata.{k}" for (k,) in meta if k and k.replace("_", "").isalnum()]
    words += ["and", "or", "not", "in", "is null", "is not null"]
    return words


def topic_names(store: Store, limit: int = 500) -> list[str]:
    rows = store.con.execute(
        "SELECT topic FROM spans WHERE parent_id IS NULL AND topic IS NOT NULL "
        "GROUP BY topic ORDER BY count(*) DESC LIMIT ?",
        [limit],
    ).fetchall()
    return [t for (t,) in rows]


# -- human labels ----------------------------------------------------------------------


def human_labels_of(store: Store, target_ids: list[str]) -> dict[str, dict[str, str | None]]:
    """``human_labels`` for many targets in one query: target id -> scorer key -> label."""
    out: dict[str, dict[str, str | None]] = {}
    if not target_ids:
        return out
    rows = store.con.execute(
        "SELECT target_id, scorer_key, arg_max(coalesce(label, CAST(score AS VARCHAR)), created) FROM scores "
        "WHERE list_contains(?, target_id) AND source = 'human' GROUP BY target_id, scorer_key "
        "ORDER BY target_id, scorer_key", [target_ids]).fetchall()
    for target, key, label in rows:
        out.setdefault(target, {})[key] = label
    return out


def human_labels(store: Store, target_id: str) -> dict[str, str | None]:
    """A target's latest human label per scorer key."""
    rows = store.con.execute(
        "SELECT scorer_key, arg_max(coalesce(label, CAST(score AS VARCHAR)), created) FROM scores "
        "WHERE target_id = ? AND source = 'human' GROUP BY scorer_key ORDER BY scorer_key", [target_id]).fetchall()
    return dict(rows)


def trace_label_targets(store: Store, root_id: str) -> dict[str, list[str]]:
    """Per machine scorer key: the spans of this trace it scored (what a human label of
    that scorer attaches to), in time order."""
    rows = store.con.execute(
        "SELECT sc.scorer_key, sc.target_id FROM scores sc JOIN spans sp ON sp.id = sc.target_id "
        "WHERE sc.root_id = ? AND sc.source <> 'human' GROUP BY sc.scorer_key, sc.target_id "
        "ORDER BY sc.scorer_key, min(sp.ts), sc.target_id", [root_id]).fetchall()
    out: dict[str, list[str]] = {}
    for key, target in rows:
        out.setdefault(key, []).append(target)
    return out


__all__ = [
    "SpanPage", "SpanRow", "Trace", "TraceSpan", "ScoreDetail", "TopicOverview", "TopicRow", "topic_sizes",
    "completion_words", "data_stamp", "fetch_page", "load_trace", "neighbour", "next_cursor",
    "reading", "scorers", "topic_filter", "topic_names", "topic_overview", "total", "writing",
    "human_labels", "human_labels_of", "trace_label_targets",
]
