"""Why conversations fail, as stored: the rationales of failing judge scores and the notes
of failing human labels on the spans of a set of conversations (a topic, a group of topics,
or a filter). The failure-mode clustering (evaltui.topics.failure_modes) reads this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from collections.abc import Callable, Sequence

import pyarrow as pa

from evaltui.store.filters import compile_filter
from evaltui.store.topics import UNASSIGNED

if TYPE_CHECKING:
    from evaltui.store.db import Store


def failing_rationales(
    store: Store,
    threshold: Callable[[str], float],
    *,
    topic_keys: Sequence[str] | None = None,
    where: str | None = None,
) -> list[dict[str, Any]]:
    """Failing grades with a rationale on the spans of the matching conversations.

    Conversations are root spans whose topic (``spans.topic``; ``(unassigned)`` for none) is
    one of ``topic_keys`` and that match the filter ``where``. Per (span, scorer) the latest
    machine score counts (as in the score roll-up) and, separately, the latest human label;
    either is failing when its score is below ``threshold(scorer_key)``. A rationale the same
    scorer also gives with passing grades here (a fixed description, not a reason) is left out.
    Each row: span_id,
    scorer_key, scorer, version, source ("judge" or "human"), score, rationale and, for a
    judge's row, ``human_score``: the latest human label of the same span and scorer (None
    when nobody labelled it), so a caller can tell how often people disagree.
    """
    con = store.con
    compiled = compile_filter(where)
    topic_sql = ""
    params: list[Any] = [*compiled.join_params, *compiled.params]
    if topic_keys is not None:
        topic_sql = f"AND coalesce(s.topic, '{UNASSIGNED}') IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(topic_keys))
    keys = [r[0] for r in con.execute("SELECT DISTINCT scorer_key FROM scores ORDER BY 1").fetchall()]
    con.register("_fail_thresholds", pa.table({"scorer_key": keys, "threshold": [float(threshold(k)) for k in keys]}))
    try:
        rows = con.execute(
            f"""
            WITH roots AS (
                SELECT s.id FROM {compiled.from_sql}
                WHERE s.parent_id IS NULL AND ({compiled.where}) {topic_sql}
            ),
            latest AS (
                SELECT sc.target_id, sc.scorer_key, sc.source = 'human' AS human,
                       arg_max(sc.score, (sc.created, sc.id)) AS score,
                       arg_max(sc.rationale, (sc.created, sc.id)) AS rationale,
                       arg_max(sc.scorer, (sc.created, sc.id)) AS scorer,
                       arg_max(sc.scorer_version, (sc.created, sc.id)) AS version
                FROM scores sc JOIN roots r ON r.id = sc.root_id
                WHERE sc.score IS NOT NULL
                GROUP BY sc.target_id, sc.scorer_key, human
            )
            SELECT l.target_id, l.scorer_key, l.scorer, l.version, l.human, l.score, trim(l.rationale),
                   h.score AS human_score
            FROM latest l JOIN _fail_thresholds t ON t.scorer_key = l.scorer_key
            LEFT JOIN latest h ON NOT l.human AND h.human AND h.target_id = l.target_id AND h.scorer_key = l.scorer_key
            WHERE l.score < t.threshold AND nullif(trim(l.rationale), '') IS NOT NULL
              -- a text also given with passing grades (a scorer's fixed description) is no reason
              AND NOT EXISTS (SELECT 1 FROM latest p WHERE p.scorer_key = l.scorer_key AND p.human = l.human
                              AND p.rationale = l.rationale AND p.score >= t.threshold)
            ORDER BY l.scorer_key, l.target_id, l.human
            """,
            params,
        ).fetchall()
    finally:
        con.unregister("_fail_thresholds")
    return [
        {
            "span_id": r[0],
            "scorer_key": r[1],
            "scorer": r[2],
            "version": r[3] or "",
            "source": "human" if r[4] else "judge",
            "score": r[5],
            "rationale": r[6],
            "human_score": r[7],
        }
        for r in rows
    ]
