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


def rationale_verdicts(
    store: Store, threshold: Callable[[str], float], rationales: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, int]]:
    """What people said of the judges' failing grades given with each (scorer_key, rationale),
    anywhere in the store: ``{(scorer_key, rationale): (labelled, passed)}``, where labelled
    counts those grades whose span people labelled for the same scorer and passed those whose
    latest human label is at or above ``threshold(scorer_key)``. Only spans people labelled
    are read (few, next to all the scores). Pairs nobody labelled are absent."""
    if not rationales:
        return {}
    keys = sorted({k for k, _ in rationales})
    wanted = pa.table({"scorer_key": [k for k, _ in rationales], "rationale": [t for _, t in rationales]})
    con = store.con
    con.register("_verdict_wanted", wanted)
    con.register(
        "_verdict_thresholds", pa.table({"scorer_key": keys, "threshold": [float(threshold(k)) for k in keys]})
    )
    try:
        rows = con.execute(
            """
            WITH labelled AS (
                SELECT DISTINCT target_id, scorer_key FROM scores
                WHERE source = 'human' AND score IS NOT NULL
                  AND scorer_key IN (SELECT scorer_key FROM _verdict_thresholds)
            ),
            latest AS (
                SELECT sc.target_id, sc.scorer_key, sc.source = 'human' AS human,
                       arg_max(sc.score, (sc.created, sc.id)) AS score,
                       arg_max(sc.rationale, (sc.created, sc.id)) AS rationale
                FROM scores sc JOIN labelled l ON l.target_id = sc.target_id AND l.scorer_key = sc.scorer_key
                WHERE sc.score IS NOT NULL
                GROUP BY sc.target_id, sc.scorer_key, human
            )
            SELECT j.scorer_key, trim(j.rationale), count(*), count_if(h.score >= t.threshold)
            FROM latest j
            JOIN latest h ON h.human AND h.target_id = j.target_id AND h.scorer_key = j.scorer_key
            JOIN _verdict_thresholds t ON t.scorer_key = j.scorer_key
            JOIN _verdict_wanted w ON w.scorer_key = j.scorer_key AND w.rationale = trim(j.rationale)
            WHERE NOT j.human AND j.score < t.threshold
            GROUP BY ALL
            """
        ).fetchall()
    finally:
        con.unregister("_verdict_wanted")
        con.unregister("_verdict_thresholds")
    return {(k, t): (int(n), int(p)) for k, t, n, p in rows}


def graded_texts(store: Store, span_ids: Sequence[str]) -> dict[str, str]:
    """What was graded on each span: its output as text (a JSON string's value, else the JSON);
    spans without an output are absent."""
    if not span_ids:
        return {}
    rows = store.con.execute(
        """
        SELECT id, CASE json_type(output) WHEN 'VARCHAR' THEN output->>'$' ELSE CAST(output AS VARCHAR) END
        FROM spans WHERE id IN (SELECT unnest(?::VARCHAR[])) AND output IS NOT NULL
        """,
        [list(dict.fromkeys(span_ids))],
    ).fetchall()
    return {i: t for i, t in rows if t and t.strip()}
