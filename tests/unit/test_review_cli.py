"""`evaltui review` and `evaltui calibrate --reviewer` as a user runs them: real processes
on a real database, reviewers named by EVALTUI_REVIEWER."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

from tests.helpers import EVALTUI


def run(db: Path, *args: str, reviewer: str = "ann", stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "EVALTUI_REVIEWER": reviewer}
    return subprocess.run(
        [*EVALTUI, *args, "--db", str(db)], capture_output=True, text=True, timeout=120, env=env, input=stdin
    )


def test_create_a_queue_label_skip_and_undo_from_the_command_line(review_db: Path) -> None:  # noqa: F811
    out = run(
        review_db, "review", "create", "login", "--scorer", "brand_alignment", "--where", "topic = account_and_login"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(
        "queue login: 10 spans to label for brand_alignment (1 review each), from topic = account_and_login"
    )
    assert (
        "  1. c15-t1: judges disagree: brand_alignment A, brand_alignment_offline B; account_and_login: 0 labels"
        in out.stdout
    )

    shown = run(review_db, "review", "next", "login").stdout
    assert shown.splitlines()[1] == "[0 of 10, 0 today] c15-t1 · turn · topic account_and_login"
    assert "Customer: help #15\nAgent: reply 15\n" in shown
    assert "judge Brand Alignment (judge-v1): A - judge says A" in shown and "grades: A=1, B=0.5, C=0" in shown

    out = run(review_db, "review", "label", "login", "a", "--note", "clear steps")
    assert out.returncode == 0 and out.stdout.strip() == "c15-t1: A by ann (1 of 10, 1 today)"
    assert run(review_db, "review", "skip", "login").stdout.strip() == "skipped c00-t1"
    assert run(review_db, "review", "undo", "login").stdout.strip() == "undid the skip of c00-t1"

    listed = [
        json.loads(line) for line in run(review_db, "review", "list", "--json", reviewer="bob").stdout.splitlines()
    ]
    assert [(q["name"], q["done"], q["total"], q["today"], q["left_for_you"]) for q in listed] == [
        ("login", 1, 10, 0, 9)
    ]

    bad = run(review_db, "review", "label", "login", "Q")
    assert bad.returncode == 2 and bad.stderr.strip() == "error: 'Q' is not a grade of brand_alignment: use A, B, C"
    missing = run(review_db, "review", "show", "nope")
    assert missing.returncode == 2 and missing.stderr.startswith("error: no review queue named 'nope'; queues: login")


def test_review_run_labels_item_by_item_with_notes_skips_and_undo(review_db: Path) -> None:  # noqa: F811
    assert run(review_db, "review", "create", "q", "--scorer", "brand_alignment", "--limit", "4").returncode == 0
    session = run(review_db, "review", "run", "q", stdin="B too generic\ns\nC\nu\nA\nq\n")
    assert session.returncode == 0, session.stderr
    assert "undid the label of" in session.stdout
    rows = json.loads(run(review_db, "review", "show", "q", "--json").stdout)
    assert (rows["done"], rows["total"], rows["today"]) == (2, 4, 2)
    from tests.helpers import query

    labels = query(review_db, "SELECT label, rationale FROM scores WHERE source = 'human' ORDER BY created")
    assert labels == [("B", "too generic"), ("A", None)]


def test_calibrate_says_its_ground_truth_and_how_people_agree(review_db: Path) -> None:  # noqa: F811
    for who, grades in (("ann", "AABBC"), ("bob", "ABBBC")):
        for i, grade in enumerate(grades):
            assert run(review_db, "label", f"c{i:02d}-t1", "brand_alignment", grade, reviewer=who).returncode == 0
    out = run(review_db, "calibrate", "brand_alignment")
    assert out.returncode == 0, out.stderr
    assert (
        "ground truth: majority of reviewers; humans vs humans: 80% agree, kappa 0.74 on 5 items labelled by "
        "2+ of 2 reviewers"
    ) in out.stdout
    one = json.loads(run(review_db, "calibrate", "brand_alignment", "--reviewer", "bob", "--json").stdout)
    assert one["ground_truth"] == "reviewer bob" and one["overall"]["n"] == 5
    assert one["humans"]["pairs"] == 5 and one["humans"]["kappa"] is not None
    bad = run(review_db, "calibrate", "brand_alignment", "--reviewer", "zed")
    assert (
        bad.returncode == 2
        and bad.stderr.strip() == "error: no labels of brand_alignment by reviewer 'zed'; reviewers: ann, bob"
    )


def test_a_queue_from_a_diff_puts_cases_whose_grade_moved_first(tmp_path: Path) -> None:
    from tests.tui.helpers import two_experiments

    db = asyncio.run(two_experiments(tmp_path))
    out = run(db, "review", "create", "diff", "--scorer", "apologises", "--diff", "baseline", "candidate")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(
        "queue diff: 48 results to label for apologises (1 review each), from diff baseline candidate"
    )
    shown = json.loads(run(db, "review", "show", "diff", "--next", "48", "--json").stdout)
    moved = [n["reason"].startswith("grade moved") for n in shown["next"]]
    # baseline apologises on even cases, candidate on every third: 12 of 24 cases move, both sides of each
    assert moved == [True] * 24 + [False] * 24
    assert run(db, "review", "label", "diff", "n").returncode == 0
    assert run(db, "review", "show", "diff").stdout.startswith(
        "diff: apologises from diff baseline candidate; 1 of 48, 1 today"
    )
