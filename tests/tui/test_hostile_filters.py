"""Hostile filters pasted into the TUI filter bar: the app shows the parser's message
and keeps running, with the last good rows on screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import conversation, until, write_jsonl
from tests.tui.helpers import make_app, status, table


@pytest.fixture
def small_db(tmp_path: Path) -> Path:
    from evaltui.ingest import ingest_file
    from evaltui.store import Store

    db = tmp_path / "small.duckdb"
    rows = [r for i in range(1, 6) for r in conversation(i, "billing", 1.0, cq=1.0)]
    with Store(db) as store:
        ingest_file(store, write_jsonl(tmp_path / "a.jsonl", rows))
    return db


@pytest.mark.parametrize(
    "pasted, message",
    [
        ("(" * 400 + "topic = x" + ")" * 400, "bad filter at column 65: nested too deep"),
        ("not " * 1000 + "topic = x", "bad filter at column 257: nested too deep"),
        ('metadata."" = 1', "bad filter at column 10: a key cannot be empty"),
    ],
)
async def test_a_hostile_filter_pasted_into_the_bar_shows_the_error_and_the_app_goes_on(small_db, pasted, message):
    from textual import events

    from evaltui.tui.widgets.filter_bar import FilterBar, FilterInput

    app = make_app(small_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        await until(pilot, lambda: table(app).row_count == 5 and "…" not in status(app, "#logs-status"))
        await pilot.press("slash")
        app.screen.query_one(FilterInput).post_message(events.Paste(pasted))
        await pilot.press("enter")
        bar = app.screen.query_one(FilterBar)
        await until(pilot, lambda: bar.error is not None)
        assert bar.error.startswith(message)
        assert app.is_running and table(app).row_count == 5
