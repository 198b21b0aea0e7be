"""Human labels of eval results, and how an eval's judge agrees with them.

A label of a result is a ``scores`` row with ``source = 'human'`` whose target is the
result id (labels of log spans are written by ``evaltui.scoring.labels.add_label``).
Calibration pairs a result's machine score (``result_scores``) with its latest label,
per experiment (the judge and rubric an experiment ran with are its scorer version).
"""

from __future__ import annotations

from typing import Any

from evaltui.config import settings
from evaltui.model import scorer_key
from evaltui.scoring import calibration
from evaltui.scoring.errors import ScorerSetupError


def label_result(store: Any, result_id: str, scorer: str, value: str | float, *,
                 labeller: str | None = None) -> Any:
    """Record a human label of eval result ``result_id`` for ``scorer`` ("A", "Y", 0.5...)."""
    from evaltui.scoring.labels import _parse_value, scale_for
    from evaltui.store.scoring import ScoreWrite, write_scores

    con = store.con
    rows = con.execute(
        "SELECT r.experiment_id FROM experiment_results r WHERE r.id = ?", [result_id]).fetchall()
    if not rows:
        raise ScorerSetupError(f"no eval result {result_id!r}")
    key = scorer_key(scorer)
    scale = result_scale(con, key) or scale_for(con, key)
    score, label = _parse_value(value, scale, key)
    row = ScoreWrite(target_id=result_id, root_id=None, scorer=scorer, scorer_version="human", score=score,
                     label=label, source="human",
                     metadata={"experiment_id": rows[0][0], "reviewer": labeller or settings().reviewer_name})
    write_scores(con, [row])
    return row


def save_label(path: Any, lock_timeout: float, target: str, scorer: str, value: str, *,
               result: bool = False, rationale: str | None = None) -> str | None:
    """Write one human label in a short read-write session (what the app's label keys do):
    of eval result ``target`` when ``result``, else of log span ``target``. Returns the
    one-line reason it could not be written, or None."""
    from evaltui.scoring.labels import add_label
    from evaltui.store import StoreError
    from evaltui.store.connections import writing

    try:
        with writing(path, lock_timeout) as store:
            if result:
                label_result(store, target, scorer, value)
            else:
                add_label(store, target, scorer, value, rationale=rationale)
    except (StoreError, ScorerSetupError) as exc:
        return str(exc)
    return None


def result_scale(con: Any, key: str) -> dict[str, float]:
    """label -> score as an eval's scorer used it (e.g. Y=1, N=0)."""
    rows = con.execute(
        "SELECT label, avg(score) FROM result_scores WHERE scorer_key = ? AND label IS NOT NULL AND score IS NOT NULL "
        "GROUP BY label ORDER BY label", [key]).fetchall()
    return {str(label): float(score) for label, score in rows}


def result_pairs(con: Any, key: str, experiment_id: str | None = None, reviewer: str | None = None) -> list[dict[str, Any]]:
    """(machine score, human label: the majority, or ``reviewer``'s) per labelled result; ``topic`` is the experiment."""
    from evaltui.store.reviewers import human_truth_sql

    truth, truth_params = human_truth_sql(reviewer)
    extra = "AND r.experiment_id = ?" if experiment_id else ""
    params: list[Any] = [key, *truth_params, *([experiment_id] if experiment_id else []), key]
    rows = con.execute(
        f"""
        WITH human AS ({truth})
        SELECT r.result_id, e.name, r.score, r.label, h.score, h.label
        FROM result_scores r JOIN human h ON h.target_id = r.result_id
        JOIN experiments e ON e.id = r.experiment_id
        WHERE r.score IS NOT NULL AND h.score IS NOT NULL {extra} AND r.scorer_key = ?
        ORDER BY r.result_id
        """,
        params,
    ).fetchall()
    return [{"target_id": r[0], "topic": r[1], "score": r[2], "label": r[3], "human_score": r[4], "human_label": r[5]}
            for r in rows]


def result_calibration(store: Any, scorer: str, experiment_id: str | None = None) -> dict[str, Any]:
    """Agreement of an eval scorer with human labels of results: overall and per experiment
    (in ``by_topic``, as the span report has it per topic)."""
    from evaltui.scoring.labels import scale_for

    key = scorer_key(scorer)
    scale = result_scale(store.con, key) or scale_for(store.con, key)
    return {"scorer": key, **calibration.report(result_pairs(store.con, key, experiment_id), scale)}


def calibration_overview(store: Any) -> list[dict[str, Any]]:
    """Every (scorer, version) with human labels to compare against: log scorers per
    scorer version, eval scorers per experiment. Each row: kind, scorer, version, n,
    accuracy, kappa, labels, confusion, by_topic."""
    from evaltui.scoring.calibrate import calibrate, labels_key
    from evaltui.store.scoring import scorer_versions

    con = store.con
    out: list[dict[str, Any]] = []
    labelled = {k for (k,) in con.execute(
        "SELECT DISTINCT scorer_key FROM scores WHERE source = 'human' ORDER BY 1").fetchall()}
    machine = [k for (k,) in con.execute(
        "SELECT DISTINCT scorer_key FROM scores WHERE source <> 'human' ORDER BY 1").fetchall()]
    for key in machine:
        if labels_key(con, key) not in labelled:
            continue
        for version, _, _ in scorer_versions(con, key):
            try:
                rep = calibrate(store, key, versions=[version])
            except ScorerSetupError:
                continue
            out.append({"kind": "logs", "scorer": key, "version": version, **_flat(rep)})
    eval_keys = [k for (k,) in con.execute(
        "SELECT DISTINCT r.scorer_key FROM result_scores r JOIN scores h ON h.target_id = r.result_id "
        "AND h.source = 'human' AND h.scorer_key = r.scorer_key ORDER BY 1").fetchall()]
    for key in eval_keys:
        exps = con.execute(
            "SELECT DISTINCT e.id, e.name FROM result_scores r JOIN experiments e ON e.id = r.experiment_id "
            "JOIN scores h ON h.target_id = r.result_id AND h.source = 'human' AND h.scorer_key = r.scorer_key "
            "WHERE r.scorer_key = ? ORDER BY e.name", [key]).fetchall()
        for exp_id, name in exps:
            rep = result_calibration(store, key, exp_id)
            out.append({"kind": "eval", "scorer": key, "version": name, **_flat(rep)})
    return out


def _flat(rep: dict[str, Any]) -> dict[str, Any]:
    overall = rep.get("overall") or {}
    return {"n": overall.get("n", 0), "accuracy": overall.get("accuracy"), "kappa": overall.get("kappa"),
            "labels": rep.get("labels", []), "confusion": overall.get("confusion", {}),
            "by_topic": rep.get("by_topic", {}), "weighted": rep.get("weighted", False)}
