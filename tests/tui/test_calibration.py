"""The calibration pane's per-topic table: worst kappa first, reached with tab and
scrolled from the keyboard, so the topic where the judge is least trusted is on screen."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import span, until, write_jsonl
from tests.tui.helpers import make_app

GRADES = ["A", "B", "C"]
SCALE = {"A": 1.0, "B": 0.5, "C": 0.0}


def labelled_db(folder: Path, topics: int = 23, per_topic: int = 6) -> Path:
    """Brand Alignment grades and human labels on ``topics`` topics: the humans agree with
    the judge everywhere except on ``zz_recovery_steps`` (alphabetically last)."""
    from evaltui.ingest import ingest_file
    from evaltui.scoring.labels import add_label
    from evaltui.store import Store

    rows, human = [], {}
    names = [f"topic_{t:02d}" for t in range(topics - 1)] + ["zz_recovery_steps"]
    for t, topic in enumerate(names):
        for i in range(per_topic):
            sid = f"s{t}-{i}"
            grade = GRADES[(i + t) % 3]
            rows.append(span(sid, name="conversation", ts=f"2026-11-01T10:{i:02d}:00Z", input="hi", output="ok",
                             metadata={"topic": topic},
                             scores=[{"name": "Brand Alignment", "score": SCALE[grade], "label": grade}]))
            # one disagreement in every topic but the last, where the humans always disagree
            human[sid] = GRADES[(i + t + 1) % 3] if topic.startswith("zz") or i == 0 else grade
    db = folder / "tui.duckdb"
    with Store(db) as store:
        ingest_file(store, write_jsonl(folder / "spans.jsonl", rows))
        for sid, value in human.items():
            add_label(store, sid, "brand_alignment", value)
    return db


def test_worst_first_orders_by_kappa_then_labels() -> None:
    from evaltui.tui.widgets.agreement_table import worst_first

    rows = worst_first({"a": {"kappa": 0.9, "n": 5}, "b": {"kappa": None, "n": 9}, "c": {"kappa": 0.3, "n": 6},
                        "d": {"kappa": 0.3, "n": 7}, "few": {"kappa": -0.5, "n": 3}})
    assert [t for t, _ in rows] == ["d", "c", "a", "b", "few"]  # three labels say little: last


async def test_the_per_topic_table_starts_with_the_worst_topic_and_scrolls_from_the_keyboard(tmp_path: Path) -> None:
    from evaltui.tui.screens.calibration import CalibrationScreen
    from evaltui.tui.widgets.agreement_table import AgreementTable

    app = make_app(labelled_db(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("6")
        await until(pilot, lambda: isinstance(app.screen, CalibrationScreen)
                    and app.screen.query_one(AgreementTable).row_count == 23)
        topics = app.screen.query_one(AgreementTable)
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
