"""Calibration across the app: how each scorer version agrees with its human labels.

Log scorers are compared per scorer version (``evaltui.scoring.span_calibration``); an
eval's judge pairs a result's machine score (``result_scores``) with its latest label, per
experiment (the judge and rubric an experiment ran with are its scorer version).
"""

from __future__ import annotations

from typing import Any

from evaltui.evals.result_labels import result_scale
from evaltui.model import scorer_key
from evaltui.scoring import agreement
from evaltui.scoring.errors import ScorerSetupError


def result_pairs(con: Any, key: str, experiment_id: str | None = None, reviewer: str | None = None) -> list[dict[str, Any]]:
    """(machine score, human label: the majority, or ``reviewer``'s) per labelled result;
    ``topic`` is the experiment."""
    from evaltui.store.reviewers import human_truth_sql

    truth, truth_params = human_truth_sql(reviewer)
    extra = "AND r.experiment_id = ?" if experiment_id else ""
    params: list[Any] = [key, *truth_params, key, *([experiment_id] if experiment_id else []), key]
    rows = con.execute(
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
    return [{"target_id": r[0], "topic": r[1], "score": r[2], "label": r[3], "human_score": r[4], "human_label": r[5],
             "rationale": r[6], "human_note": r[7]} for r in rows]


def result_calibration(store: Any, scorer: str, experiment_id: str | None = None) -> dict[str, Any]:
    """Agreement of an eval scorer with human labels of results: overall and per experiment
    (in ``by_topic``, as the span report has it per topic)."""
    from evaltui.scoring.human_labels import scale_for

    from evaltui.config import get_settings

    key = scorer_key(scorer)
    scale = result_scale(store.con, key) or scale_for(store.con, key)
    pairs = result_pairs(store.con, key, experiment_id)
    return {"scorer": key, **agreement.report(pairs, scale, get_settings().threshold(key)),
            "disagreements": agreement.disagreements(pairs, scale)}


def calibration_overview(store: Any) -> list[dict[str, Any]]:
    """Every (scorer, version) with human labels to compare against: log scorers per
    scorer version, eval scorers per experiment. Each row: kind, scorer, version, n,
    accuracy, kappa, labels, confusion, by_topic."""
    from evaltui.scoring.span_calibration import calibrate, labels_key
    from evaltui.store.calibration_pairs import scorer_versions

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
            "kappa_ci": overall.get("kappa_ci"), "classes": overall.get("classes", {}),
            "pass_fail": overall.get("pass_fail", {}), "labels": rep.get("labels", []),
            "confusion": overall.get("confusion", {}), "by_topic": rep.get("by_topic", {}),
            "by_group": rep.get("by_group", {}), "weighted": rep.get("weighted", False),
            "disagreements": rep.get("disagreements", [])}
