"""Store queries of the calibration step: the span a human label attaches to, a scorer's
label scale and versions, and the (machine score, human label) pairs calibration reads."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb

from evaltui.jsondepth import loads_stored
from evaltui.store.reviewers import human_truth_sql

if TYPE_CHECKING:
    from evaltui.store.db import Store


def span_info(store: Store, span_id: str) -> tuple[str, str | None] | None:
    con = store.con
    rows = con.execute("SELECT root_id, topic FROM spans WHERE id = ?", [span_id]).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


def scorer_display_name(store: Store, key: str) -> str | None:
    con = store.con
    rows = con.execute("SELECT min(scorer) FROM scores WHERE scorer_key = ?", [key]).fetchall()
    return rows[0][0] if rows and rows[0][0] else None


def label_scale(store: Store, key: str) -> dict[str, float]:
    """label -> score as already used for this scorer (e.g. A=1, B=0.5, C=0)."""
    con = store.con
    rows = con.execute(
        "SELECT label, avg(score) FROM scores WHERE scorer_key = ? AND label IS NOT NULL AND score IS NOT NULL "
        "GROUP BY label",
        [key],
    ).fetchall()
    return {str(label): float(score) for label, score in rows}


def scorer_versions(store: Store, key: str) -> list[tuple[str, int, datetime | None]]:
    """(version, scores, newest) of a machine scorer, newest first."""
    con = store.con
    return [
        tuple(r)
        for r in con.execute(
            "SELECT scorer_version, count(*), max(created) FROM scores WHERE scorer_key = ? AND source <> 'human' "
            "GROUP BY scorer_version ORDER BY max(created) DESC NULLS LAST, scorer_version",
            [key],
        ).fetchall()
    ]


def calibration_pairs(
    store: Store, key: str, version: str, label_key: str, reviewer: str | None = None
) -> list[dict[str, Any]]:
    """Per labelled target: the scorer's latest score at ``version`` and the human label
    (the majority of the reviewers' labels, or ``reviewer``'s), with the latest note."""
    con = store.con
    truth, truth_params = human_truth_sql(reviewer)
    rows = con.execute(
        f"""
        WITH machine AS (
            SELECT target_id, arg_max(score, (created, id)) AS score, arg_max(label, (created, id)) AS label,
                   arg_max(rationale, (created, id)) AS rationale
            FROM scores WHERE scorer_key = ? AND scorer_version = ? AND source <> 'human'
            GROUP BY target_id
        ),
        truth AS ({truth}),
        notes AS (
            SELECT target_id, arg_max(rationale, (created, id)) AS note
            FROM scores WHERE scorer_key = ? AND source = 'human'
            GROUP BY target_id
        )
        SELECT m.target_id, coalesce(sp.topic, '(unassigned)'), m.score, m.label, h.score, h.label,
               m.rationale, n.note
        FROM machine m JOIN truth h USING (target_id) LEFT JOIN notes n USING (target_id)
        LEFT JOIN spans sp ON sp.id = m.target_id
        WHERE m.score IS NOT NULL AND h.score IS NOT NULL
        ORDER BY m.target_id
        """,
        [key, version, label_key, *truth_params, label_key],
    ).fetchall()
    return [_pair(r) for r in rows]


_PAIR = ("target_id", "topic", "score", "label", "human_score", "human_label", "rationale", "human_note")


def _pair(row: tuple) -> dict:
    """A (judge, human) pair as the queries above select it."""
    return dict(zip(_PAIR, row))


def record_topics(store: Store, record_ids: list[str]) -> dict[str, str]:
    """record id -> the topic of the span it came from (records without one are left out)."""
    con = store.con
    rows = con.execute(
        "SELECT DISTINCT r.record_id, sp.topic FROM dataset_records r JOIN spans sp ON sp.id = r.origin_span_id "
        "WHERE list_contains(?, r.record_id) AND sp.topic IS NOT NULL",
        [record_ids],
    ).fetchall()
    return {str(r): str(t) for r, t in rows}


def result_judge(store: Store, experiment_ids: list[str], key: str) -> tuple[str | None, str | None]:
    """(rubric, scorer version) most of these experiments' results of scorer ``key`` were
    graded with (an LLM judge records its rubric), or (None, None)."""
    con = store.con
    rows = con.execute(
        "SELECT json_extract_string(metadata, '$.rubric'), scorer_version, count(*) FROM result_scores "
        "WHERE list_contains(?, experiment_id) AND scorer_key = ? AND score IS NOT NULL "
        "GROUP BY ALL ORDER BY 3 DESC, 1, 2 LIMIT 1",
        [experiment_ids, key],
    ).fetchall()
    return (rows[0][0], rows[0][1]) if rows else (None, None)


def topic_groups(store: Store) -> dict[str, str]:
    """topic -> its group in the active topic map (topics without a group are left out)."""
    con = store.con
    try:
        rows = con.execute(
            "SELECT t.key, g.key FROM topics t JOIN topic_maps m ON m.id = t.map_id "
            "JOIN topic_groups g ON g.map_id = t.map_id AND g.group_id = t.group_id WHERE m.active"
        ).fetchall()
    except duckdb.Error:
        return {}
    return {str(t): str(g) for t, g in rows}


def labelled_examples(
    store: Store, label_key: str, sources: tuple[str, ...] = ("human",), online_version: str | None = None
) -> list[dict[str, Any]]:
    """Spans with a label for ``label_key`` (human labels win over a judge's), with their text."""
    con = store.con
    marks = ", ".join("?" for _ in sources)
    version_sql = "AND (source = 'human' OR scorer_version = ?)" if online_version else ""
    params: list[Any] = [label_key, *sources] + ([online_version] if online_version else [])
    rows = con.execute(
        f"""
        WITH ranked AS (
            SELECT target_id, score, label, rationale,
                   row_number() OVER (PARTITION BY target_id
                                      ORDER BY (source = 'human') DESC, created DESC, id DESC) AS rn
            FROM scores
            WHERE scorer_key = ? AND source IN ({marks}) AND score IS NOT NULL {version_sql}
        )
        SELECT r.target_id, r.score, r.label, sp.input, sp.output, sp.topic, r.rationale, sp.root_id
        FROM ranked r JOIN spans sp ON sp.id = r.target_id
        WHERE r.rn = 1 ORDER BY r.target_id
        """,
        params,
    ).fetchall()
    return [
        {
            "id": r[0],
            "score": r[1],
            "label": r[2],
            "input": loads_stored(r[3]),
            "output": loads_stored(r[4]),
            "topic": r[5],
            "note": r[6],
            "root_id": r[7],
        }
        for r in rows
    ]


def scorer_rubric(store: Store, key: str) -> str | None:
    """The rubric a machine scorer's scores say they graded by, if any."""
    rows = store.con.execute(
        "SELECT json_extract_string(metadata, '$.rubric') FROM scores "
        "WHERE scorer_key = ? AND source <> 'human' AND json_extract_string(metadata, '$.rubric') IS NOT NULL LIMIT 1",
        [key],
    ).fetchall()
    return rows[0][0] if rows else None


def machine_scorer_keys(store: Store) -> list[str]:
    """Every scorer key with a machine (non-human) span score, sorted."""
    return [
        k
        for (k,) in store.con.execute(
            "SELECT DISTINCT scorer_key FROM scores WHERE source <> 'human' ORDER BY 1"
        ).fetchall()
    ]


def human_label_keys(store: Store) -> set[str]:
    """Every scorer key some human label is under."""
    return {
        k
        for (k,) in store.con.execute(
            "SELECT DISTINCT scorer_key FROM scores WHERE source = 'human' ORDER BY 1"
        ).fetchall()
    }


def labelled_result_scorer_keys(store: Store) -> list[str]:
    """Eval scorer keys with at least one result a human labelled under the same key, sorted."""
    return [
        k
        for (k,) in store.con.execute(
            "SELECT DISTINCT r.scorer_key FROM result_scores r JOIN scores h ON h.target_id = r.result_id "
            "AND h.source = 'human' AND h.scorer_key = r.scorer_key ORDER BY 1"
        ).fetchall()
    ]


def labelled_experiments(store: Store, key: str) -> list[tuple[str, str]]:
    """(id, name) of the experiments with a result scored by ``key`` and labelled under it, by name."""
    return [
        (i, n)
        for i, n in store.con.execute(
            "SELECT DISTINCT e.id, e.name FROM result_scores r JOIN experiments e ON e.id = r.experiment_id "
            "JOIN scores h ON h.target_id = r.result_id AND h.source = 'human' AND h.scorer_key = r.scorer_key "
            "WHERE r.scorer_key = ? ORDER BY e.name",
            [key],
        ).fetchall()
    ]


def result_scale(store: Store, key: str) -> dict[str, float]:
    """label -> score as an eval's scorer used it (e.g. Y=1, N=0)."""
    rows = store.con.execute(
        "SELECT label, avg(score) FROM result_scores WHERE scorer_key = ? AND label IS NOT NULL AND score IS NOT NULL "
        "GROUP BY label ORDER BY label",
        [key],
    ).fetchall()
    return {str(label): float(score) for label, score in rows}


def result_experiment(store: Store, result_id: str) -> tuple[str | None] | None:
    """(experiment id,) of eval result ``result_id``, or None when there is no such result."""
    rows = store.con.execute("SELECT r.experiment_id FROM experiment_results r WHERE r.id = ?", [result_id]).fetchall()
    return (rows[0][0],) if rows else None


def result_pairs(
    store: Store, key: str, experiment_id: str | None = None, reviewer: str | None = None
) -> list[dict[str, Any]]:
    """(machine score, human label: the majority, or ``reviewer``'s) per labelled result;
    ``topic`` is the experiment."""
    truth, truth_params = human_truth_sql(reviewer)
    extra = "AND r.experiment_id = ?" if experiment_id else ""
    params: list[Any] = [key, *truth_params, key, *([experiment_id] if experiment_id else []), key]
    rows = store.con.execute(
        f"""
        WITH truth AS ({truth}),
        notes AS (
            SELECT target_id, arg_max(rationale, (created, id)) AS note
            FROM scores WHERE source = 'human' AND scorer_key = ? GROUP BY target_id
        ),
        human AS (SELECT t.target_id, t.score, t.label, n.note FROM truth t LEFT JOIN notes n USING (target_id))
        SELECT r.result_id, e.name, r.score, r.label, h.score, h.label, r.rationale, h.note
        FROM result_scores r JOIN human h ON h.target_id = r.result_id
        JOIN experiments e ON e.id = r.experiment_id
        WHERE r.score IS NOT NULL AND h.score IS NOT NULL {extra} AND r.scorer_key = ?
        ORDER BY r.result_id
        """,
        params,
    ).fetchall()
    return [_pair(r) for r in rows]
