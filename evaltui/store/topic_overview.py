"""The queries that fill the topic overview (its shape is ``store.overview``): each
topic's size and daily volume first (``topic_sizes``, one cheap scan), then its scores,
failing conversations and trend (``topic_overview``), all aggregated in DuckDB."""

from __future__ import annotations

from datetime import date, timedelta
from collections.abc import Callable
from typing import Any

from evaltui.store.db import Store
from evaltui.store.filters import compile_filter
from evaltui.store.logs import _run
from evaltui.store.overview import TopicOverview, TopicRow, rank_where_it_hurts
from evaltui.store.pages import UNASSIGNED, scorers


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
    return TopicOverview(
        keys, {k: float(threshold(k)) for k in keys}, days, rows, complete=False, group_labels=_group_labels(store)
    )


def _group_labels(store: Store) -> dict[str, str]:
    """The active map's group keys and readable names."""
    return {
        k: n or label or k
        for k, label, n in store.con.execute(
            "SELECT g.key, g.label, g.name FROM topic_groups g JOIN topic_maps m ON m.id = g.map_id WHERE m.active"
        ).fetchall()
    }


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
    per_key = "".join(f", max(r.score) FILTER (WHERE r.scorer_key = ?) AS s{i}" for i in range(len(keys)))
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
        *compiled.join_params,
        *compiled.params,
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
