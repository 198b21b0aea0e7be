"""Agreement statistics: weighted kappa and its 95% interval against statsmodels and
scikit-learn, pass/fail rates and per-class precision/recall on a hand-checked table, and
disagreements worst first."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score, precision_score, recall_score
from statsmodels.stats.inter_rater import cohens_kappa

from evaltui.scoring.agreement import (
    agreement,
    cohen_kappa,
    confusion_matrix,
    disagreements,
    kappa_interval,
    kappa_standard_error,
    report,
)

ABC = [("A", 1.0), ("B", 0.5), ("C", 0.0)]


def _weights(positions: list[float]) -> np.ndarray:
    span = max(positions) - min(positions)
    return np.abs(np.subtract.outer(positions, positions)) / span


@pytest.mark.parametrize("seed", range(6))
def test_weighted_kappa_and_its_interval_agree_with_statsmodels_and_sklearn(seed: int) -> None:
    rng = random.Random(seed)
    labels = ["A", "B", "C"]
    pairs = []
    for _ in range(rng.randrange(20, 200)):
        human = rng.choice(labels)
        pairs.append((human, human if rng.random() < 0.6 else rng.choice(labels)))
    matrix = confusion_matrix(pairs, labels)
    positions = [1.0, 0.5, 0.0]
    ours = cohen_kappa(matrix, positions)
    theirs = cohens_kappa(np.array(matrix), weights=_weights(positions))
    assert ours == pytest.approx(theirs.kappa, abs=1e-12)
    assert kappa_standard_error(matrix, positions) == pytest.approx(theirs.std_kappa, rel=1e-9)
    assert ours == pytest.approx(
        cohen_kappa_score([h for h, _ in pairs], [m for _, m in pairs], labels=labels, weights="linear"), abs=1e-12
    )
    lo, hi = kappa_interval(ours, kappa_standard_error(matrix, positions))
    assert (lo, hi) == pytest.approx((max(-1, theirs.kappa_low), min(1, theirs.kappa_upp)), rel=1e-6)


def test_two_class_kappa_interval_agrees_with_statsmodels() -> None:
    matrix = [[20, 5], [10, 15]]
    theirs = cohens_kappa(np.array(matrix))
    assert cohen_kappa(matrix) == pytest.approx(theirs.kappa)
    assert kappa_standard_error(matrix) == pytest.approx(theirs.std_kappa, rel=1e-9)


def test_pass_fail_rates_and_classes_on_a_hand_checked_table() -> None:
    # humans: 10 A, 6 B, 4 C. The judge gives 4 of the A's a B and 2 a C, one B an A, one C a B.
    pairs = (
        [("A", "A")] * 4
        + [("A", "B")] * 4
        + [("A", "C")] * 2
        + [("B", "A")]
        + [("B", "B")] * 5
        + [("C", "B")]
        + [("C", "C")] * 3
    )
    a = agreement(pairs, ABC, threshold=1.0)  # only A passes
    assert a["n"] == 20 and a["accuracy"] == pytest.approx(12 / 20)
    # TPR: the judge passes 4 of the 10 human passes; TNR: it fails 9 of the 10 human fails
    assert a["pass_fail"]["tpr"] == pytest.approx(0.4) and a["pass_fail"]["tnr"] == pytest.approx(0.9)
    y_true = [h for h, _ in pairs]
    y_pred = [m for _, m in pairs]
    for label in "ABC":
        assert a["classes"][label]["precision"] == pytest.approx(
            precision_score(y_true, y_pred, labels=[label], average="macro", zero_division=0)
        )
        assert a["classes"][label]["recall"] == pytest.approx(
            recall_score(y_true, y_pred, labels=[label], average="macro", zero_division=0)
        )
    lo, hi = a["kappa_ci"]
    assert lo < a["kappa"] < hi
    b = agreement(pairs, ABC, threshold=0.5)  # A and B pass
    assert b["pass_fail"]["tpr"] == pytest.approx(14 / 16) and b["pass_fail"]["tnr"] == pytest.approx(3 / 4)


def test_the_interval_narrows_as_labels_grow() -> None:
    small = agreement([("A", "A")] * 6 + [("C", "C")] * 3 + [("A", "C")] * 2, ABC)
    large = agreement(([("A", "A")] * 6 + [("C", "C")] * 3 + [("A", "C")] * 2) * 10, ABC)
    assert small["kappa"] == pytest.approx(large["kappa"])
    # the large-sample standard error shrinks with the square root of n
    assert small["kappa_se"] / large["kappa_se"] == pytest.approx(10**0.5)
    assert large["kappa_ci"][0] > small["kappa_ci"][0] and large["kappa_ci"][1] < small["kappa_ci"][1]


def test_disagreements_come_worst_first_with_both_grades_and_why() -> None:
    scale = {"A": 1.0, "B": 0.5, "C": 0.0}
    rows = [
        {
            "target_id": "t1",
            "topic": "x",
            "score": 0.5,
            "label": "B",
            "human_score": 1.0,
            "human_label": "A",
            "rationale": "procedural",
            "human_note": "clear steps",
        },
        {
            "target_id": "t2",
            "topic": "x",
            "score": 0.0,
            "label": "C",
            "human_score": 1.0,
            "human_label": "A",
            "rationale": "too long",
            "human_note": "exactly right",
        },
        {"target_id": "t3", "topic": "y", "score": 1.0, "label": "A", "human_score": 1.0, "human_label": "A"},
    ]
    out = disagreements(rows, scale)
    assert [d["target_id"] for d in out] == ["t2", "t1"]
    assert out[0] == {
        "target_id": "t2",
        "topic": "x",
        "judge": "C",
        "human": "A",
        "distance": 1.0,
        "judge_rationale": "too long",
        "human_note": "exactly right",
    }


def test_report_has_topics_and_groups() -> None:
    rows = [
        {
            "target_id": f"t{i}",
            "topic": "a" if i % 2 else "b",
            "score": 1.0,
            "label": "A",
            "human_score": 1.0 if i % 3 else 0.0,
            "human_label": "A" if i % 3 else "C",
        }
        for i in range(12)
    ]
    out = report(rows, {"A": 1.0, "B": 0.5, "C": 0.0}, groups={"a": "g1", "b": "g1"})
    assert set(out["by_topic"]) == {"a", "b"}
    assert out["by_group"]["g1"]["n"] == 12 == out["overall"]["n"]


def test_calibrate_prints_kappa_with_its_interval_and_the_disagreements_worst_first(sample_db) -> None:
    import json
    import subprocess

    from tests.helpers import EVALTUI

    base = [*EVALTUI, "--db", str(sample_db), "calibrate", "brand_alignment"]
    table = subprocess.run(base, capture_output=True, text=True, timeout=120)
    assert table.returncode == 0, table.stderr
    report_json = json.loads(subprocess.run([*base, "--json"], capture_output=True, text=True, timeout=120).stdout)
    account = report_json["by_topic"]["account_and_login"]
    lo, hi = account["kappa_ci"]
    line = next(x for x in table.stdout.splitlines() if "account_and_login" in x)
    assert f"{account['kappa']:.2f} [{lo:.2f}, {hi:.2f}]" in line and "kappa [95% CI]" in table.stdout
    assert "TPR" in table.stdout and "precision" in table.stdout

    listed = subprocess.run([*base, "--disagreements", "--limit", "5"], capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    worst = report_json["disagreements"][0]
    n = len(report_json["disagreements"])
    assert n == report_json["overall"]["n"] - round(report_json["overall"]["accuracy"] * report_json["overall"]["n"])
    assert worst["distance"] == 1.0  # an A against a C comes before any one-grade miss
    lines = listed.stdout.splitlines()
    assert lines[0].startswith(f"{n} disagreements, worst first")
    assert worst["target_id"] in lines[1] and f"judge {worst['judge']}  human {worst['human']}" in lines[1]
    assert lines[2].strip().startswith("judge: ") and lines[3].strip().startswith("human: ")
    assert lines[-1].startswith(f"... {n - 5} more")
