"""Who labelled what: the reviewer of a human label, each reviewer's labels, and the human
ground truth calibration compares judges with (one reviewer's labels, or the majority).

A human label is a ``scores`` row with ``source = 'human'``; its metadata names its
``reviewer`` (older labels name a ``labeller``, or nobody: those count as one unnamed
reviewer, '').
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evaltui.errors import StoreError

if TYPE_CHECKING:
    from evaltui.store.db import Store

# Who wrote a human label: metadata.reviewer, else the older metadata.labeller, else ''.
REVIEWER_SQL = "coalesce(json_extract_string({m}, '$.reviewer'), json_extract_string({m}, '$.labeller'), '')"


def reviewer_sql(alias: str = "") -> str:
    return REVIEWER_SQL.format(m=f"{alias}.metadata" if alias else "metadata")


# -- human ground truth -----------------------------------------------------------


def truth_name(reviewer: str | None) -> str:
    """What calibration compared with, in words."""
    return f"reviewer {reviewer}" if reviewer is not None else "majority of reviewers"


def human_truth_sql(reviewer: str | None) -> tuple[str, list[Any]]:
    """A query of (target_id, score, label): per target, one human label of a scorer key
    (the first ``?``). With ``reviewer``, that reviewer's latest label; else the majority
    of the reviewers (each one's latest label is their vote), a tie going to the latest."""
    who = f"AND {reviewer_sql()} = ?" if reviewer is not None else ""
    sql = f"""
        SELECT target_id, arg_max(score, (votes, latest)) AS score, arg_max(label, (votes, latest)) AS label
        FROM (
            SELECT target_id, score, label, count(*) AS votes, max(created) AS latest
            FROM (
                SELECT target_id, {reviewer_sql()} AS reviewer, arg_max(score, (created, id)) AS score,
                       arg_max(label, (created, id)) AS label, max(created) AS created
                FROM scores WHERE source = 'human' AND scorer_key = ? {who}
                GROUP BY target_id, reviewer
            )
            GROUP BY target_id, score, label
        )
        GROUP BY target_id
    """
    return sql, [reviewer] if reviewer is not None else []


def reviewers(store: Store, key: str) -> list[tuple[str, int]]:
    """(reviewer, labelled targets) of a scorer key's human labels, most first ('' = unnamed)."""
    con = store.con
    return [
        tuple(r)
        for r in con.execute(
            f"SELECT {reviewer_sql()} AS who, count(DISTINCT target_id) FROM scores WHERE source = 'human' AND scorer_key = ? "
            "GROUP BY who ORDER BY 2 DESC, 1",
            [key],
        ).fetchall()
    ]


def check_reviewer(store: Store, key: str, reviewer: str) -> None:
    """Refuse a reviewer with no labels of ``key``, naming the ones there are."""
    known = reviewers(store, key)
    if not any(name == reviewer for name, _ in known):
        names = ", ".join(name or "(unnamed)" for name, _ in known) or "none"
        raise StoreError(f"no labels of {key} by reviewer {reviewer!r}; reviewers: {names}")


def reviewer_labels(store: Store, key: str) -> list[tuple[str, str, float, str | None]]:
    """(target, reviewer, score, label): each reviewer's latest label of each target it labelled."""
    con = store.con
    return [
        tuple(r)
        for r in con.execute(
            f"""
        SELECT target_id, {reviewer_sql()} AS who, arg_max(score, (created, id)), arg_max(label, (created, id))
        FROM scores WHERE source = 'human' AND scorer_key = ? AND score IS NOT NULL
        GROUP BY target_id, who ORDER BY target_id, who
        """,
            [key],
        ).fetchall()
    ]
