"""The calibration pane's per-topic table: worst kappa first, reached with tab and
scrolled from the keyboard, so the topic where the judge is least trusted is on screen."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import until
from tests.tui.helpers import labelled_db, make_app, open_calibration


def test_worst_first_orders_by_kappa_then_labels() -> None:
    from evaltui.tui.widgets.agreement_table import worst_first

    rows = worst_first(
        {
            "a": {"kappa": 0.9, "n": 5},
            "b": {"kappa": None, "n": 9},
            "c": {"kappa": 0.3, "n": 6},
            "d": {"kappa": 0.3, "n": 7},
            "few": {"kappa": -0.5, "n": 3},
        }
    )
    assert [t for t, _ in rows] == ["d", "c", "a", "b", "few"]  # three labels say little: last


async def test_the_per_topic_table_starts_with_the_worst_topic_and_scrolls_from_the_keyboard(tmp_path: Path) -> None:
    from evaltui.tui.widgets.agreement_table import AgreementTable

    app = make_app(labelled_db(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        topics = (await open_calibration(app, pilot)).query_one(AgreementTable)
        assert topics.entries[0][0] == "zz_recovery_steps"
        assert str(topics.get_cell_at((0, 0))) == "zz_recovery_steps"
        kappas = [a["kappa"] for _, a in topics.entries]
        assert kappas == sorted(kappas)
        await pilot.press("tab")
        await until(pilot, lambda: topics.has_focus)
        await pilot.press("end")
        await until(pilot, lambda: topics.cursor_row == 22)
        assert topics.scroll_offset.y > 0  # the last topic scrolled into view
        await pilot.press("k", "k")
        assert topics.cursor_row == 20
