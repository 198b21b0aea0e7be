"""Experiments and their results: one row per (experiment, case, trial), scores in long format.

A result's id is a hash of (experiment, case, trial) and the table's primary key, so
writing a result twice is impossible: a resumed run can only fill the gaps.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any
from collections.abc import Iterable

import orjson

from evaltui.jsondepth import loads_stored
from evaltui.store.db import Store, StoreError

EXPERIMENT_COLUMNS = (
    "id, project, name, dataset_id, dataset_version, base_experiment_id, status, trial_count, "
    "task, metadata, created, finished"
)


# Per (result, scorer name) the newest grade: a re-score with a new scorer version
# supersedes the older one instead of mixing with it (the run's own grades have no
# `created`, so any re-score of the same name wins over them).
# The newest score per (result, scorer). experiment_id leads the partition (a result id
# implies it) so that a filter on one experiment is pushed below the window.
CURRENT_SCORES_SQL = (
    "SELECT * FROM result_scores "
    "QUALIFY row_number() OVER (PARTITION BY experiment_id, result_id, scorer ORDER BY created DESC NULLS LAST) = 1"
)


def result_id(experiment_id: str, case_id: str, trial: int) -> str:
    return hashlib.md5(f"{experiment_id}\x1f{case_id}\x1f{trial}".encode()).hexdigest()


def _row(con, sql: str, params: list[Any]) -> dict[str, Any] | None:
    cur = con.execute(sql, params)
    rows = cur.fetchall()
    if not rows:
        return None
    names = [d[0] for d in cur.description]
    return dict(zip(names, rows[0]))


def _rows(con, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    rows = cur.fetchall()
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in rows]


def find_experiment(store: Store, name: str) -> dict[str, Any] | None:
    return _row(store.con, f"SELECT {EXPERIMENT_COLUMNS} FROM experiments WHERE name = ?", [name])


def get_experiment(store: Store, experiment_id: str) -> dict[str, Any] | None:
    return _row(store.con, f"SELECT {EXPERIMENT_COLUMNS} FROM experiments WHERE id = ?", [experiment_id])


def require_experiment(store: Store, name: str) -> dict[str, Any]:
    exp = find_experiment(store, name)
    if exp is None:
        known = [
            r[0] for r in store.con.execute("SELECT name FROM experiments ORDER BY created DESC LIMIT 8").fetchall()
        ]
        hint = f" (recent: {', '.join(known)})" if known else " (none yet: run `evaltui eval FILE.py`)"
        raise StoreError(f"no experiment named {name!r}{hint}")
    return exp


def free_name(store: Store, name: str) -> str:
    """``name`` if unused, else the first free ``name-2``, ``name-3``, ..."""
    taken = {
        r[0]
        for r in store.con.execute(
            "SELECT name FROM experiments WHERE name = ? OR starts_with(name, ?)", [name, name + "-"]
        ).fetchall()
    }
    if name not in taken:
        return name
    k = 2
    while f"{name}-{k}" in taken:
        k += 1
    return f"{name}-{k}"


def latest_suffixed(store: Store, name: str) -> dict[str, Any] | None:
    """The newest run of ``name`` under a suffix (``name-2``, ``name-3``...), if any:
    the one a new run resumes when it was interrupted."""
    return _row(
        store.con,
        f"""
        SELECT {EXPERIMENT_COLUMNS} FROM experiments
        WHERE starts_with(name, ?) AND TRY_CAST(substr(name, ?) AS INTEGER) >= 2
          AND substr(name, ?) SIMILAR TO '[0-9]+'
        ORDER BY TRY_CAST(substr(name, ?) AS INTEGER) DESC LIMIT 1
        """,
        [name + "-", len(name) + 2, len(name) + 2, len(name) + 2],
    )


def create_experiment(
    store: Store,
    *,
    project: str | None,
    name: str,
    dataset_id: str | None,
    dataset_version: int | None,
    base_experiment_id: str | None,
    trial_count: int,
    task: dict[str, Any],
    metadata: dict[str, Any],
) -> dict[str, Any]:
    store.con.execute(
        "INSERT INTO experiments VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, now()::TIMESTAMP, NULL)",
        [
            uuid.uuid4().hex,
            project,
            name,
            dataset_id,
            dataset_version,
            base_experiment_id,
            trial_count,
            orjson.dumps(task, default=str).decode(),
            orjson.dumps(metadata, default=str).decode(),
        ],
    )
    exp = find_experiment(store, name)
    assert exp is not None
    return exp


def set_status(store: Store, experiment_id: str, status: str, *, trial_count: int | None = None) -> None:
    finished = "now()::TIMESTAMP" if status == "finished" else "NULL"
    store.con.execute(
        f"UPDATE experiments SET status = ?, finished = {finished}, trial_count = greatest(trial_count, coalesce(?, 0)) "
        "WHERE id = ?",
        [status, trial_count, experiment_id],
    ).fetchall()


def set_base(store: Store, experiment_id: str, base_id: str) -> None:
    """Make ``base_id`` the experiment a diff of ``experiment_id`` compares against."""
    store.con.execute("UPDATE experiments SET base_experiment_id = ? WHERE id = ?", [base_id, experiment_id]).fetchall()


def running_experiments(store: Store) -> list[dict[str, Any]]:
    """Experiments still marked 'running' (a run that stopped mid-way stays so), oldest first."""
    return _rows(store.con, f"SELECT {EXPERIMENT_COLUMNS} FROM experiments WHERE status = 'running' ORDER BY created")


def previous_experiment(store: Store, project: str | None, before_id: str) -> dict[str, Any] | None:
    """The base of a new experiment: the most recent finished one created before
    ``before_id`` on the same dataset and version (a diff across datasets compares
    different cases); for data not from a dataset, the project's previous one. Never
    ``before_id`` itself."""
    return _row(
        store.con,
        f"""
        WITH me AS (SELECT created AS my_created, dataset_id AS my_dataset, dataset_version AS my_version
                    FROM experiments WHERE id = ?)
        SELECT {EXPERIMENT_COLUMNS} FROM experiments, me
        WHERE id <> ? AND status = 'finished' AND created <= my_created
          AND dataset_id IS NOT DISTINCT FROM my_dataset AND dataset_version IS NOT DISTINCT FROM my_version
          AND (my_dataset IS NOT NULL OR project IS NOT DISTINCT FROM ?)
        ORDER BY created DESC LIMIT 1
        """,
        [before_id, before_id, project],
    )


def result_keys(store: Store, experiment_id: str) -> set[tuple[str, int]]:
    rows = store.con.execute(
        "SELECT case_id, trial FROM experiment_results WHERE experiment_id = ?", [experiment_id]
    ).fetchall()
    return {(c, t) for c, t in rows}


# Results and scores go in as one list parameter per column (``unnest``): DuckDB reads
# Python lists natively, so a commit builds no Arrow table (whose first conversion
# imports pandas, ~0.2 s) and needs no temp table; a batch of 1-50 cases takes about a
# millisecond of SQL plus the commit itself.
_RESULT_TYPES = {
    "id": "VARCHAR",
    "experiment_id": "VARCHAR",
    "case_id": "VARCHAR",
    "record_id": "VARCHAR",
    "trial": "INTEGER",
    "input": "JSON",
    "expected": "JSON",
    "output": "JSON",
    "metadata": "JSON",
    "tags": "VARCHAR[]",
    "bucket": "VARCHAR",
    "error": "VARCHAR",
    "duration_s": "DOUBLE",
    "metrics": "JSON",
    "created": "TIMESTAMP",
}
_SCORE_TYPES = {
    "result_id": "VARCHAR",
    "experiment_id": "VARCHAR",
    "scorer": "VARCHAR",
    "scorer_key": "VARCHAR",
    "score": "DOUBLE",
    "label": "VARCHAR",
    "rationale": "VARCHAR",
    "error": "VARCHAR",
    "metadata": "JSON",
}


def _unnest_select(types: dict[str, str]) -> str:
    inner = ", ".join(f"unnest(?::{'VARCHAR' if t == 'JSON' else t}[]) AS {c}" for c, t in types.items())
    outer = ", ".join(f"{c}::JSON AS {c}" if t == "JSON" else c for c, t in types.items())
    return f"SELECT {outer} FROM (SELECT {inner}) a"


_INSERT_RESULTS_SQL = (
    f"INSERT INTO experiment_results ({', '.join(_RESULT_TYPES)}) {_unnest_select(_RESULT_TYPES)} "
    "WHERE NOT EXISTS (SELECT 1 FROM experiment_results r WHERE r.id = a.id) RETURNING id"
)
_INSERT_SCORES_SQL = f"INSERT INTO result_scores ({', '.join(_SCORE_TYPES)}) {_unnest_select(_SCORE_TYPES)}"


def write_results(
    store: Store,
    results: list[dict[str, Any]],
    scores: list[dict[str, Any]],
    prompts: list[dict[str, Any]] | None = None,
) -> int:
    """Write finished results and their scores in one transaction; returns how many were new.

    A result already stored (or twice in the batch) is skipped with its scores: a result,
    and each of its scorers, is written once. ``prompts`` (``{experiment_id, name,
    version, hash}``) are the prompt versions these results built, each kept once."""
    if not results:
        return 0
    con = store.con
    unique: dict[str, dict[str, Any]] = {}
    for r in results:
        unique.setdefault(r["id"], r)
    rows = list(unique.values())
    con.execute("BEGIN TRANSACTION")
    try:
        new = {
            r[0] for r in con.execute(_INSERT_RESULTS_SQL, [[r.get(c) for r in rows] for c in _RESULT_TYPES]).fetchall()
        }
        kept, seen = [], set()
        for s in scores:  # a result's scores, each scorer once
            if s["result_id"] in new and (s["result_id"], s["scorer"]) not in seen:
                seen.add((s["result_id"], s["scorer"]))
                kept.append(s)
        if kept:
            con.execute(_INSERT_SCORES_SQL, [[s.get(c) for s in kept] for c in _SCORE_TYPES]).fetchall()
        for p in prompts or ():
            con.execute(
                "INSERT OR IGNORE INTO experiment_prompts VALUES (?, ?, ?, ?)",
                [p["experiment_id"], p["name"], p.get("version"), p["hash"]],
            ).fetchall()
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(new)


def warm_up_writes(store: Store) -> None:
    """Bind the insert statements once, in a transaction rolled back: the first real commit
    then costs what the others do."""
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(_INSERT_RESULTS_SQL, [[] for _ in _RESULT_TYPES]).fetchall()
        con.execute(_INSERT_SCORES_SQL, [[] for _ in _SCORE_TYPES]).fetchall()
    finally:
        con.execute("ROLLBACK")


def list_experiments(store: Store) -> list[dict[str, Any]]:
    """Every experiment, newest first, with its result count, errors and mean per score."""
    rows = _rows(
        store.con,
        """
        SELECT e.id, e.project, e.name, e.status, e.created, e.finished, e.trial_count,
               d.name AS dataset, e.dataset_version, b.name AS base_experiment,
               (SELECT count(*) FROM experiment_results r WHERE r.experiment_id = e.id) AS results,
               (SELECT count(*) FROM experiment_results r WHERE r.experiment_id = e.id AND r.error IS NOT NULL) AS errors
        FROM experiments e
        LEFT JOIN datasets d ON d.id = e.dataset_id
        LEFT JOIN experiments b ON b.id = e.base_experiment_id
        ORDER BY e.created DESC, e.name
        """,
    )
    means = _rows(
        store.con,
        f"SELECT experiment_id, scorer, avg(score) AS mean FROM ({CURRENT_SCORES_SQL}) WHERE score IS NOT NULL "
        "GROUP BY experiment_id, scorer ORDER BY scorer",
    )
    by_exp: dict[str, dict[str, float]] = {}
    for m in means:
        by_exp.setdefault(m["experiment_id"], {})[m["scorer"]] = m["mean"]
    for r in rows:
        r["scores"] = by_exp.get(r["id"], {})
    return rows


def load_results(store: Store, experiment_id: str) -> list[dict[str, Any]]:
    """Every result of an experiment with its scores: ``scores[name] = {score, label, rationale, error}``."""
    results = _rows(
        store.con,
        "SELECT id, case_id, record_id, trial, input, expected, output, metadata, tags, bucket, error, "
        "duration_s, metrics, created FROM experiment_results WHERE experiment_id = ? "
        "ORDER BY created, case_id, trial",
        [experiment_id],
    )
    scores = _rows(
        store.con,
        f"SELECT result_id, scorer, score, label, rationale, error FROM ({CURRENT_SCORES_SQL}) WHERE experiment_id = ?",
        [experiment_id],
    )
    by_result: dict[str, dict[str, Any]] = {}
    for s in scores:
        by_result.setdefault(s.pop("result_id"), {})[s.pop("scorer")] = s
    for r in results:
        for col in ("input", "expected", "output", "metadata", "metrics"):
            r[col] = loads_stored(r[col])
        r["scores"] = by_result.get(r["id"], {})
    return results


def delete_experiment(store: Store, experiment_id: str) -> None:
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        for sql in (
            "DELETE FROM result_scores WHERE experiment_id = ?",
            "DELETE FROM experiment_results WHERE experiment_id = ?",
            "DELETE FROM experiment_prompts WHERE experiment_id = ?",
            "DELETE FROM experiments WHERE id = ?",
        ):
            con.execute(sql, [experiment_id]).fetchall()
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def names(rows: Iterable[dict[str, Any]]) -> list[str]:
    return [r["name"] for r in rows]
