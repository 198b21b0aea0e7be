"""Comparing experiments: paired statistics against hand-computed values, matching,
added/removed cases, buckets, flips, and `evaltui diff` as a user runs it."""

from __future__ import annotations

import json
import subprocess

import pytest

from evaltui.evals.compare import compare
from evaltui.evals.stats import paired_bootstrap_ci, spread, wilcoxon_signed_rank
from tests.helpers import EVALTUI


def test_wilcoxon_exact_values_by_hand():
    # n=5, all positive: only 1 of 32 sign patterns is as extreme on each side -> 2/32
    assert wilcoxon_signed_rank([0.1, 0.2, 0.3, 0.4, 0.5]) == pytest.approx(0.0625)
    # ranks 1..5 with rank 2 negative: W+ = 13; P(W+ >= 13) = 3/32 ({}, {1}, {2} sum <= 2)
    assert wilcoxon_signed_rank([0.1, -0.2, 0.3, 0.4, 0.5]) == pytest.approx(2 * 3 / 32)
    # ties: six equal positive deltas share rank 3.5; only all-positive is that extreme -> 2/64
    assert wilcoxon_signed_rank([1, 1, 1, 1, 1, 1]) == pytest.approx(2 / 64)
    # ties both ways: [.5, .5, -.5] -> W+ is the middle of {0, 1, 2, 3} x 2 ranks -> p = 1
    assert wilcoxon_signed_rank([0.5, 0.5, -0.5]) == pytest.approx(1.0)
    # zeros are dropped; nothing left to test -> 1.0; nothing at all -> None
    assert wilcoxon_signed_rank([0, 0]) == 1.0 and wilcoxon_signed_rank([]) is None


def test_wilcoxon_agrees_with_scipy_on_graded_scores():
    scipy_stats = pytest.importorskip("scipy.stats")
    import random

    rng = random.Random(5)
    for n in (6, 9, 12):  # ties, at most 13 deltas: scipy is exact too (by permutation)
        deltas = [rng.choice([-1, -0.5, 0.5, 1, 1]) for _ in range(n)]
        assert wilcoxon_signed_rank(deltas) == pytest.approx(scipy_stats.wilcoxon(deltas).pvalue)
    for n in (8, 20, 50):  # no ties or zeros, at most 50 deltas: both exact
        distinct = [rng.uniform(-1, 1.2) for _ in range(n)]
        assert wilcoxon_signed_rank(distinct) == pytest.approx(scipy_stats.wilcoxon(distinct).pvalue)
    big = [rng.uniform(-1, 1.2) for _ in range(80)]  # more than 50: both the normal approximation
    assert wilcoxon_signed_rank(big) == pytest.approx(scipy_stats.wilcoxon(big).pvalue)
    tied = [rng.choice([-1, -0.5, 0, 0.5, 1, 1]) for _ in range(90)]  # ... with the tie correction
    assert sum(d != 0 for d in tied) > 50
    assert wilcoxon_signed_rank(tied) == pytest.approx(scipy_stats.wilcoxon(tied).pvalue)


def test_wilcoxon_stays_exact_with_ties_where_scipy_approximates():
    """14-50 deltas with ties: scipy's default is the normal approximation; this test is
    exact, and equals scipy's permutation test over every sign pattern (the docstring's n = 14)."""
    scipy_stats = pytest.importorskip("scipy.stats")
    import random

    rng = random.Random(3)
    deltas = [rng.choice([-1, -0.5, 0.5, 1, 1]) for _ in range(14)]
    every_pattern = scipy_stats.PermutationMethod(n_resamples=2**14)
    exact = scipy_stats.wilcoxon(deltas, method=every_pattern).pvalue
    assert wilcoxon_signed_rank(deltas) == pytest.approx(exact)
    assert exact == pytest.approx(0.0819, abs=1e-4)
    assert scipy_stats.wilcoxon(deltas).pvalue == pytest.approx(0.0613, abs=1e-4)  # scipy's default


def test_wilcoxon_on_an_a_b_c_judge_is_exact_over_its_sign_patterns():
    """A choice judge grades A=1, B=0.5, C=0: its deltas are all ties and zeros. The p-value
    is the share of sign patterns (of the non-zero deltas' average ranks) at least as extreme."""
    np = pytest.importorskip("numpy")
    scipy_stats = pytest.importorskip("scipy.stats")

    grade = {"A": 1.0, "B": 0.5, "C": 0.0}
    base, candidate = "CCCBCACCCCBABCCBCBABACCA", "AAAACCACABAAAACCCCCAAABB"
    deltas = [grade[c] - grade[b] for b, c in zip(base, candidate)]
    nonzero = np.array([d for d in deltas if d != 0])
    assert len(nonzero) == 18 and (nonzero < 0).sum() == 5
    ranks = scipy_stats.rankdata(np.abs(nonzero))
    patterns = (np.arange(2 ** len(nonzero))[:, None] >> np.arange(len(nonzero))) & 1
    w_plus = patterns @ ranks
    observed = ranks[nonzero > 0].sum()
    p = min(1.0, 2 * min((w_plus <= observed + 1e-9).mean(), (w_plus >= observed - 1e-9).mean()))
    assert wilcoxon_signed_rank(deltas) == pytest.approx(p)
    assert p == pytest.approx(0.0665, abs=1e-4)
    # scipy's default falls back to the normal approximation here, as the docstring says
    default = scipy_stats.wilcoxon(deltas).pvalue
    assert default == pytest.approx(scipy_stats.wilcoxon(deltas, method="asymptotic").pvalue)
    assert abs(default - p) > 0.005


def test_paired_bootstrap_ci_by_hand():
    # deltas {0, 1}: resampled means are 0, .5, 1 with prob 1/4, 1/2, 1/4 -> the 2.5% and 97.5% points
    assert paired_bootstrap_ci([0.0, 1.0]) == (0.0, 1.0)
    assert paired_bootstrap_ci([0.25, 0.25, 0.25]) == (0.25, 0.25)
    assert paired_bootstrap_ci([]) == (None, None)
    lo, hi = paired_bootstrap_ci([0.1, 0.2, 0.3, 0.9])
    assert lo < 0.375 < hi and paired_bootstrap_ci([0.1, 0.2, 0.3, 0.9]) == (lo, hi)  # seeded
    assert spread([0.0, 1.0]) == 0.5


def _result(record_id, score, trial=0, bucket=None, input=None, name="Correct"):
    return {
        "record_id": record_id,
        "trial": trial,
        "bucket": bucket,
        "input": input or record_id,
        "error": None,
        "scores": {name: {"score": score}},
    }


def test_compare_matches_by_record_id_reports_added_removed_and_buckets():
    base = [
        _result("r1", 1.0, bucket="passing"),
        _result("r2", 0.0, bucket="failing"),
        _result("r3", 0.0, bucket="failing"),
        _result("r4", 0.5, bucket="borderline"),
    ]
    cand = [
        _result("r2", 1.0, bucket="failing"),
        _result("r3", 1.0, bucket="failing"),
        _result("r4", 0.0, bucket="borderline"),
        _result("r5", 1.0, bucket="failing"),
    ]
    c = compare(base, cand, base_name="b", candidate_name="c")
    assert c.matched_by == "record_id" and c.added == ["r5"] and c.removed == ["r1"]
    s = c.scores["Correct"]
    # matched r2 (0->1), r3 (0->1), r4 (.5->0): deltas 1, 1, -.5
    assert (s.n, s.base_mean, s.candidate_mean) == (3, pytest.approx(0.5 / 3), pytest.approx(2 / 3))
    assert s.delta == pytest.approx(0.5) and (s.improvements, s.regressions) == (2, 1)
    assert s.p_value == pytest.approx(wilcoxon_signed_rank([1, 1, -0.5]))
    assert c.buckets["failing"]["Correct"].delta == 1.0 and c.buckets["failing"]["Correct"].n == 2
    assert c.buckets["borderline"]["Correct"].regressions == 1
    status = {row["key"]: row["status"] for row in c.cases}
    assert status == {"r1": "removed", "r2": "improved", "r3": "improved", "r4": "regressed", "r5": "added"}
    assert json.loads(json.dumps(c.to_json()))["scores"]["Correct"]["delta"] == 0.5


def test_compare_falls_back_to_input_hash_and_reports_trial_spread_and_flips():
    base = [_result(None, 0.0, t, input={"q": "a"}) for t in range(3)] + [_result(None, 1.0, 0, input={"q": "b"})]
    cand = [_result(None, v, t, input={"q": "a"}) for t, v in enumerate([1.0, 0.0, 1.0])] + [
        _result(None, 1.0, 0, input={"q": "b"})
    ]
    c = compare(base, cand)
    assert c.matched_by == "input_hash" and not c.added and not c.removed
    row = next(r for r in c.cases if r["input"] == {"q": "a"})
    entry = row["scores"]["Correct"]
    assert entry["base"] == 0.0 and entry["candidate"] == pytest.approx(2 / 3)
    assert entry["candidate_trials"] == [1.0, 0.0, 1.0] and entry["candidate_spread"] == pytest.approx((2 / 9) ** 0.5)
    assert [(f["score"], f["side"]) for f in c.flips] == [("Correct", "candidate")]


def _run_experiment(db, name, values):
    from evaltui import Eval

    data = [{"input": i, "id": f"r{i}"} for i in range(len(values))]
    Eval(
        "diffproj",
        data=data,
        task=lambda i: values[i],
        scores=[lambda output: output],
        experiment_name=name,
        db=db,
        quiet=True,
    )


def test_diff_of_evals_whose_data_repeats_ids_matches_each_case_by_id_and_occurrence(tmp_path):
    from evaltui import Eval
    from evaltui.evals.compare import compare_experiments
    from evaltui.store import Store

    db = tmp_path / "d.duckdb"
    data = [
        {"id": "a", "input": 1},
        {"id": "a", "input": 2},
        {"id": "b", "input": 3},
        {"id": "b", "input": 4},
        {"id": "c", "input": 5},
    ]
    for name, task in (("up", lambda i: i / 10), ("down", lambda i: 1 - i / 10)):
        Eval(
            "dups",
            data=data,
            task=task,
            scores=[lambda output: output],
            experiment_name=name,
            db=db,
            quiet=True,
            trial_count=2,
        )
    with Store(db) as store:
        c = compare_experiments(store, "up", "down")
    assert [row["key"] for row in c.cases] == ["a", "a#2", "b", "b#2", "c"]
    by_key = {row["key"]: row for row in c.cases}
    assert by_key["a#2"]["input"] == 2 and by_key["a#2"]["scores"]["scorer"]["base"] == pytest.approx(0.2)
    assert by_key["a#2"]["scores"]["scorer"]["candidate"] == pytest.approx(0.8)
    assert c.scores["scorer"].n == 5 and not c.added and not c.removed


def test_cli_diff_json_and_fail_on_regression(tmp_path):
    db = tmp_path / "d.duckdb"
    _run_experiment(db, "good", [1.0] * 6 + [0.5])
    _run_experiment(db, "worse", [0.0] * 6 + [0.5])
    _run_experiment(db, "same", [1.0] * 6 + [0.5])
    out = subprocess.run([*EVALTUI, "diff", "good", "worse", "--json", "--db", str(db)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["matched_by"] == "record_id" and d["added"] == [] and d["removed"] == []
    s = d["scores"]["scorer"]
    assert set(s) >= {
        "base_mean",
        "candidate_mean",
        "delta",
        "improvements",
        "regressions",
        "ci_low",
        "ci_high",
        "p_value",
    }
    assert s["regressions"] == 6 and s["delta"] == pytest.approx(-6 / 7) and s["p_value"] == pytest.approx(2 / 64)
    assert s["ci_high"] < 0
    out = subprocess.run(
        [*EVALTUI, "diff", "good", "worse", "--fail-on-regression", "--db", str(db)], capture_output=True, text=True
    )
    assert out.returncode == 1 and "regression: scorer" in out.stderr and "against" in out.stdout
    out = subprocess.run(
        [*EVALTUI, "diff", "good", "same", "--fail-on-regression", "--db", str(db)], capture_output=True, text=True
    )
    assert out.returncode == 0
    out = subprocess.run([*EVALTUI, "diff", "good", "nope", "--db", str(db)], capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.startswith("error: no experiment named 'nope'")
