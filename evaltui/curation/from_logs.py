"""Turn a slice of production logs into dataset records.

The filter selects root conversations; each gets a bucket from its score roll-up
(``evaltui.curation.buckets``); a seeded stratified sample picks N failing, M
borderline and K passing ones. Bucketing and sampling run in DuckDB, so a slice of
a million conversations never comes to Python whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from evaltui.curation.buckets import grade_sql
from evaltui.model import Bucket
from evaltui.store.db import Store, StoreError
from evaltui.store.filters import compile_filter


@dataclass
class Suggestion:
    """The sampled records and, per bucket, how many matched and how many were taken."""

    records: pa.Table
    matched: dict[str, int] = field(default_factory=dict)
    taken: dict[str, int] = field(default_factory=dict)


def suggest(
    store: Store,
    where: str | None,
    *,
    failing: int | None = None,
    borderline: int | None = None,
    passing: int | None = None,
    unscored: int | None = None,
    seed: int = 0,
    scorers: list[str] | None = None,
    expected_from_output: bool = False,
    settings: Any = None,
) -> Suggestion:
    """Records for the conversations matching ``where``, bucketed and sampled.

    With no counts given every matching conversation is taken; otherwise each bucket
    takes at most its count (a bucket without a count takes none). The sample is a
    function of (seed, span ids) only: the same call gives the same records.
    """
    if settings is None:
        from evaltui.config import settings as fresh

        settings = fresh()
    quotas = {Bucket.FAILING: failing, Bucket.BORDERLINE: borderline, Bucket.PASSING: passing, Bucket.UNSCORED: unscored}
    take_all = all(v is None for v in quotas.values())
    compiled = compile_filter(where)
    con = store.con
    thresholds = {k: float(v) for k, v in settings.fail_threshold.items() if k != "default"}
    con.register("_thresholds", pa.table({"key": pa.array(list(thresholds), pa.string()),
                                          "t": pa.array(list(thresholds.values()), pa.float64())}))
    con.register("_quotas", pa.table({
        "bucket": pa.array(list(quotas), pa.string()),
        "quota": pa.array([None if take_all else (v or 0) for v in quotas.values()], pa.int64()),
    }))
    scorer_clause = ""
    scorer_params: list[Any] = []
    if scorers:
        from evaltui.model import scorer_key

        keys = [scorer_key(s) for s in scorers]
        scorer_clause = f"AND r.scorer_key IN ({', '.join('?' for _ in keys)})"
        scorer_params = keys
    # Floats from validated settings, written as SQL literals (they are not user text).
    grade = grade_sql("r.score", f"coalesce(th.t, {float(settings.threshold('default'))!r})",
                      repr(float(settings.borderline_margin)))
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
               {'r.output::VARCHAR' if expected_from_output else 'NULL::VARCHAR'} AS expected,
               r.metadata::VARCHAR AS metadata, r.tags, r.bucket, r.id AS origin_span_id,
               r.matched_in_bucket, (q.quota IS NULL OR r.rn <= q.quota) AS taken
        FROM ranked r JOIN _quotas q ON q.bucket = r.bucket
        ORDER BY CASE r.bucket WHEN 'failing' THEN 0 WHEN 'borderline' THEN 1 WHEN 'passing' THEN 2 ELSE 3 END, r.rn
    """
    params = [*compiled.join_params, *compiled.params, *scorer_params, str(seed)]
    try:
        table = con.sql(sql, params=params).to_arrow_table()
    except Exception as exc:  # duckdb errors: one line for the user
        import duckdb

        if isinstance(exc, duckdb.Error):
            raise StoreError(f"query failed: {str(exc).splitlines()[0]}") from None
        raise
    finally:
        con.unregister("_thresholds")
        con.unregister("_quotas")
    rows = table.select(["bucket", "matched_in_bucket", "taken"]).to_pylist()
    matched = {r["bucket"]: r["matched_in_bucket"] for r in rows}
    taken: dict[str, int] = {}
    for r in rows:
        taken[r["bucket"]] = taken.get(r["bucket"], 0) + int(r["taken"])
    mask = table.column("taken")
    records = table.filter(mask).drop_columns(["matched_in_bucket", "taken"])
    return Suggestion(records, matched, taken)
