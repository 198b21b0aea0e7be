"""Calibration: how well a scorer agrees with human labels (pure functions, no I/O).

Agreement is reported as n, accuracy, Cohen's kappa and the confusion matrix, overall
and per topic. Kappa is weighted (linear, by the distance between the choices' scores)
when the scale has more than two ordered choices, e.g. A/B/C = 1/0.5/0; for two choices
weighted and plain kappa are the same number.
"""

from __future__ import annotations

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


def agreement(pairs: Sequence[tuple[str, str]], categories: Sequence[tuple[str, float]]) -> dict[str, Any]:
    """n, accuracy, kappa (weighted for ordinal scales of 3+) and the confusion matrix
    ({human label: {scorer label: count}}) of (human, scorer) category pairs."""
    labels = [name for name, _ in categories]
    matrix = confusion_matrix(pairs, labels)
    n = len(pairs)
    correct = sum(matrix[i][i] for i in range(len(labels)))
    positions = [score for _, score in categories] if len(categories) > 2 else None
    kappa = cohen_kappa(matrix, positions)
    return {
        "n": n,
        "accuracy": (correct / n) if n else None,
        "kappa": kappa,
        "confusion": {labels[i]: {labels[j]: matrix[i][j] for j in range(len(labels))} for i in range(len(labels))},
    }


def report(rows: Sequence[dict[str, Any]], scale: dict[str, float]) -> dict[str, Any]:
    """The calibration report of rows with score/label, human_score/human_label and topic:
    ``{"overall": {...}, "by_topic": {TOPIC: {"n", "accuracy", "kappa", "confusion"}}}``."""
    categories = categories_for(scale, [r["score"] for r in rows] + [r["human_score"] for r in rows])
    if not categories:
        return {"labels": [], "weighted": False, "overall": agreement([], []), "by_topic": {}}
    pairs_by_topic: dict[str, list[tuple[str, str]]] = defaultdict(list)
    pairs = []
    for r in rows:
        pair = (categorise(r["human_score"], r.get("human_label"), categories),
                categorise(r["score"], r.get("label"), categories))
        pairs.append(pair)
        pairs_by_topic[r.get("topic") or "(unassigned)"].append(pair)
    return {
        "labels": [name for name, _ in categories],
        "weighted": len(categories) > 2,
        "overall": agreement(pairs, categories),
        "by_topic": {t: agreement(p, categories) for t, p in sorted(pairs_by_topic.items())},
    }


def compare(rows_a: Sequence[dict[str, Any]], rows_b: Sequence[dict[str, Any]], scale: dict[str, float]) -> dict[str, Any]:
    """Two scorer versions on the targets both scored and humans labelled: each one's
    agreement, and how many cases moved toward (fixed) or away from (broken) the humans."""
    b_by_id = {r["target_id"]: r for r in rows_b}
    common = [r for r in rows_a if r["target_id"] in b_by_id]
    shared_b = [b_by_id[r["target_id"]] for r in common]
    ra, rb = report(common, scale), report(shared_b, scale)
    categories = categories_for(scale, [r["score"] for r in common + shared_b] + [r["human_score"] for r in common])
    fixed = broken = 0
    for a, b in zip(common, shared_b):
        human = categorise(a["human_score"], a.get("human_label"), categories)
        ok_a = categorise(a["score"], a.get("label"), categories) == human
        ok_b = categorise(b["score"], b.get("label"), categories) == human
        fixed += ok_b and not ok_a
        broken += ok_a and not ok_b
    return {"n": len(common), "a": ra, "b": rb, "fixed": fixed, "broken": broken}
