"""`evaltui demo` end to end on a reduced sample: the story of the loop, in direction.

Real MiniLM, real DuckDB, deterministic (seeded generator, offline judges, offline bot).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evaltui.demo.run import run_demo
from evaltui.store import Store

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    lines: list[str] = []
    out = run_demo(db, conversations=600, quiet=True, echo=lines.append)
    return db, out, lines


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


def test_the_worst_topics_failure_modes_show_the_judges_blind_spot(demo):
    _, out, lines = demo
    modes = out["worst_topic_failure_modes"]
    assert modes and all(m["count"] > 0 and m["example_span_id"] for m in modes)
    # the step-by-step recovery replies the production judge grades down, which people pass
    # (on this reduced sample few of them carry a human label; the full demo shows people passing them)
    steps = [m for m in modes if m["scorer"] == "brand_alignment"
             and any("procedural steps" in r or "step list" in r for r in m["rationales"])]
    assert steps and steps[0]["sources"].get("judge-v1") and steps[0]["people_passed"] == steps[0]["labelled"]
    assert f"failure modes of {out['worst_topic']}" in "\n".join(lines)


def test_the_demo_says_what_it_is_doing(demo):
    _, _, lines = demo
    text = "\n".join(lines)
    for step in ("ingesting", "topic map", "where it hurts", "dataset", "account-baseline", "account-fix",
                 "calibrating", "re-scoring", "after_fix"):
        assert step in text


def test_demo_command_json_shape(tmp_path, monkeypatch):
    """The CLI prints one JSON object with the documented keys (reduced sample via the API's
    knob is not exposed on the CLI, so this only checks --help and the option set)."""
    result = subprocess.run([sys.executable, "-m", "evaltui", "demo", "--help"], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0
    assert "--no-tui" in result.stdout and "--json" in result.stdout and "--db" in result.stdout
