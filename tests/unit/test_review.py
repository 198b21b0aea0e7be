"""Review queues in the core: the order that teaches the most per label, queues that
survive a restart, several reviewers (nobody gets an item twice; N reviews per item),
skip and undo, human-vs-human agreement, and calibration against the majority or one
reviewer. Real DuckDB files throughout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.review_data import TOPICS, review_rows  # noqa: F401 - used by some tests

# -- the order -------------------------------------------------------------------------


def test_order_puts_disagreement_first_then_uncertainty_then_the_neediest_topic() -> None:
    from evaltui.scoring.review import Candidate, GroupNeed, order

    def g(label: str, score: float, confidence: float | None = None, scorer: str = "judge") -> dict[str, Any]:
        return {"scorer": scorer, "version": "v", "score": score, "label": label, "confidence": confidence}

    candidates = [
        Candidate("agree-good-topic", "t1", [g("A", 1.0), g("A", 1.0, scorer="offline")]),
        Candidate("disagree", "t1", [g("A", 1.0), g("C", 0.0, scorer="offline")]),
        Candidate("unsure", "t2", [g("B", 0.5), g("B", 0.5, 0.4, scorer="offline")]),
        Candidate("sure", "t2", [g("B", 0.5), g("B", 0.5, 0.9, scorer="offline")]),
    ]
    # t1: the judge agrees with people (kappa 0.9 on 50 labels); t2 has no labels yet.
    items = order(candidates, {"t1": GroupNeed(0.9, 50)})
    assert [i.target_id for i in items] == ["disagree", "unsure", "sure", "agree-good-topic"]
    assert items[0].reason.startswith("judges disagree: judge A, offline C")
    assert "offline unsure (0.40)" in items[1].reason and "t2: 0 labels" in items[1].reason
    assert "t1: kappa 0.90 on 50 labels" in items[3].reason
    assert [i.priority for i in items] == sorted((i.priority for i in items), reverse=True)


def test_order_spreads_a_queue_over_topics_that_need_labels() -> None:
    from evaltui.scoring.review import Candidate, order

    same = [{"scorer": "judge", "version": "v", "score": 1.0, "label": "A", "confidence": None}]
    candidates = [Candidate(f"{t}-{i}", t, same) for t in ("a", "b") for i in range(3)]
    assert [i.target_id for i in order(candidates, {}, limit=4)] == ["a-0", "b-0", "a-1", "b-1"]


# -- queues in the store -----------------------------------------------------------------


def test_a_queue_from_a_filter_is_ordered_stored_and_survives_a_restart(review_db: Path) -> None:
    from evaltui.scoring.review import build_from_filter
    from evaltui.store import Store
    from evaltui.store.review import next_targets, progress

    with Store(review_db) as store:
        queue, items = build_from_filter(store, "login", "brand_alignment", "topic = account_and_login")
    assert queue.scorer_key == "brand_alignment" and queue.kind == "span" and len(items) == 10
    # Turns 0, 15 (disagreement) first; the least sure offline grades next.
    assert [i.target_id for i in items[:2]] == ["c15-t1", "c00-t1"]
    assert all(i.reason.startswith("judges disagree") for i in items[:2])
    assert "brand_alignment_offline unsure" in items[2].reason

    with Store(review_db, read_only=True) as store:  # another process, later
        assert next_targets(store, "login", "ann", limit=10) == [i.target_id for i in items]
        assert progress(store, "login", "ann").text() == "0 of 10, 0 today"


def test_an_offline_judge_name_reviews_its_rubric_and_bad_input_says_so(review_db: Path) -> None:
    from evaltui.errors import EvaltuiError
    from evaltui.scoring.review import build_from_filter
    from evaltui.store import Store

    with Store(review_db) as store:
        queue, _ = build_from_filter(store, "q", "brand_alignment_offline")
        assert queue.scorer_key == "brand_alignment" and queue.source == "(all spans)"
        with pytest.raises(EvaltuiError, match="a review queue named 'q' exists"):
            build_from_filter(store, "q", "brand_alignment")
        with pytest.raises(EvaltuiError, match="no spans graded by brand_alignment"):
            build_from_filter(store, "none", "brand_alignment", "topic = account_and_login and input ~ nothing")
        with pytest.raises(EvaltuiError, match="bad filter at column"):
            build_from_filter(store, "bad", "brand_alignment", "scores.brand_alignment < high")


def test_several_reviewers_each_item_asks_for_its_reviews_and_nobody_gets_one_twice(review_db: Path) -> None:
    from evaltui.scoring.human_labels import add_label
    from evaltui.scoring.review import build_from_filter, label_next
    from evaltui.store import Store
    from evaltui.store.review import next_targets, progress

    with Store(review_db) as store:
        _, items = build_from_filter(store, "two", "brand_alignment", "topic = billing_and_payments", reviews=2)
        first, second = items[0].target_id, items[1].target_id
        assert label_next(store, "two", "ann", "a", "warm and clear") == (first, "A")
        assert next_targets(store, "two", "ann") == [second]  # ann never gets it again
        assert next_targets(store, "two", "bob") == [first]  # it still asks for a second review
        assert progress(store, "two", "ann").text() == "0 of 10, 1 today"
        label_next(store, "two", "bob", "B")
        assert progress(store, "two", "bob").done == 1
        assert first not in next_targets(store, "two", "cat", limit=20)  # it has its two reviews

        # A label written elsewhere (the CLI's `label`, the trace) counts too.
        add_label(store, second, "brand_alignment", "C", labeller="cat")
        assert second not in next_targets(store, "two", "cat", limit=20)
        note = store.con.execute(
            "SELECT rationale, json_extract_string(metadata, '$.reviewer') FROM scores WHERE target_id = ? "
            "AND source = 'human' ORDER BY created",
            [first],
        ).fetchall()
        assert note == [("warm and clear", "ann"), (None, "bob")]


def test_skip_sends_an_item_last_and_undo_takes_back_the_last_action(review_db: Path) -> None:
    from evaltui.scoring.review import build_from_filter, label_next
    from evaltui.store import Store
    from evaltui.store.review import next_targets, record_skip, undo_last

    with Store(review_db) as store:
        _, items = build_from_filter(store, "q", "brand_alignment", "topic = shipping_and_delivery")
        ids = [i.target_id for i in items]
        record_skip(store, "q", ids[0], "ann")
        assert next_targets(store, "q", "ann", limit=20) == ids[1:] + ids[:1]
        assert next_targets(store, "q", "bob") == ids[:1]  # a skip is ann's alone
        label_next(store, "q", "ann", "C")
        humans = "SELECT count(*) FROM scores WHERE source = 'human'"
        assert store.con.execute(humans).fetchall()[0][0] == 1
        assert undo_last(store, "q", "ann") == ("label", ids[1])
        assert store.con.execute(humans).fetchall()[0][0] == 0
        assert undo_last(store, "q", "ann") == ("skip", ids[0])
        assert next_targets(store, "q", "ann", limit=20) == ids
        assert undo_last(store, "q", "ann") is None


def test_a_grade_outside_the_rubric_is_refused_in_one_line(review_db: Path) -> None:
    from evaltui.errors import EvaltuiError
    from evaltui.scoring.review import build_from_filter, label_next
    from evaltui.store import Store

    with Store(review_db) as store:
        build_from_filter(store, "q", "brand_alignment")
        with pytest.raises(EvaltuiError, match="'Z' is not a grade of brand_alignment: use A, B, C"):
            label_next(store, "q", "ann", "Z")


# -- people against people, and calibration's ground truth ----------------------------------


def test_human_agreement_is_cohens_kappa_over_reviewer_pairs(review_db: Path) -> None:
    from sklearn.metrics import cohen_kappa_score

    from evaltui.scoring.human_labels import add_label
    from evaltui.scoring.review import human_agreement
    from evaltui.store import Store

    ann = list("AABBCCABCABC")
    bob = list("ABBBCAACCABB")
    with Store(review_db) as store:
        for i, (a, b) in enumerate(zip(ann, bob)):
            add_label(store, f"c{i:02d}-t1", "brand_alignment", a, labeller="ann")
            add_label(store, f"c{i:02d}-t1", "brand_alignment", b, labeller="bob")
        add_label(store, "c20-t1", "brand_alignment", "A", labeller="ann")  # one reviewer: not a pair
        got = human_agreement(store, "brand_alignment")
    assert got["items"] == got["pairs"] == 12 and got["reviewers"] == ["ann", "bob"] and got["weighted"]
    assert got["percent"] == pytest.approx(sum(a == b for a, b in zip(ann, bob)) / 12)
    assert got["kappa"] == pytest.approx(cohen_kappa_score(ann, bob, labels=["A", "B", "C"], weights="linear"))


def test_calibration_uses_the_majority_or_the_reviewer_named(review_db: Path) -> None:
    from evaltui.errors import EvaltuiError
    from evaltui.scoring.span_calibration import calibrate
    from evaltui.scoring.human_labels import add_label
    from evaltui.store import Store
    from evaltui.store.calibration_pairs import calibration_pairs

    with Store(review_db) as store:
        for who, grade in (("ann", "A"), ("bob", "A"), ("cat", "C")):  # cat last: the latest label
            add_label(store, "c00-t1", "brand_alignment", grade, labeller=who)
        for who, grade in (("ann", "A"), ("bob", "C")):  # a tie goes to the latest
            add_label(store, "c03-t1", "brand_alignment", grade, labeller=who)
        add_label(store, "c03-t1", "brand_alignment", "B", labeller="ann")  # ann changes her mind: one vote
        pairs = {
            p["target_id"]: p["human_label"]
            for p in calibration_pairs(store, "brand_alignment", "judge-v1", "brand_alignment")
        }
        assert pairs == {"c00-t1": "A", "c03-t1": "B"}
        cat = {
            p["target_id"]: p["human_label"]
            for p in calibration_pairs(store, "brand_alignment", "judge-v1", "brand_alignment", "cat")
        }
        assert cat == {"c00-t1": "C"}

        assert calibrate(store, "brand_alignment")["ground_truth"] == "majority of reviewers"
        assert calibrate(store, "brand_alignment", reviewer="bob")["ground_truth"] == "reviewer bob"
        with pytest.raises(
            EvaltuiError, match="no labels of brand_alignment by reviewer 'dan'; reviewers: ann, bob, cat"
        ):
            calibrate(store, "brand_alignment", reviewer="dan")


def test_a_label_carries_the_reviewer_from_the_environment(review_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from evaltui.scoring.human_labels import add_label
    from evaltui.store import Store

    monkeypatch.setenv("EVALTUI_REVIEWER", "dana")
    with Store(review_db) as store:
        add_label(store, "c01-t1", "brand_alignment", "B")
        monkeypatch.delenv("EVALTUI_REVIEWER")
        add_label(store, "c02-t1", "brand_alignment", "B")
        who = store.con.execute(
            "SELECT json_extract_string(metadata, '$.reviewer') FROM scores WHERE source = 'human' ORDER BY target_id"
        ).fetchall()
    import getpass

    assert who == [("dana",), (getpass.getuser(),)]
