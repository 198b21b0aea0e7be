"""Scores in long format, and the per-span roll-up that filters and stats read."""

from __future__ import annotations

from evaltui.store.db import Store

# A score's identity: the same score logged twice (a re-ingest) is stored once.
SCORE_ID_SQL = (
    "md5(concat_ws(chr(31), s.target_id, s.scorer, coalesce(s.scorer_version, ''), "
    "coalesce(s.source, 'online'), coalesce(CAST(s.created AS VARCHAR), '')))"
)

# Must agree with evaltui.model.scorer_key.
SCORER_KEY_SQL = "coalesce(nullif(trim(regexp_replace(lower(trim({col})), '[^0-9a-z]+', '_', 'g'), '_'), ''), '_')"


_LATEST = """
        SELECT target_id AS span_id, root_id, scorer_key,
               arg_max(score, (created, id)) AS score,
               arg_max(label, (created, id)) AS label
        FROM {scores}
        WHERE source <> 'human' AND {where}
        GROUP BY target_id, root_id, scorer_key
"""
_ONLY = """
        SELECT target_id AS span_id, root_id, scorer_key, score, label
        FROM {scores}
        WHERE source <> 'human' AND {where}
"""
_ROLLUP_SQL = """
    INSERT INTO score_rollup
    WITH own AS ({own}),
    trace_means AS (
        SELECT root_id AS span_id, root_id, scorer_key, avg(score) AS score, NULL AS label
        FROM own WHERE span_id <> root_id
        GROUP BY root_id, scorer_key
    )
    SELECT * FROM own
    UNION ALL
    SELECT * FROM trace_means m
    WHERE NOT EXISTS (
        SELECT 1 FROM own o WHERE o.span_id = m.span_id AND o.scorer_key = m.scorer_key
    )
"""


def refresh_rollup(store: Store, roots_query: str | None = None) -> None:
    """Recompute ``score_rollup`` for the traces ``roots_query`` selects (all when None).

    Per (span, scorer): the span's latest machine score (human labels are ground
    truth for calibration, not production scores). A root span without its own score
    for a scorer gets the mean of that scorer over its trace.
    """
    con = store.con
    where = "" if roots_query is None else f"AND root_id IN ({roots_query})"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _roots AS SELECT DISTINCT root_id FROM scores WHERE true {where}")
    if roots_query is None:
        con.execute("DELETE FROM score_rollup")
    else:
        con.execute("DELETE FROM score_rollup WHERE root_id IN (SELECT root_id FROM _roots)")
    own = _LATEST.format(scores="scores", where="root_id IN (SELECT root_id FROM _roots)")
    con.execute(_ROLLUP_SQL.format(own=own))
    con.execute("DROP TABLE IF EXISTS _roots")


def add_rollup(store: Store, new_scores: str, *, one_each: bool = False) -> None:
    """Add the roll-up of traces that had no score stored before ``new_scores`` (a table
    shaped like ``scores``, its rows just stored): from those rows alone, with no scan
    of ``scores`` (``refresh_rollup`` gives the same rows). ``one_each``: no span has
    two machine scores of one scorer among them, so each is its span's latest as it is."""
    own = (_ONLY if one_each else _LATEST).format(scores=new_scores, where="root_id IS NOT NULL")
    store.con.execute(_ROLLUP_SQL.format(own=own))


def scorer_keys(store: Store) -> list[tuple[str, str]]:
    """(key, display name) of every machine scorer, in a stable order."""
    con = store.con
    rows = con.execute(
        "SELECT scorer_key, min(scorer) FROM scores WHERE source <> 'human' GROUP BY scorer_key ORDER BY scorer_key"
    ).fetchall()
    return [(k, n) for k, n in rows]


def latest_machine_label(store: Store, target_id: str, key: str, version: str) -> str | None:
    """The newest label scorer ``key`` at ``version`` gave ``target_id`` (not a human's)."""
    rows = store.con.execute(
        "SELECT arg_max(label, created) FROM scores WHERE target_id = ? AND scorer_key = ? "
        "AND scorer_version = ? AND source <> 'human'",
        [target_id, key, version],
    ).fetchall()
    return rows[0][0] if rows else None
