"""Calibration: how well a scorer agrees with human labels (pure functions, no I/O).

Agreement is reported as n, percent agreement (``accuracy``), Cohen's kappa with its 95%
confidence interval, per-class precision and recall, the pass/fail true positive and true
negative rates, and the confusion matrix, overall and per topic. Kappa is weighted (linear,
by the distance between the choices' scores) when the scale has more than two ordered
choices, e.g. A/B/C = 1/0.5/0; for two choices weighted and plain kappa are the same number.

The interval is the large-sample one of Fleiss, Cohen and Everitt (1969), the variance
SAS and ``statsmodels.stats.inter_rater.cohens_kappa`` report (a test checks the numbers
against statsmodels), clipped to [-1, 1].
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any
from collections.abc import Iterable, Sequence


def categories_for(scale: dict[str, float], values: Iterable[float]) -> list[tuple[str, float]]:
    """(label, score) of every category, best score first. Without a known scale, the
    distinct score values are the categories."""
    if scale:
        return sorted(scale.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(_fmt(v), v) for v in sorted(set(values), reverse=True)]


def _fmt(value: float) -> str:
    return f"{value:g}"


def categorise(score: float, label: str | None, categories: Sequence[tuple[str, float]]) -> str:
    """The category of a (score, label): its label when the scale has it, else the
    category with the nearest score."""
    names = {name for name, _ in categories}
    if label is not None and label in names:
        return label
    return min(categories, key=lambda c: abs(c[1] - score))[0]


def confusion_matrix(pairs: Iterable[tuple[str, str]], labels: Sequence[str]) -> list[list[int]]:
    """Counts of (human, scorer) category pairs; rows = human, columns = scorer."""
    index = {name: i for i, name in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for human, machine in pairs:
        matrix[index[human]][index[machine]] += 1
    return matrix


def cohen_kappa(matrix: Sequence[Sequence[int]], positions: Sequence[float] | None = None) -> float | None:
    """Cohen's kappa of a square confusion matrix.

    With ``positions`` (each category's place on an ordinal scale, e.g. its score), the
    kappa is linearly weighted: a disagreement costs its distance over the scale's span.
    None when kappa is undefined (no pairs, or chance agreement is already perfect).
    """
    k = len(matrix)
    total = sum(sum(row) for row in matrix)
    if total == 0 or k == 0:
        return None
    span = (max(positions) - min(positions)) if positions else 0

    def weight(i: int, j: int) -> float:  # disagreement weight
        if i == j:
            return 0.0
        if positions and span > 0:
            return abs(positions[i] - positions[j]) / span
        return 1.0

    rows = [sum(matrix[i]) / total for i in range(k)]
    cols = [sum(matrix[i][j] for i in range(k)) / total for j in range(k)]
    observed = sum(weight(i, j) * matrix[i][j] / total for i in range(k) for j in range(k))
    expected = sum(weight(i, j) * rows[i] * cols[j] for i in range(k) for j in range(k))
    if expected == 0:
        return None
    return 1.0 - observed / expected


Z95 = 1.959963984540054  # the normal quantile of a two-sided 95% interval


def kappa_standard_error(matrix: Sequence[Sequence[int]], positions: Sequence[float] | None = None) -> float | None:
    """The large-sample standard error of (weighted) kappa (Fleiss, Cohen & Everitt 1969),
    with the same disagreement weights as ``cohen_kappa``. None when kappa is undefined."""
    k = len(matrix)
    total = sum(sum(row) for row in matrix)
    kappa = cohen_kappa(matrix, positions)
    if kappa is None or total < 2:  # one label: no interval worth printing
        return None
    span = (max(positions) - min(positions)) if positions else 0

    # agreement weights w = 1 - disagreement weight
    def w(i: int, j: int) -> float:
        if i == j:
            return 1.0
        if positions and span > 0:
            return 1.0 - abs(positions[i] - positions[j]) / span
        return 0.0

    p = [[matrix[i][j] / total for j in range(k)] for i in range(k)]
    rows = [sum(p[i]) for i in range(k)]
    cols = [sum(p[i][j] for i in range(k)) for j in range(k)]
    w_row = [sum(cols[j] * w(i, j) for j in range(k)) for i in range(k)]  # mean weight of row i under chance
    w_col = [sum(rows[i] * w(i, j) for i in range(k)) for j in range(k)]
    expected = sum(w(i, j) * rows[i] * cols[j] for i in range(k) for j in range(k))
    if expected >= 1.0:
        return None
    term = sum(p[i][j] * (w(i, j) - (w_row[i] + w_col[j]) * (1 - kappa)) ** 2 for i in range(k) for j in range(k))
    var = (term - (kappa - expected * (1 - kappa)) ** 2) / ((1 - expected) ** 2 * total)
    return math.sqrt(max(var, 0.0))


def kappa_interval(kappa: float | None, se: float | None) -> tuple[float, float] | None:
    """The 95% interval kappa +- 1.96 SE, clipped to [-1, 1]."""
    if kappa is None or se is None:
        return None
    return max(-1.0, kappa - Z95 * se), min(1.0, kappa + Z95 * se)


def class_rates(matrix: Sequence[Sequence[int]], labels: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per class (the human's grade as truth): precision (of the scorer's grade), recall,
    and how many times each side gave it."""
    k = len(labels)
    out: dict[str, dict[str, Any]] = {}
    for c in range(k):
        human = sum(matrix[c])
        machine = sum(matrix[i][c] for i in range(k))
        hit = matrix[c][c]
        out[labels[c]] = {
            "precision": hit / machine if machine else None,
            "recall": hit / human if human else None,
            "human": human,
            "scorer": machine,
        }
    return out


def pass_fail_rates(matrix: Sequence[Sequence[int]], passing: Sequence[bool]) -> dict[str, Any]:
    """Pass/fail agreement at the scorer's threshold (a class passes when its score does):
    TPR = P(scorer passes | human passes), TNR = P(scorer fails | human fails), with counts."""
    k = len(matrix)
    tp = sum(matrix[i][j] for i in range(k) for j in range(k) if passing[i] and passing[j])
    fn = sum(matrix[i][j] for i in range(k) for j in range(k) if passing[i] and not passing[j])
    tn = sum(matrix[i][j] for i in range(k) for j in range(k) if not passing[i] and not passing[j])
    fp = sum(matrix[i][j] for i in range(k) for j in range(k) if not passing[i] and passing[j])
    return {
        "tp": tp,
        "fn": fn,
        "tn": tn,
        "fp": fp,
        "tpr": tp / (tp + fn) if tp + fn else None,
        "tnr": tn / (tn + fp) if tn + fp else None,
    }


def agreement(
    pairs: Sequence[tuple[str, str]], categories: Sequence[tuple[str, float]], threshold: float = 0.5
) -> dict[str, Any]:
    """n, percent agreement (``accuracy``), kappa (weighted for ordinal scales of 3+) with
    its standard error and 95% interval, per-class precision/recall, pass/fail TPR and TNR
    (a grade passes when its score is at least ``threshold``) and the confusion matrix
    ({human label: {scorer label: count}}) of (human, scorer) category pairs."""
    labels = [name for name, _ in categories]
    matrix = confusion_matrix(pairs, labels)
    n = len(pairs)
    correct = sum(matrix[i][i] for i in range(len(labels)))
    positions = [score for _, score in categories] if len(categories) > 2 else None
    kappa = cohen_kappa(matrix, positions)
    se = kappa_standard_error(matrix, positions)
    return {
        "n": n,
        "accuracy": (correct / n) if n else None,
        "kappa": kappa,
        "kappa_se": se,
        "kappa_ci": kappa_interval(kappa, se),
        "classes": class_rates(matrix, labels),
        "pass_fail": {
            "threshold": threshold,
            **pass_fail_rates(matrix, [score >= threshold for _, score in categories]),
        },
        "confusion": {labels[i]: {labels[j]: matrix[i][j] for j in range(len(labels))} for i in range(len(labels))},
    }


def disagreements(rows: Sequence[dict[str, Any]], scale: dict[str, float]) -> list[dict[str, Any]]:
    """The rows where scorer and human chose different grades, worst first (the largest
    distance between their scores), each with both grades, the scorer's rationale and the
    human's note."""
    categories = categories_for(scale, [r["score"] for r in rows] + [r["human_score"] for r in rows])
    out = []
    for r in rows:
        human = categorise(r["human_score"], r.get("human_label"), categories)
        machine = categorise(r["score"], r.get("label"), categories)
        if human == machine:
            continue
        out.append(
            {
                "target_id": r["target_id"],
                "topic": r.get("topic") or "(unassigned)",
                "judge": machine,
                "human": human,
                "distance": abs(float(r["score"]) - float(r["human_score"])),
                "judge_rationale": r.get("rationale"),
                "human_note": r.get("human_note"),
            }
        )
    out.sort(key=lambda d: (-d["distance"], d["topic"], d["target_id"]))
    return out


def report(
    rows: Sequence[dict[str, Any]],
    scale: dict[str, float],
    threshold: float = 0.5,
    groups: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The calibration report of rows with score/label, human_score/human_label and topic:
    ``{"overall": {...}, "by_topic": {TOPIC: {...}}, "by_group": {GROUP: {...}}}``, each an
    ``agreement``; ``groups`` maps a topic to its group (topics without one are left out)."""
    categories = categories_for(scale, [r["score"] for r in rows] + [r["human_score"] for r in rows])
    if not categories:
        return {
            "labels": [],
            "weighted": False,
            "threshold": threshold,
            "overall": agreement([], [], threshold),
            "by_topic": {},
            "by_group": {},
        }
    pairs_by_topic: dict[str, list[tuple[str, str]]] = defaultdict(list)
    pairs_by_group: dict[str, list[tuple[str, str]]] = defaultdict(list)
    pairs = []
    for r in rows:
        pair = (
            categorise(r["human_score"], r.get("human_label"), categories),
            categorise(r["score"], r.get("label"), categories),
        )
        pairs.append(pair)
        topic = r.get("topic") or "(unassigned)"
        pairs_by_topic[topic].append(pair)
        if groups and topic in groups:
            pairs_by_group[groups[topic]].append(pair)
    return {
        "labels": [name for name, _ in categories],
        "weighted": len(categories) > 2,
        "threshold": threshold,
        "overall": agreement(pairs, categories, threshold),
        "by_topic": {t: agreement(p, categories, threshold) for t, p in sorted(pairs_by_topic.items())},
        "by_group": {g: agreement(p, categories, threshold) for g, p in sorted(pairs_by_group.items())},
    }


def compare(
    rows_a: Sequence[dict[str, Any]], rows_b: Sequence[dict[str, Any]], scale: dict[str, float], threshold: float = 0.5
) -> dict[str, Any]:
    """Two scorer versions on the targets both scored and humans labelled: each one's
    agreement, and how many cases moved toward (fixed) or away from (broken) the humans."""
    b_by_id = {r["target_id"]: r for r in rows_b}
    common = [r for r in rows_a if r["target_id"] in b_by_id]
    shared_b = [b_by_id[r["target_id"]] for r in common]
    ra, rb = report(common, scale, threshold), report(shared_b, scale, threshold)
    categories = categories_for(scale, [r["score"] for r in common + shared_b] + [r["human_score"] for r in common])
    fixed = broken = 0
    for a, b in zip(common, shared_b):
        human = categorise(a["human_score"], a.get("human_label"), categories)
        ok_a = categorise(a["score"], a.get("label"), categories) == human
        ok_b = categorise(b["score"], b.get("label"), categories) == human
        fixed += ok_b and not ok_a
        broken += ok_a and not ok_b
    return {"n": len(common), "a": ra, "b": rb, "fixed": fixed, "broken": broken}
