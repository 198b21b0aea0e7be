"""`evaltui demo` end to end on a reduced sample: the story of the loop, in direction.

Real MiniLM, real DuckDB, deterministic (seeded generator, offline judges, offline bot).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evaltui.store import Store

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`evaltui demo --no-tui --json` as a user runs it, on a reduced sample."""
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    result = subprocess.run([sys.executable, "-m", "evaltui", "demo", "--json", "--conversations", "600", "--db", str(db)],
                            capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1  # one JSON object, the steps go to stderr
    return db, json.loads(result.stdout), result.stderr.splitlines()


def test_worst_topic_is_account_and_login(demo):
    _, out, _ = demo
    assert out["worst_topic_tag"] == "account_and_login"
    assert out["worst_topic"]  # the map's key, which a filter can use


def test_dataset_has_failing_borderline_and_passing_cases(demo):
    db, out, _ = demo
    ds = out["dataset"]
    assert ds["name"] == "account-issues" and ds["failing"] > 0 and ds["borderline"] > 0 and ds["passing"] > 0
    assert out["next_iteration"]["dataset_version"] == 2  # the new failures made version 2


def test_calibration_raises_kappa_on_the_worst_topic(demo):
    _, out, _ = demo
    cal = out["calibration"]
    assert cal["kappa_after"] > cal["kappa_before"] + 0.2


def test_rescoring_shows_the_fix_on_failing_cases_while_passing_cases_hold(demo):
    _, out, _ = demo
    production, calibrated = out["diff"], out["rescored_diff"]
    failing, passing = calibrated["by_bucket"]["failing"], calibrated["by_bucket"]["passing"]
    assert failing["fix"] > failing["baseline"] + 0.2
    assert passing["fix"] >= passing["baseline"] - 0.05 and passing["regressions"] == 0
    # the production judge saw much less of it than the calibrated one
    assert calibrated["delta"] > production["delta"] + 0.15


def test_rescoring_kept_the_runs_grades_and_ran_no_task(demo):
    db, _, _ = demo
    with Store(db) as store:
        rows = store.con.execute(
            "SELECT e.name, s.scorer, s.scorer_version IS NULL, count(*) FROM result_scores s "
            "JOIN experiments e ON e.id = s.experiment_id GROUP BY ALL ORDER BY ALL").fetchall()
        results = store.con.execute("SELECT count(*) FROM experiment_results").fetchall()[0][0]
    by = {(n, s, as_run): c for n, s, as_run, c in rows}
    for name in ("account-baseline", "account-fix"):
        assert by[(name, "Brand Alignment", True)] == by[(name, "Brand Alignment Offline", False)]
    assert results == sum(c for (n, s, as_run), c in by.items() if s == "Brand Alignment")


def test_the_next_week_is_scored_online_and_the_topic_improves(demo):
    _, out, _ = demo
    nxt = out["next_iteration"]
    assert nxt["scored"] > 0
    assert nxt["trend"]["conversations_after"] > 0
    assert nxt["trend"]["after"] > nxt["trend"]["before"]


def test_the_demo_says_what_it_is_doing(demo):
    _, _, lines = demo
    text = "\n".join(lines)
    for step in ("ingesting", "topic map", "where it hurts", "dataset", "account-baseline", "account-fix",
                 "calibrating", "re-scoring", "after_fix"):
        assert step in text


def test_demo_command_json_shape(demo):
    """`evaltui demo --json` prints one object with each step's outcome."""
    db, out, _ = demo
    assert set(out) == {"worst_topic", "worst_topic_tag", "dataset", "baseline", "fix", "diff", "calibration",
                        "rescored_diff", "next_iteration", "db", "seconds"}
    assert out["db"] == str(db) and out["seconds"] > 0
    assert {"kappa_before", "kappa_after"} <= set(out["calibration"])
    assert {"delta", "by_bucket"} <= set(out["diff"]) and {"delta", "by_bucket"} <= set(out["rescored_diff"])
