"""Calibration: kappa and confusion against hand-computed values, labels, and the sample
logs' known judge problem on account_and_login."""

from __future__ import annotations

import json
import subprocess

import pytest

from evaltui.scoring.agreement import agreement, cohen_kappa, confusion_matrix, report
from tests.helpers import EVALTUI

ABC = [("A", 1.0), ("B", 0.5), ("C", 0.0)]


def test_unweighted_kappa_by_hand():
    # po = 35/50 = 0.7; pe = (25*30 + 25*20) / 50^2 = 0.5; kappa = (0.7 - 0.5) / 0.5 = 0.4
    assert cohen_kappa([[20, 5], [10, 15]]) == pytest.approx(0.4)


def test_weighted_kappa_by_hand():
    m = [[2, 1, 0], [0, 2, 1], [1, 0, 3]]
    # linear weights 0 / .5 / 1: observed .2, expected .45 -> 1 - .2/.45 = 5/9
    assert cohen_kappa(m, [1.0, 0.5, 0.0]) == pytest.approx(5 / 9)
    # unweighted: po = .7, pe = .34 -> .36 / .66 = 6/11
    assert cohen_kappa(m) == pytest.approx(6 / 11)


def test_kappa_undefined_and_perfect():
    assert cohen_kappa([[0, 0], [0, 0]]) is None
    assert cohen_kappa([[5, 0], [0, 0]]) is None  # one category only: chance agreement is perfect
    assert cohen_kappa([[3, 0], [0, 4]]) == 1.0


def test_confusion_and_agreement():
    pairs = [("A", "A"), ("A", "B"), ("B", "B"), ("C", "A"), ("C", "C")]
    assert confusion_matrix(pairs, ["A", "B", "C"]) == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]
    a = agreement(pairs, ABC)
    assert a["n"] == 5 and a["accuracy"] == pytest.approx(0.6)
    assert a["confusion"]["C"] == {"A": 1, "B": 0, "C": 1}


def test_report_by_topic_and_numeric_labels():
    rows = [
        {"target_id": "1", "topic": "t1", "score": 1.0, "label": "A", "human_score": 1.0, "human_label": "A"},
        {"target_id": "2", "topic": "t1", "score": 0.5, "label": None, "human_score": 0.0, "human_label": None},
        {"target_id": "3", "topic": "t2", "score": 0.0, "label": "C", "human_score": 0.0, "human_label": "C"},
    ]
    out = report(rows, {"A": 1.0, "B": 0.5, "C": 0.0})
    assert out["labels"] == ["A", "B", "C"] and out["weighted"]
    assert out["by_topic"]["t1"]["n"] == 2 and out["by_topic"]["t1"]["confusion"]["C"]["B"] == 1
    assert out["by_topic"]["t2"]["accuracy"] == 1.0


def test_sample_logs_show_the_judge_failing_on_account_and_login(sample_db):
    out = subprocess.run(
        [*EVALTUI, "--db", str(sample_db), "calibrate", "brand_alignment", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["version"] == "judge-v1" and result["weighted"]
    assert result["overall"]["n"] == 322
    topics = result["by_topic"]
    low = topics["account_and_login"]["kappa"]
    others = [v["kappa"] for t, v in topics.items() if t != "account_and_login"]
    assert low < 0.4 and min(others) > 0.6
    assert set(topics["account_and_login"]) == {
        "n",
        "accuracy",
        "kappa",
        "kappa_se",
        "kappa_ci",
        "classes",
        "pass_fail",
        "confusion",
    }
    lo, hi = topics["account_and_login"]["kappa_ci"]
    assert lo < low < hi
    # the humans grade recovery-step replies A, the judge does not
    assert topics["account_and_login"]["confusion"]["A"]["A"] < sum(
        topics["account_and_login"]["confusion"]["A"].values()
    )
    text = subprocess.run(
        [*EVALTUI, "--db", str(sample_db), "calibrate", "brand_alignment"], capture_output=True, text=True, timeout=60
    )
    assert "account_and_login" in text.stdout and "overall" in text.stdout


def test_label_then_calibrate_and_compare_versions(store):
    from evaltui.scoring.span_calibration import calibrate
    from evaltui.scoring.errors import ScorerSetupError
    from evaltui.scoring.human_labels import add_label
    from evaltui.store.scoring import ScoreWrite, write_scores
    from tests.helpers import write_jsonl, span

    path = write_jsonl(store.path.parent / "l.jsonl", [span(f"s{i}", metadata={"topic": "t"}) for i in range(4)])
    from evaltui.ingest import ingest_file

    ingest_file(store, path)
    v1 = {"s0": "A", "s1": "B", "s2": "C", "s3": "A"}
    v2 = {"s0": "A", "s1": "A", "s2": "C", "s3": "C"}
    scale = {"A": 1.0, "B": 0.5, "C": 0.0}
    for version, labels in (("v1", v1), ("v2", v2)):
        write_scores(store, [ScoreWrite(k, k, "Brand Alignment", version, scale[v], v) for k, v in labels.items()])
    for target, value in {"s0": "A", "s1": "a", "s2": "0", "s3": "C"}.items():
        add_label(store, target, "brand_alignment", value)
    with pytest.raises(ScorerSetupError, match="not a label of brand_alignment"):
        add_label(store, "s0", "brand_alignment", "Z")
    with pytest.raises(ScorerSetupError, match="no span"):
        add_label(store, "nope", "brand_alignment", "A")
    one = calibrate(store, "brand_alignment", versions=["v1"])
    assert one["overall"]["n"] == 4 and one["overall"]["accuracy"] == 0.5
    both = calibrate(store, "brand_alignment", versions=["v1", "v2"])
    assert both["n"] == 4 and both["a"]["overall"]["accuracy"] == 0.5 and both["b"]["overall"]["accuracy"] == 1.0
    assert (both["fixed"], both["broken"]) == (2, 0)
    assert calibrate(store, "brand_alignment")["version"] in ("v1", "v2")
    # human labels never reach the production roll-up
    rolled = store.con.execute("SELECT count(*) FROM score_rollup WHERE span_id = 's1' AND label = 'A'").fetchall()
    assert rolled[0][0] == 1  # v2 (newest machine score), not the human label


def test_label_cli(db_path, tmp_path):
    from tests.helpers import write_jsonl, span

    path = write_jsonl(tmp_path / "x.jsonl", [span("c1", metadata={"topic": "t"})])
    subprocess.run([*EVALTUI, "--db", str(db_path), "ingest", str(path)], check=True, capture_output=True)
    ok = subprocess.run(
        [*EVALTUI, "--db", str(db_path), "label", "c1", "brand_alignment", "B", "--rationale", "meh"],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and "Brand Alignment = B (0.5)" in ok.stdout
    bad = subprocess.run(
        [*EVALTUI, "--db", str(db_path), "label", "c1", "brand_alignment", "7"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr
