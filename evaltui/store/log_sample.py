"""The bucketed, seeded sample of root conversations that curation turns into dataset records.

Bucketing and sampling run in DuckDB, so a slice of a million conversations never
comes to Python whole (``evaltui.curation.from_logs`` decides the quotas and reads the
result).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from evaltui.store.db import Store, StoreError
from evaltui.store.filters import CompiledFilter


def grade_sql(score: str, threshold: str, margin: str) -> str:
    """SQL for ``evaltui.curation.buckets.classify`` as a rank (0 passing, 1 borderline, 2 failing)."""
    return f"CASE WHEN {score} < {threshold} - {margin} THEN 2 WHEN {score} < {threshold} + {margin} THEN 1 ELSE 0 END"


def sample_by_bucket(
    store: Store,
    compiled: CompiledFilter,
    *,
    thresholds: Mapping[str, float],
    default_threshold: float,
    margin: float,
    quotas: Mapping[str, int | None],
    scorer_keys: list[str],
    seed: int,
    expected_from_output: bool,
) -> pa.Table:
    """Every root span matching ``compiled`` with its bucket, ``matched_in_bucket`` and
    ``taken`` (within its bucket's quota; a None quota takes all), failing first."""
    con = store.con
    con.register(
        "_thresholds",
        pa.table(
            {"key": pa.array(list(thresholds), pa.string()), "t": pa.array(list(thresholds.values()), pa.float64())}
        ),
    )
    con.register(
        "_quotas",
        pa.table(
            {
                "bucket": pa.array(list(quotas), pa.string()),
                "quota": pa.array(list(quotas.values()), pa.int64()),
            }
        ),
    )
    scorer_clause = f"AND r.scorer_key IN ({', '.join('?' for _ in scorer_keys)})" if scorer_keys else ""
    # Floats from validated settings, written as SQL literals (they are not user text).
    grade = grade_sql("r.score", f"coalesce(th.t, {float(default_threshold)!r})", repr(float(margin)))
    sql = f"""
        WITH matched AS (
            SELECT s.id, s.input, s.output, s.metadata, s.tags, s.topic
            FROM {compiled.from_sql}
            WHERE s.parent_id IS NULL AND ({compiled.where})
        ),
        graded AS (
            SELECT r.span_id, max({grade}) AS g
            FROM score_rollup r LEFT JOIN _thresholds th ON th.key = r.scorer_key
            WHERE r.span_id IN (SELECT id FROM matched) AND r.score IS NOT NULL {scorer_clause}
            GROUP BY r.span_id
        ),
        bucketed AS (
            SELECT m.*, CASE g.g WHEN 2 THEN 'failing' WHEN 1 THEN 'borderline' WHEN 0 THEN 'passing'
                            ELSE 'unscored' END AS bucket
            FROM matched m LEFT JOIN graded g ON g.span_id = m.id
        ),
        ranked AS (
            SELECT b.*, row_number() OVER (PARTITION BY b.bucket ORDER BY md5(? || ':' || b.id)) AS rn,
                   count(*) OVER (PARTITION BY b.bucket) AS matched_in_bucket
            FROM bucketed b
        )
        SELECT r.id AS record_id, r.input::VARCHAR AS input,
               {"r.output::VARCHAR" if expected_from_output else "NULL::VARCHAR"} AS expected,
               r.metadata::VARCHAR AS metadata, r.tags, r.bucket, r.id AS origin_span_id,
               r.matched_in_bucket, (q.quota IS NULL OR r.rn <= q.quota) AS taken
        FROM ranked r JOIN _quotas q ON q.bucket = r.bucket
        ORDER BY CASE r.bucket WHEN 'failing' THEN 0 WHEN 'borderline' THEN 1 WHEN 'passing' THEN 2 ELSE 3 END, r.rn
    """
    params: list[Any] = [*compiled.join_params, *compiled.params, *scorer_keys, str(seed)]
    try:
        return con.sql(sql, params=params).to_arrow_table()
    except Exception as exc:  # duckdb errors: one line for the user
        import duckdb

        if isinstance(exc, duckdb.Error):
            raise StoreError(f"query failed: {str(exc).splitlines()[0]}") from None
        raise
    finally:
        con.unregister("_thresholds")
        con.unregister("_quotas")
