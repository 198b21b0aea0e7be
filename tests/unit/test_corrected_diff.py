"""Judge-corrected diffs: the Rogan-Gladen estimator on a hand-checked example, the matrix
method agreeing with it on pass/fail, the bootstrap interval against the delta-method
standard error, and `evaltui diff` printing both lines and carrying both in --json."""

from __future__ import annotations

import json
import math
import subprocess

import numpy as np
import pytest

from evaltui.evals.corrected import confusion_rows, correct_shares, corrected_diff, rogan_gladen
from tests.helpers import EVALTUI

PASS, FAIL = 0, 1  # grade indices into scores [1.0, 0.0]


def test_rogan_gladen_by_hand() -> None:
    # observed 0.6 with sensitivity 0.8 and specificity 0.9: (0.6 + 0.9 - 1) / (0.8 + 0.9 - 1) = 0.5 / 0.7
    assert rogan_gladen(0.6, 0.8, 0.9) == pytest.approx(5 / 7)
    assert rogan_gladen(0.05, 0.8, 0.9) == 0.0  # below the false-positive rate: clipped
    assert rogan_gladen(0.5, 0.5, 0.5) is None  # a judge no better than chance corrects nothing


def test_the_matrix_method_is_rogan_gladen_for_pass_fail() -> None:
    m = np.array([[0.8, 0.2], [0.1, 0.9]])  # rows: human pass/fail; columns: judge pass/fail
    pi = correct_shares(np.array([0.6, 0.4]), m)
    assert pi[0] == pytest.approx(rogan_gladen(0.6, 0.8, 0.9))
    assert pi.sum() == pytest.approx(1.0)


def test_a_corrected_diff_on_hand_counts() -> None:
    # 40 labels in one topic: of 20 human passes the judge passes 16 (TPR 0.8); of 20 fails it fails 18 (TNR 0.9)
    pairs = [("t", PASS, PASS)] * 16 + [("t", PASS, FAIL)] * 4 + [("t", FAIL, FAIL)] * 18 + [("t", FAIL, PASS)] * 2
    # 10 cases: the judge passes 3 of the base and 6 of the candidate
    cases = [("t", PASS if i < 3 else FAIL, PASS if i < 6 else FAIL) for i in range(10)]
    d = corrected_diff(cases, pairs, [1.0, 0.0], 0.5, resamples=200)
    assert d.judge_delta == pytest.approx(0.3)
    # one topic: shrinking toward the overall confusion changes nothing
    expected = rogan_gladen(0.6, 0.8, 0.9) - rogan_gladen(0.3, 0.8, 0.9)
    assert d.corrected_delta == pytest.approx(expected)
    assert d.corrected_pass_delta == pytest.approx(expected)
    assert d.corrected_ci[0] < d.corrected_delta < d.corrected_ci[1]
    assert d.topics["t"] == {"cases": 10, "labels": 40, "tpr": 0.8, "tnr": 0.9}


def test_the_interval_carries_the_correction_uncertainty_as_the_delta_method_says() -> None:
    # The base side is always judged a fail and every human fail is judged a fail (TNR = 1
    # in every draw), so the corrected delta is the candidate's corrected rate alone:
    # Var = [p(1-p)/n + pi^2 Se(1-Se)/n_pos] / J^2 (Rogan-Gladen's delta method, Sp known).
    n, n_pos, n_neg, p, se = 400, 100, 100, 0.45, 0.75
    pairs = (
        [("t", PASS, PASS)] * int(se * n_pos)
        + [("t", PASS, FAIL)] * int((1 - se) * n_pos)
        + [("t", FAIL, FAIL)] * n_neg
    )
    cases = [("t", FAIL, PASS if i < p * n else FAIL) for i in range(n)]
    d = corrected_diff(cases, pairs, [1.0, 0.0], 0.5, resamples=4000, seed=1)
    pi = p / se
    sd = math.sqrt(p * (1 - p) / n + pi**2 * se * (1 - se) / n_pos) / se
    assert d.corrected_delta == pytest.approx(pi)
    width = d.corrected_ci[1] - d.corrected_ci[0]
    assert width / (2 * 1.959964) == pytest.approx(sd, rel=0.12)
    # ignoring the labels' uncertainty would give a narrower interval: it is really carried
    assert sd > math.sqrt(p * (1 - p) / n) / se * 1.1


def test_topics_with_few_labels_borrow_from_the_rest() -> None:
    counts = np.zeros((2, 2, 2))
    counts[0] = [[90, 10], [10, 90]]
    counts[1] = [[1, 0], [0, 0]]  # one label: alone it would claim a perfect judge on passes, nothing on fails
    rows = confusion_rows(counts, 2.0)
    assert rows[1, 0, 0] == pytest.approx((1 + 2 * 91 / 101) / 3)
    assert rows[1, 1] == pytest.approx(np.array([10, 90]) / 100)  # no fails labelled: the overall row
    assert np.allclose(rows.sum(axis=-1), 1.0)


def test_diff_prints_the_judge_and_the_corrected_effect_and_json_carries_both(demo_run) -> None:
    db, _, _ = demo_run
    text = subprocess.run(
        [*EVALTUI, "--db", str(db), "diff", "account-baseline", "account-fix"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert text.returncode == 0, text.stderr
    data = json.loads(
        subprocess.run(
            [*EVALTUI, "--db", str(db), "diff", "account-baseline", "account-fix", "--json"],
            capture_output=True,
            text=True,
            timeout=300,
        ).stdout
    )
    entry = data["corrected"]["Brand Alignment"]
    o = entry["overall"]
    assert entry["labels"] > 0 and o["n"] == data["scores"]["Brand Alignment"]["n"]
    assert o["judge_delta"] == pytest.approx(data["scores"]["Brand Alignment"]["delta"])
    line = (
        f"Brand Alignment: judge {o['judge_delta']:+.2f} [{o['judge_ci'][0]:+.2f}, {o['judge_ci'][1]:+.2f}]; "
        f"corrected for judge error {o['corrected_delta']:+.2f} [{o['corrected_ci'][0]:+.2f}, "
        f"{o['corrected_ci'][1]:+.2f}]"
    )
    assert line in text.stdout
    assert set(entry["by_bucket"]) == set(data["buckets"])
