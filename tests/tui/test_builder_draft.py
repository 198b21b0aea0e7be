"""Unsaved builder marks: `q` asks before leaving them, and they are kept in the database
as a draft that comes back on the next start; saving them as a dataset drops the draft."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import until
from tests.tui.helpers import builder
from tests.tui.helpers import build_db, make_app


def stored_draft(db: Path) -> dict | None:
    from evaltui.store.browse import reading
    from evaltui.store.drafts import load_draft

    with reading(db) as store:
        return load_draft(store, "builder")


async def test_q_asks_before_leaving_unsaved_marks_and_they_come_back_after_a_restart(tmp_path: Path) -> None:
    from evaltui.tui.screens.builder import BuilderScreen
    from evaltui.tui.screens.confirm import ConfirmDialog

    db = build_db(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(100, 30)) as pilot:
        await builder(app, pilot)
        screen = app.screen
        rows = screen.candidates.rows
        await pilot.press("f", "b", "p")
        marks = {rows[0].id: "failing", rows[1].id: "borderline", rows[2].id: "passing"}
        assert screen.marks.marks == marks
        await until(pilot, lambda: (stored_draft(db) or {}).get("marks") == marks)  # kept in the database
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "3 marks in the builder are not saved" in str(app.screen.query_one("#confirm-question").content)
        await pilot.press("n")  # stay
        await until(pilot, lambda: app.screen is screen)
        assert app.return_code is None and screen.marks.marks == marks
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: app.return_code is not None)

    app = make_app(db)  # the next start
    async with app.run_test(size=(100, 30)) as pilot:
        await builder(app, pilot)
        screen = app.screen
        await until(pilot, lambda: screen.marks.marks == marks)
        assert isinstance(screen, BuilderScreen) and screen.unsaved == 3


async def test_saving_the_marks_as_a_dataset_drops_the_draft_and_q_quits_at_once(tmp_path: Path) -> None:
    from evaltui.tui.screens.dialogs import SaveDialog

    db = build_db(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(100, 30)) as pilot:
        await builder(app, pilot)
        screen = app.screen
        await pilot.press("f", "f")
        await until(pilot, lambda: stored_draft(db) is not None)
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, SaveDialog))
        await pilot.press(*"fresh", "enter")
        await until(pilot, lambda: getattr(screen, "last_saved", None) is not None)
        await app.workers.wait_for_complete()
        assert stored_draft(db) is None and screen.unsaved == 0
        await pilot.press("q")
        await until(pilot, lambda: app.return_code is not None)
