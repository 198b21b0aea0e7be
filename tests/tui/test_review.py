"""The review pane under Pilot: keyboard only at 80x24, twenty labels in under sixty
keystrokes (a note's text aside), type-ahead, skip and undo, several reviewers taking
turns on one queue across restarts; and its snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import query, until
from tests.tui.snapshot import check


def make_app(db: Path, reviewer: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    from evaltui.config import Settings
    from evaltui.tui.app import EvalApp

    monkeypatch.chdir(db.parent)  # the header shows the path as given: the same in every run
    return EvalApp(
        db.name,
        settings=Settings(theme="evaltui-dark", keymap={}, reviewer=reviewer),
        poll_seconds=0,
        resume_runs=False,
    )


def make_queue(db: Path, name: str = "all", reviews: int = 1) -> list[str]:
    from evaltui.scoring.review import build_from_filter
    from evaltui.store import Store

    with Store(db) as store:
        _, items = build_from_filter(store, name, "brand_alignment", reviews=reviews)
    return [i.target_id for i in items]


def status(app: Any) -> str:
    return str(app.screen.query_one("#review-status").content)


def idle(app: Any) -> bool:
    from evaltui.tui.screens.review import ReviewScreen

    return isinstance(app.screen, ReviewScreen) and not app.screen.busy and not app.screen.pending


async def test_twenty_labels_take_under_sixty_keystrokes_at_80x24(
    review_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # noqa: F811
    ids = make_queue(review_db)
    app = make_app(review_db, "ann", monkeypatch)
    keys = 0

    async def press(*pressed: str) -> None:
        nonlocal keys
        keys += len(pressed)
        await pilot.press(*pressed)

    async with app.run_test(size=(80, 24)) as pilot:
        await press("8")
        await until(pilot, lambda: idle(app) and status(app).startswith("0 of 30, 0 today"))
        assert app.screen.target == ids[0]

        await press("n")  # a note for the first label: its text is not counted
        await pilot.press(*"too generic", "enter")
        await until(
            pilot, lambda: "note for the next grade: too generic" in str(app.screen.query_one("#review-note").content)
        )
        await press("B")
        await until(pilot, lambda: idle(app) and app.screen.target == ids[1])

        await press("s")  # skip the second: it comes back at the end
        await until(pilot, lambda: idle(app) and app.screen.target == ids[2])
        await press("u")  # ...or now: undo brings it back
        await until(pilot, lambda: idle(app) and app.screen.target == ids[1])

        # Nineteen more, typed ahead without waiting for the screen: each applies in turn.
        await press(*("A" * 10 + "C" * 9))
        await until(pilot, lambda: idle(app) and status(app).startswith("20 of 30, 20 today"), timeout=60)
        assert app.screen.target == ids[20]
        assert keys < 60, keys

    labels = query(
        review_db,
        "SELECT target_id, label, rationale, json_extract_string(metadata, '$.reviewer') "
        "FROM scores WHERE source = 'human' ORDER BY created",
    )
    assert [t for t, *_ in labels] == ids[:20]
    assert labels[0][1:] == ("B", "too generic", "ann")
    assert [lb for _, lb, _, _ in labels[1:]] == ["A"] * 10 + ["C"] * 9
    assert all(note is None for _, _, note, _ in labels[1:])


async def test_reviewers_take_turns_on_a_queue_that_survives_a_restart(
    review_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # noqa: F811
    ids = make_queue(review_db, "pair", reviews=2)
    app = make_app(review_db, "ann", monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("8")
        await until(pilot, lambda: idle(app) and app.screen.target == ids[0])
        await pilot.press("A", "B")
        await until(pilot, lambda: idle(app) and status(app).startswith("0 of 30, 2 today"))
        assert app.screen.target == ids[2]

    app = make_app(review_db, "bob", monkeypatch)  # another reviewer, another run of the app
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("8")
        await until(pilot, lambda: idle(app) and app.screen.target == ids[0])  # ann's first still asks for a review
        assert "· pair · bob · grades A B C" in status(app)
        await pilot.press("A")
        await until(pilot, lambda: idle(app) and status(app).startswith("1 of 30, 1 today"))
        assert app.screen.target == ids[1]

    app = make_app(review_db, "ann", monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("8")
        await until(pilot, lambda: idle(app) and app.screen.target == ids[2])  # never an item she labelled
        await pilot.press("u")  # undo reaches back across the restart
        await until(pilot, lambda: idle(app) and app.screen.target == ids[1])
        assert status(app).startswith("1 of 30, 1 today")


async def test_no_queue_says_how_to_make_one_and_c_makes_one_from_the_log_filter(
    review_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # noqa: F811
    app = make_app(review_db, "ann", monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        app.log_filter = "topic = billing_and_payments"
        await pilot.press("8")
        await until(pilot, lambda: idle(app) and status(app) == "no review queues yet")
        assert "c makes a queue from the log browser's filter" in str(app.screen.query_one("#review-item").content)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("enter")  # the dialog proposes brand_alignment
        await until(pilot, lambda: idle(app) and status(app).startswith("0 of 10, 0 today · brand_alignment-1"))
        assert "topic billing_and_payments" in str(app.screen.query_one("#review-item").content)


async def test_review_pane_snapshot_80x24(review_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    make_queue(review_db, "login")
    app = make_app(review_db, "ann", monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("8")
        await until(pilot, lambda: idle(app) and app.screen.target is not None)
        await pilot.pause(0.1)
        check(app, "review_80x24")


async def test_the_calibration_pane_shows_how_people_agree_beside_the_judge(
    review_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # noqa: F811
    from evaltui.scoring.human_labels import add_label
    from evaltui.store import Store

    with Store(review_db) as store:
        for who, grades in (("ann", "AABBC"), ("bob", "ABBBC")):
            for i, grade in enumerate(grades):
                add_label(store, f"c{i:02d}-t1", "brand_alignment", grade, labeller=who)
    app = make_app(review_db, "ann", monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("6")
        await until(
            pilot,
            lambda: (
                "truth: majority · humans agree 80%, kappa 0.74 on 5"
                in str(app.screen.query_one("#calibration-confusion").content.renderables[0])
            ),
        )
