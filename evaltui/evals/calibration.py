"""Calibration across the app: how each scorer version agrees with its human labels.

Log scorers are compared per scorer version (``evaltui.scoring.span_calibration``); an
eval's judge pairs a result's machine score (``result_scores``) with its latest label, per
experiment (the judge and rubric an experiment ran with are its scorer version).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evaltui.model import scorer_key
from evaltui.scoring import agreement
from evaltui.scoring.errors import ScorerSetupError
from evaltui.store.calibration_pairs import result_pairs, result_scale

if TYPE_CHECKING:
    from evaltui.store.db import Store


def result_calibration(store: Store, scorer: str, experiment_id: str | None = None) -> dict[str, Any]:
    """Agreement of an eval scorer with human labels of results: overall and per experiment
    (in ``by_topic``, as the span report has it per topic)."""
    from evaltui.scoring.human_labels import scale_for

    from evaltui.config import get_settings

    key = scorer_key(scorer)
    scale = result_scale(store, key) or scale_for(store, key)
    pairs = result_pairs(store, key, experiment_id)
    return {
        "scorer": key,
        **agreement.report(pairs, scale, get_settings().threshold(key)),
        "disagreements": agreement.disagreements(pairs, scale),
    }


def calibration_overview(store: Store) -> list[dict[str, Any]]:
    """Every (scorer, version) with human labels to compare against: log scorers per
    scorer version, eval scorers per experiment. Each row: kind, scorer, version, n,
    accuracy, kappa, labels, confusion, by_topic."""
    from evaltui.scoring.span_calibration import calibrate, labels_key
    from evaltui.store.calibration_pairs import (
        human_label_keys,
        labelled_experiments,
        labelled_result_scorer_keys,
        machine_scorer_keys,
        scorer_versions,
    )

    out: list[dict[str, Any]] = []
    labelled = human_label_keys(store)
    for key in machine_scorer_keys(store):
        if labels_key(store, key) not in labelled:
            continue
        for version, _, _ in scorer_versions(store, key):
            try:
                rep = calibrate(store, key, versions=[version])
            except ScorerSetupError:
                continue
            out.append({"kind": "logs", "scorer": key, "version": version, **_flat(rep)})
    for key in labelled_result_scorer_keys(store):
        for exp_id, name in labelled_experiments(store, key):
            rep = result_calibration(store, key, exp_id)
            out.append({"kind": "eval", "scorer": key, "version": name, **_flat(rep)})
    return out


def _flat(rep: dict[str, Any]) -> dict[str, Any]:
    overall = rep.get("overall") or {}
    return {
        "n": overall.get("n", 0),
        "accuracy": overall.get("accuracy"),
        "kappa": overall.get("kappa"),
        "kappa_ci": overall.get("kappa_ci"),
        "classes": overall.get("classes", {}),
        "pass_fail": overall.get("pass_fail", {}),
        "labels": rep.get("labels", []),
        "confusion": overall.get("confusion", {}),
        "by_topic": rep.get("by_topic", {}),
        "by_group": rep.get("by_group", {}),
        "weighted": rep.get("weighted", False),
        "disagreements": rep.get("disagreements", []),
    }
