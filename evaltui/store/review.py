"""Review queues in the store: queues and their items, each reviewer's labels, skips and
undo, progress, and the human ground truth (a reviewer's labels, or the majority).

A label written from a queue is a ``scores`` row with ``source = 'human'`` whose
metadata names its ``reviewer`` (older labels name a ``labeller``, or nobody: those
count as one unnamed reviewer). Which items come first is decided above, in
``evaltui.scoring.review``; this module stores the order it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from evaltui.errors import StoreError
from evaltui.jsondepth import loads_stored
from evaltui.store.reviewers import reviewer_sql as _reviewer
from evaltui.store.scoring import ScoreWrite, now, write_scores

if TYPE_CHECKING:
    from evaltui.store.db import Store


@dataclass(frozen=True)
class QueueItem:
    target_id: str
    priority: float
    reason: str


@dataclass(frozen=True)
class Queue:
    name: str
    scorer_key: str  # whose labels: the rubric's key
    kind: str  # span | result
    source: str
    reviews: int
    created: datetime


@dataclass(frozen=True)
class Progress:
    """``done`` of ``total`` items have their reviews; ``today`` labels by this reviewer
    since midnight (UTC); ``mine`` labels by this reviewer in the queue; ``left`` items
    this reviewer can still be given."""

    done: int
    total: int
    today: int
    mine: int
    left: int

    def text(self) -> str:
        return f"{self.done} of {self.total}, {self.today} today"


# -- queues -----------------------------------------------------------------------


def create_queue(store: Store, queue: Queue, items: list[QueueItem]) -> None:
    """Store a new queue with its items in the order given (first = most useful)."""
    con = store.con
    if con.execute("SELECT count(*) FROM review_queues WHERE name = ?", [queue.name]).fetchall()[0][0]:
        raise StoreError(
            f"a review queue named {queue.name!r} exists: pick another name, or "
            f"`evaltui review delete {queue.name}` first"
        )
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "INSERT INTO review_queues VALUES (?, ?, ?, ?, ?, ?)",
            [queue.name, queue.scorer_key, queue.kind, queue.source, queue.reviews, queue.created],
        )
        if items:
            con.executemany(
                "INSERT INTO review_items VALUES (?, ?, ?, ?, ?)",
                [[queue.name, i, it.target_id, it.priority, it.reason] for i, it in enumerate(items)],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def delete_queue(store: Store, name: str) -> bool:
    """Delete a queue and its items (its labels stay: they are labels like any other)."""
    con = store.con
    found = con.execute("SELECT count(*) FROM review_queues WHERE name = ?", [name]).fetchall()[0][0]
    for table, column in (("review_actions", "queue"), ("review_items", "queue"), ("review_queues", "name")):
        con.execute(f"DELETE FROM {table} WHERE {column} = ?", [name])
    return bool(found)


def get_queue(store: Store, name: str) -> Queue:
    con = store.con
    rows = con.execute(
        "SELECT name, scorer_key, kind, source, reviews, created FROM review_queues WHERE name = ?", [name]
    ).fetchall()
    if not rows:
        known = ", ".join(q.name for q in list_queues(store)) or "none yet (make one with `evaltui review create`)"
        raise StoreError(f"no review queue named {name!r}; queues: {known}")
    return Queue(*rows[0])


def list_queues(store: Store) -> list[Queue]:
    """Every queue, newest first."""
    con = store.con
    rows = con.execute(
        "SELECT name, scorer_key, kind, source, reviews, created FROM review_queues ORDER BY created DESC, name"
    ).fetchall()
    return [Queue(*r) for r in rows]


def _open_items_sql(done: bool) -> str:
    """Items of queue ?1 (key ?2, reviews ?3) with fewer reviews than asked (or, with
    ``done``, with enough)."""
    op = ">=" if done else "<"
    return f"""
        SELECT i.target_id, i.position FROM review_items i
        WHERE i.queue = ? AND (
            SELECT count(DISTINCT {_reviewer("h")}) FROM scores h
            WHERE h.target_id = i.target_id AND h.scorer_key = ? AND h.source = 'human') {op} ?
    """


def progress(store: Store, name: str, reviewer: str) -> Progress:
    con = store.con
    queue = get_queue(store, name)
    total = con.execute("SELECT count(*) FROM review_items WHERE queue = ?", [name]).fetchall()[0][0]
    done = con.execute(
        f"SELECT count(*) FROM ({_open_items_sql(True)})", [name, queue.scorer_key, queue.reviews]
    ).fetchall()[0][0]
    midnight = now().replace(hour=0, minute=0, second=0, microsecond=0)
    today, mine = con.execute(
        "SELECT count(*) FILTER (WHERE created >= ?), count(*) FROM review_actions "
        "WHERE queue = ? AND reviewer = ? AND action = 'label'",
        [midnight, name, reviewer],
    ).fetchall()[0]
    left = len(_next_ids(store, queue, reviewer, limit=None))
    return Progress(done=done, total=total, today=today, mine=mine, left=left)


def _next_ids(store: Store, queue: Queue, reviewer: str, limit: int | None) -> list[str]:
    """Items this reviewer can be given, in order: not yet reviewed enough, never labelled
    by them (in any queue), their skipped items last."""
    con = store.con
    tail = "LIMIT ?" if limit is not None else ""
    rows = con.execute(
        f"""
        SELECT o.target_id FROM ({_open_items_sql(False)}) o
        WHERE NOT EXISTS (
            SELECT 1 FROM scores h WHERE h.target_id = o.target_id AND h.scorer_key = ? AND h.source = 'human'
              AND {_reviewer("h")} = ?)
        ORDER BY EXISTS (
            SELECT 1 FROM review_actions a WHERE a.queue = ? AND a.target_id = o.target_id AND a.reviewer = ?
              AND a.action = 'skip'), o.position
        {tail}
        """,
        [
            queue.name,
            queue.scorer_key,
            queue.reviews,
            queue.scorer_key,
            reviewer,
            queue.name,
            reviewer,
            *([limit] if limit is not None else []),
        ],
    ).fetchall()
    return [r[0] for r in rows]


def next_targets(store: Store, name: str, reviewer: str, limit: int = 1) -> list[str]:
    """The next ``limit`` targets of queue ``name`` for ``reviewer``."""
    return _next_ids(store, get_queue(store, name), reviewer, limit)


def item_reason(store: Store, name: str, target_id: str) -> tuple[int, str]:
    """(position, reason) of an item."""
    con = store.con
    rows = con.execute(
        "SELECT position, reason FROM review_items WHERE queue = ? AND target_id = ?", [name, target_id]
    ).fetchall()
    return (rows[0][0], rows[0][1] or "") if rows else (-1, "")


# -- what a reviewer does -----------------------------------------------------------


def record_label(
    store: Store,
    name: str,
    target_id: str,
    reviewer: str,
    *,
    scorer: str,
    score: float,
    label: str | None,
    note: str | None = None,
) -> None:
    """A reviewer's label of an item: a human score of the queue's scorer, and the action."""
    con = store.con
    queue = get_queue(store, name)
    stamp = now()
    meta: dict[str, Any] = {"reviewer": reviewer, "queue": name}
    root_id = None
    if queue.kind == "result":
        rows = con.execute("SELECT experiment_id FROM experiment_results WHERE id = ?", [target_id]).fetchall()
        if rows:
            meta["experiment_id"] = rows[0][0]
    else:
        rows = con.execute("SELECT root_id FROM spans WHERE id = ?", [target_id]).fetchall()
        root_id = rows[0][0] if rows else None
    write_scores(
        store,
        [
            ScoreWrite(
                target_id=target_id,
                root_id=root_id,
                scorer=scorer,
                scorer_version="human",
                score=score,
                label=label,
                rationale=note or None,
                source="human",
                created=stamp,
                metadata=meta,
            )
        ],
    )
    con.execute("INSERT INTO review_actions VALUES (?, ?, ?, 'label', ?)", [name, target_id, reviewer, stamp])


def record_skip(store: Store, name: str, target_id: str, reviewer: str) -> None:
    """Skip an item: it comes back to this reviewer after every item not skipped."""
    con = store.con
    get_queue(store, name)
    con.execute("INSERT INTO review_actions VALUES (?, ?, ?, 'skip', ?)", [name, target_id, reviewer, now()])


def undo_last(store: Store, name: str, reviewer: str) -> tuple[str, str] | None:
    """Take back this reviewer's last label or skip in the queue: (action, target), or None."""
    con = store.con
    queue = get_queue(store, name)
    rows = con.execute(
        "SELECT target_id, action, created FROM review_actions WHERE queue = ? AND reviewer = ? "
        "ORDER BY created DESC LIMIT 1",
        [name, reviewer],
    ).fetchall()
    if not rows:
        return None
    target, action, created = rows[0]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "DELETE FROM review_actions WHERE queue = ? AND reviewer = ? AND target_id = ? AND created = ?",
            [name, reviewer, target, created],
        )
        if action == "label":
            con.execute(
                f"DELETE FROM scores WHERE target_id = ? AND scorer_key = ? AND source = 'human' AND created = ? "
                f"AND {_reviewer()} = ?",
                [target, queue.scorer_key, created, reviewer],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return action, target


# -- what the queue builder and the item view read ----------------------------------------


def grading_keys(store: Store, key: str) -> list[str]:
    """Machine scorer keys that grade by rubric ``key``: itself and judges trained on its
    labels (metadata.rubric = key, such as the offline judge)."""
    con = store.con
    rows = con.execute(
        "SELECT DISTINCT scorer_key FROM scores WHERE source <> 'human' AND "
        "(scorer_key = ? OR json_extract_string(metadata, '$.rubric') = ?) ORDER BY 1",
        [key, key],
    ).fetchall()
    return [r[0] for r in rows]


def span_grades(store: Store, key: str, where: Any, reviews: int) -> list[dict[str, Any]]:
    """Per span a judge of rubric ``key`` graded, matching a compiled filter ``where``
    and with fewer than ``reviews`` human reviews: its topic and each (scorer, version)'s
    latest grade with the judge's confidence when it gave one."""
    con = store.con
    keys = grading_keys(store, key)
    if not keys:
        return []
    rows = con.execute(
        f"""
        WITH hits AS (
            SELECT DISTINCT s.id FROM {where.from_sql} WHERE ({where.where})
        ),
        grades AS (
            SELECT target_id, scorer_key, scorer_version, arg_max(score, (created, id)) AS score,
                   arg_max(label, (created, id)) AS label,
                   arg_max(TRY_CAST(json_extract_string(metadata, '$.confidence') AS DOUBLE), (created, id)) AS confidence
            FROM scores WHERE source <> 'human' AND list_contains(?, scorer_key) AND score IS NOT NULL
              AND target_id IN (SELECT id FROM hits)
            GROUP BY target_id, scorer_key, scorer_version
        ),
        reviewed AS (
            SELECT target_id, count(DISTINCT {_reviewer()}) AS n FROM scores
            WHERE source = 'human' AND scorer_key = ? GROUP BY target_id
        )
        SELECT g.target_id, coalesce(sp.topic, '(unassigned)'),
               list({{'scorer': g.scorer_key, 'version': g.scorer_version, 'score': g.score, 'label': g.label,
                      'confidence': g.confidence}} ORDER BY g.scorer_key, g.scorer_version)
        FROM grades g JOIN spans sp ON sp.id = g.target_id LEFT JOIN reviewed r ON r.target_id = g.target_id
        WHERE coalesce(r.n, 0) < ?
        GROUP BY g.target_id, sp.topic ORDER BY g.target_id
        """,
        [*where.join_params, *where.params, keys, key, reviews],
    ).fetchall()
    return [{"target_id": t, "group": topic, "grades": list(grades)} for t, topic, grades in rows]


def result_grades(store: Store, key: str, experiment_ids: list[str], reviews: int) -> list[dict[str, Any]]:
    """Per eval result of these experiments whose case all of them ran, graded by rubric
    ``key`` and short of ``reviews`` human reviews: experiment, case, bucket and grades
    (the run's own grade has version = the experiment's name)."""
    con = store.con
    rows = con.execute(
        f"""
        WITH shared AS (
            SELECT case_id FROM experiment_results WHERE list_contains(?, experiment_id)
            GROUP BY case_id HAVING count(DISTINCT experiment_id) = ?
        ),
        reviewed AS (
            SELECT target_id, count(DISTINCT {_reviewer()}) AS n FROM scores
            WHERE source = 'human' AND scorer_key = ? GROUP BY target_id
        )
        SELECT r.id, e.name, r.case_id, coalesce(r.bucket, '(no bucket)'),
               list({{'scorer': rs.scorer_key, 'version': coalesce(rs.scorer_version, e.name), 'score': rs.score,
                      'label': rs.label,
                      'confidence': TRY_CAST(json_extract_string(rs.metadata, '$.confidence') AS DOUBLE)}}
                    ORDER BY rs.scorer_key, rs.scorer_version NULLS FIRST)
        FROM experiment_results r JOIN experiments e ON e.id = r.experiment_id
        JOIN result_scores rs ON rs.result_id = r.id
        LEFT JOIN reviewed h ON h.target_id = r.id
        WHERE list_contains(?, r.experiment_id) AND r.case_id IN (SELECT case_id FROM shared)
          AND (rs.scorer_key = ? OR json_extract_string(rs.metadata, '$.rubric') = ?) AND rs.score IS NOT NULL
          AND coalesce(h.n, 0) < ?
        GROUP BY r.id, e.name, r.case_id, r.bucket ORDER BY r.case_id, e.name, r.id
        """,
        [experiment_ids, len(experiment_ids), key, experiment_ids, key, key, reviews],
    ).fetchall()
    return [
        {"target_id": t, "experiment": exp, "case_id": case, "group": bucket, "grades": list(grades)}
        for t, exp, case, bucket, grades in rows
    ]


def item_view(store: Store, queue: Queue, target_id: str) -> dict[str, Any]:
    """What a reviewer sees of an item: where it is from, input, output, expected, and the
    judges' grades with rationales (never the other reviewers' labels)."""
    con = store.con
    keys = grading_keys(store, queue.scorer_key)
    if queue.kind == "result":
        rows = con.execute(
            "SELECT e.name, r.case_id, r.bucket, r.input, r.output, r.expected FROM experiment_results r "
            "JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ?",
            [target_id],
        ).fetchall()
        grades = con.execute(
            "SELECT rs.scorer, coalesce(rs.scorer_version, e.name), rs.score, rs.label, rs.rationale "
            "FROM result_scores rs JOIN experiments e ON e.id = rs.experiment_id WHERE rs.result_id = ? "
            "AND (rs.scorer_key = ? OR json_extract_string(rs.metadata, '$.rubric') = ?) AND rs.score IS NOT NULL "
            "ORDER BY rs.scorer_key, rs.scorer_version NULLS FIRST",
            [target_id, queue.scorer_key, queue.scorer_key],
        ).fetchall()
        where = f"{rows[0][0]} · case {rows[0][1]} · {rows[0][2] or 'no bucket'}" if rows else ""
    else:
        rows = con.execute(
            "SELECT root_id, span_type, topic, input, output, expected FROM spans WHERE id = ?", [target_id]
        ).fetchall()
        grades = con.execute(
            """
            SELECT scorer, scorer_version, arg_max(score, (created, id)), arg_max(label, (created, id)),
                   arg_max(rationale, (created, id))
            FROM scores WHERE target_id = ? AND source <> 'human' AND list_contains(?, scorer_key) AND score IS NOT NULL
            GROUP BY scorer, scorer_key, scorer_version ORDER BY scorer_key, max(created) DESC
            """,
            [target_id, keys],
        ).fetchall()
        where = f"{target_id} · {rows[0][1] or 'span'} · topic {rows[0][2] or '(unassigned)'}" if rows else ""
    if not rows:
        raise StoreError(f"item {target_id!r} of queue {queue.name!r} is no longer in the database")
    _, _, _, inp, outp, exp = rows[0]
    reviewed = con.execute(
        f"SELECT count(DISTINCT {_reviewer()}) FROM scores WHERE target_id = ? AND scorer_key = ? AND source = 'human'",
        [target_id, queue.scorer_key],
    ).fetchall()[0][0]
    return {
        "target_id": target_id,
        "where": where,
        "input": loads_stored(inp),
        "output": loads_stored(outp),
        "expected": loads_stored(exp),
        "reviews": reviewed,
        "grades": [
            {"scorer": s, "version": v, "score": sc, "label": lb, "rationale": ra} for s, v, sc, lb, ra in grades
        ],
    }
