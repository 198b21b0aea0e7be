"""Pairwise judgings and pairwise labels in the database.

A pairwise run is one judge version comparing a candidate experiment's outputs with a
base's, case by case (``pairwise_runs``, ``pairwise_results``); a pairwise label is a
person's mark of the better side of one case (``pairwise_labels``). Verdicts are
``base``, ``candidate`` or ``tie``. Reads take either orientation: a run or a label
stored for (B, A) is read for (A, B) with its verdicts turned round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from evaltui.store.db import Store

VERDICTS = ("base", "candidate", "tie")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _turned(column: str, swapped: str) -> str:
    """SQL: ``column`` as seen from the other orientation when ``swapped`` is true."""
    return (
        f"CASE WHEN {swapped} THEN (CASE {column} WHEN 'base' THEN 'candidate' "
        f"WHEN 'candidate' THEN 'base' ELSE {column} END) ELSE {column} END"
    )


@dataclass
class PairwiseRun:
    id: str
    base_id: str
    candidate_id: str
    scorer: str
    scorer_key: str
    scorer_version: str
    model: str | None
    seed: int
    swapped: bool = False  # stored as (candidate, base): verdicts read turned round


def save_run(store: Store, run: PairwiseRun) -> None:
    """Record the run (once; a resumed run only updates its time)."""
    store.con.execute(
        "INSERT INTO pairwise_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET updated = excluded.updated",
        [
            run.id,
            run.base_id,
            run.candidate_id,
            run.scorer,
            run.scorer_key,
            run.scorer_version,
            run.model,
            run.seed,
            _now(),
            _now(),
        ],
    )


def done_cases(store: Store, run_id: str) -> set[str]:
    """Cases of a run the judge has graded (those that failed are asked again)."""
    return {
        k
        for (k,) in store.con.execute(
            "SELECT case_key FROM pairwise_results WHERE run_id = ? AND error IS NULL", [run_id]
        ).fetchall()
    }


def save_result(store: Store, run_id: str, row: dict[str, Any]) -> None:
    """One case's outcome (keys as the ``pairwise_results`` columns), replacing an earlier one."""
    store.con.execute(
        "INSERT OR REPLACE INTO pairwise_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            row["case_key"],
            row.get("bucket"),
            row.get("first_shown"),
            row.get("verdict_1"),
            row.get("verdict_2"),
            row.get("verdict"),
            row.get("consistent"),
            row.get("rationale_1"),
            row.get("rationale_2"),
            row.get("error"),
            _now(),
        ],
    )
    store.con.execute("UPDATE pairwise_runs SET updated = ? WHERE id = ?", [_now(), run_id])


def latest_run(store: Store, base_id: str, candidate_id: str, scorer_key: str | None = None) -> PairwiseRun | None:
    """The most recently updated run of these two experiments (either orientation)."""
    extra = "AND scorer_key = ?" if scorer_key else ""
    rows = store.con.execute(
        "SELECT id, base_id, candidate_id, scorer, scorer_key, scorer_version, model, seed FROM pairwise_runs "
        f"WHERE ((base_id = ? AND candidate_id = ?) OR (base_id = ? AND candidate_id = ?)) {extra} "
        "ORDER BY updated DESC, id LIMIT 1",
        [base_id, candidate_id, candidate_id, base_id, *([scorer_key] if scorer_key else [])],
    ).fetchall()
    if not rows:
        return None
    rid, base, candidate, scorer, key, version, model, seed = rows[0]
    return PairwiseRun(rid, base, candidate, scorer, key, version, model, seed, swapped=base != base_id)


def run_results(store: Store, run: PairwiseRun) -> list[dict[str, Any]]:
    """Every case of a run, by case key, verdicts in ``run``'s orientation."""
    swapped = "true" if run.swapped else "false"
    first = _turned("first_shown", swapped)
    rows = store.con.execute(
        f"SELECT case_key, bucket, {first}, {_turned('verdict_1', swapped)}, {_turned('verdict_2', swapped)}, "
        f"{_turned('verdict', swapped)}, consistent, rationale_1, rationale_2, error "
        "FROM pairwise_results WHERE run_id = ? ORDER BY case_key",
        [run.id],
    ).fetchall()
    cols = (
        "case_key",
        "bucket",
        "first_shown",
        "verdict_1",
        "verdict_2",
        "verdict",
        "consistent",
        "rationale_1",
        "rationale_2",
        "error",
    )
    return [dict(zip(cols, r)) for r in rows]


def add_label(store: Store, base_id: str, candidate_id: str, case_key: str, verdict: str, reviewer: str) -> None:
    """A reviewer's mark of the better side of one case (their latest mark counts)."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    store.con.execute(
        "INSERT INTO pairwise_labels VALUES (?, ?, ?, ?, ?, ?)",
        [base_id, candidate_id, case_key, reviewer, verdict, _now()],
    )


def labels(store: Store, base_id: str, candidate_id: str) -> list[dict[str, Any]]:
    """Each reviewer's latest mark per case of these two experiments (either orientation),
    verdicts as seen with ``base_id`` as the base: case_key, reviewer, verdict."""
    rows = store.con.execute(
        f"""
        SELECT case_key, reviewer, arg_max({_turned("verdict", "base_id <> ?")}, created)
        FROM pairwise_labels
        WHERE (base_id = ? AND candidate_id = ?) OR (base_id = ? AND candidate_id = ?)
        GROUP BY case_key, reviewer ORDER BY case_key, reviewer
        """,
        [base_id, base_id, candidate_id, candidate_id, base_id],
    ).fetchall()
    return [{"case_key": k, "reviewer": r, "verdict": v} for k, r, v in rows]
