"""Grades added to stored experiment results after the run (re-scoring): which results a
scorer version has graded, the results to grade, writing the grades, their mean."""

from __future__ import annotations

from typing import Any

from evaltui.store.db import Store


def graded_result_ids(store: Store, experiment_id: str, key: str, version: str) -> set[str]:
    """The results of the experiment that scorer ``key`` at ``version`` has graded."""
    return {
        r[0]
        for r in store.con.execute(
            "SELECT result_id FROM result_scores WHERE experiment_id = ? AND scorer_key = ? AND scorer_version = ?",
            [experiment_id, key, version],
        ).fetchall()
    }


def stored_outputs(store: Store, experiment_id: str) -> list[tuple[Any, ...]]:
    """Every result as (id, input, output, expected, metadata, error), stored JSON as text,
    in the order the run wrote them."""
    return store.con.execute(
        "SELECT id, input, output, expected, metadata, error FROM experiment_results WHERE experiment_id = ? "
        "ORDER BY created, case_id, trial",
        [experiment_id],
    ).fetchall()


def add_grades(store: Store, rows: list[list[Any]]) -> None:
    """Store grades, each as (result_id, experiment_id, scorer, scorer_key, score, label,
    rationale, error, metadata JSON text, scorer_version, created)."""
    store.con.executemany(
        "INSERT INTO result_scores (result_id, experiment_id, scorer, scorer_key, score, label, rationale, error, "
        "metadata, scorer_version, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::JSON, ?, ?)",
        rows,
    )


def grade_mean(store: Store, experiment_id: str, key: str, version: str) -> float | None:
    """The mean grade of scorer ``key`` at ``version`` over the experiment's results."""
    means = store.con.execute(
        "SELECT avg(score) FROM result_scores WHERE experiment_id = ? AND scorer_key = ? AND scorer_version = ?",
        [experiment_id, key, version],
    ).fetchall()
    return means[0][0] if means else None
