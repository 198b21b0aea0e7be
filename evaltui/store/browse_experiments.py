"""Queries behind the app's experiments, diff and result panes: experiments with their
progress, the results a diff compares, a diff's cases with both sides' outputs and scores,
one result as a trace. Plain data out, no UI; opened with ``evaltui.store.connections.reading``
like the rest (the comparison itself is ``evaltui.evals.compare``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evaltui.jsondepth import loads_stored as _json
from evaltui.model import scorer_key
from evaltui.store.human_labels import human_labels, human_labels_of
from evaltui.store.trace import ScoreDetail, Trace, TraceSpan
from evaltui.store.db import Store
from evaltui.store.experiments import CURRENT_SCORES_SQL, list_experiments


def experiments(store: Store) -> list[dict[str, Any]]:
    """Every experiment, newest first: dataset (version), task, status, results, errors, means."""
    rows = list_experiments(store)
    tasks = dict(store.con.execute("SELECT id, task FROM experiments").fetchall())
    for r in rows:
        task = _json(tasks.get(r["id"])) or {}
        r["task"] = task.get("callable") or ""
        r["scorer_names"] = task.get("scorers") or []
    return rows


def datasets_overview(store: Store) -> list[dict[str, Any]]:
    """Datasets with their versions (newest last) for pickers."""
    from evaltui.store.datasets import list_datasets, versions

    return [
        {
            "name": d.name,
            "version": d.version,
            "records": d.records,
            "versions": [v["version"] for v in versions(store, d.id)],
        }
        for d in list_datasets(store)
    ]


def run_progress(store: Store, experiment_id: str) -> dict[str, Any]:
    """A running experiment's results so far: done, errors and the running mean per score."""
    done, errors = store.con.execute(
        "SELECT count(*), count(*) FILTER (WHERE error IS NOT NULL) FROM experiment_results WHERE experiment_id = ?",
        [experiment_id],
    ).fetchall()[0]
    means = store.con.execute(
        f"SELECT scorer, avg(score) FROM ({CURRENT_SCORES_SQL}) WHERE experiment_id = ? AND score IS NOT NULL "
        "GROUP BY scorer ORDER BY scorer",
        [experiment_id],
    ).fetchall()
    return {"done": done, "errors": errors, "means": dict(means)}


def lean_results(store: Store, experiment_id: str) -> list[dict[str, Any]]:
    """What ``evaltui.evals.compare.compare`` reads, without outputs (a diff of 10,000
    cases stays light)."""
    results = store.con.execute(
        "SELECT id, record_id, trial, bucket, input, error FROM experiment_results WHERE experiment_id = ? "
        "ORDER BY created, case_id, trial",
        [experiment_id],
    ).fetchall()
    scores = store.con.execute(
        f"SELECT result_id, scorer, score FROM ({CURRENT_SCORES_SQL}) WHERE experiment_id = ?", [experiment_id]
    ).fetchall()
    by_result: dict[str, dict[str, Any]] = {}
    for rid, scorer, score in scores:
        by_result.setdefault(rid, {})[scorer] = {"score": score}
    return [
        {
            "record_id": r[1],
            "trial": r[2],
            "bucket": r[3],
            "input": _json(r[4]),
            "error": r[5],
            "scores": by_result.get(r[0], {}),
        }
        for r in results
    ]


@dataclass
class CaseSide:
    """One experiment's results (trials) for one case."""

    result_ids: list[str]
    outputs: list[Any]
    errors: list[str | None]
    scores: list[dict[str, dict[str, Any]]]  # per trial: scorer -> {score, label, rationale, error}
    expected: Any = None
    input: Any = None
    labels: dict[str, str | None] = field(default_factory=dict)  # scorer key -> human label (first trial)


def case_detail(store: Store, experiment_id: str, key: str) -> CaseSide:
    """The results of case ``key`` (a record id or an input hash) in one experiment."""
    return case_details(store, experiment_id, [key])[key]


def case_details(store: Store, experiment_id: str, keys: list[str]) -> dict[str, CaseSide]:
    """``case_detail`` for many cases in three queries (a reviewer's neighbouring cases)."""
    wanted = list(dict.fromkeys(keys))
    out = {k: CaseSide([], [], [], []) for k in wanted}
    if not wanted:
        return out
    rows = store.con.execute(
        "SELECT id, output, error, expected, input, record_id, case_id FROM experiment_results "
        "WHERE experiment_id = ? AND (list_contains(?, record_id) OR list_contains(?, case_id)) ORDER BY trial, id",
        [experiment_id, wanted, wanted],
    ).fetchall()
    first_ids: dict[str, str] = {}
    for rid, output, error, expected, inp, record_id, case_id in rows:
        for k in dict.fromkeys(x for x in (record_id, case_id) if x in out):
            side = out[k]
            if not side.result_ids:
                side.expected, side.input = _json(expected), _json(inp)
                first_ids[rid] = k
            side.result_ids.append(rid)
            side.outputs.append(_json(output))
            side.errors.append(error)
    all_ids = [rid for side in out.values() for rid in side.result_ids]
    scores: dict[str, dict[str, dict[str, Any]]] = {}
    for rid, name, sc, lb, ra, er in store.con.execute(
        f"SELECT result_id, scorer, score, label, rationale, error FROM ({CURRENT_SCORES_SQL}) "
        "WHERE list_contains(?, result_id) ORDER BY result_id, scorer",
        [all_ids],
    ).fetchall():
        scores.setdefault(rid, {})[name] = {"score": sc, "label": lb, "rationale": ra, "error": er}
    labels = human_labels_of(store, list(first_ids))
    for side in out.values():
        side.scores = [scores.get(rid, {}) for rid in side.result_ids]
        if side.result_ids:
            side.labels = labels.get(side.result_ids[0], {})
    return out


def result_trace(store: Store, result_id: str) -> Trace | None:
    """An eval result shown as a trace: the case's input, the task's output and error,
    its scores with rationales, metadata and metrics."""
    rows = store.con.execute(
        "SELECT r.id, r.case_id, r.trial, r.input, r.output, r.expected, r.error, r.metadata, r.tags, r.metrics, "
        "r.created, e.name FROM experiment_results r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ?",
        [result_id],
    ).fetchall()
    if not rows:
        return None
    rid, case_id, trial, inp, out, exp, err, meta, tags, metrics, created, exp_name = rows[0]
    metadata = {"experiment": exp_name, "case": case_id, "trial": trial, **(_json(meta) or {})}
    if exp is not None:
        metadata["expected"] = _json(exp)
    root = TraceSpan(
        rid,
        None,
        exp_name,
        "result",
        created,
        _json(inp),
        _json(out),
        _json(exp),
        err,
        metadata,
        list(tags or []),
        _json(metrics) or {},
    )
    for scorer, score, label, rationale, error in store.con.execute(
        f"SELECT scorer, score, label, rationale, error FROM ({CURRENT_SCORES_SQL}) WHERE result_id = ? ORDER BY scorer",
        [rid],
    ).fetchall():
        root.scores.append(ScoreDetail(scorer, scorer_key(scorer), score, label, rationale or error, "eval", "", None))
    for key, label in human_labels(store, rid).items():
        root.scores.append(ScoreDetail(key, key, None, label, None, "human", "human", None))
    return Trace(root, None, [], {s.scorer_key: s.score for s in root.scores if s.source == "eval"})
