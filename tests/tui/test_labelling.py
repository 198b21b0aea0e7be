"""Pilot tests of labelling in a trace: the log browser keeps its place, and the trace's
turn list shows the new label at once."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from tests.helpers import until
from tests.tui.helpers import build_db, make_app


def trace_text(app: Any) -> str:
    """What the trace view shows, as plain text."""
    from rich.console import Console
    from textual.widgets import Static

    from evaltui.tui.widgets.trace_view import TraceView

    console = Console(width=200, file=io.StringIO(), record=True)
    for block in app.screen.query_one(TraceView).query(Static):
        console.print(block.content)
    return console.export_text()


def title(app: Any) -> str:
    return str(app.screen.query_one("#trace-title").content)


async def test_labelling_in_a_trace_keeps_the_place_in_the_log_browser_and_shows_the_label_at_once(
    tmp_path: Path,
) -> None:
    from evaltui.tui.screens.logs import LogsScreen
    from evaltui.tui.screens.trace import TraceScreen
    from evaltui.tui.widgets.span_table import SpanTable

    db = build_db(tmp_path)
    app = make_app(db, poll_seconds=0.2)  # the app notices the label it wrote, as it does every 2 s
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await until(
            pilot, lambda: isinstance(app.screen, LogsScreen) and app.screen.query_one(SpanTable).row_count == 24
        )
        logs = app.screen
        await pilot.press("j", "enter")
        await until(pilot, lambda: isinstance(app.screen, TraceScreen) and "trace 2 of 24" in title(app))
        await pilot.press("n")
        await until(pilot, lambda: "trace 3 of 24" in title(app))
        trace = app.screen
        third = trace.row.id
        await until(pilot, lambda: trace.label_target is not None)
        target = trace.label_target
        await pilot.press("L", "A")
        await until(pilot, lambda: trace.labels.get(target, {}).get("brand_alignment") == "A")  # stored
        await until(pilot, lambda: "[A]  human" in trace_text(app))  # the turn list shows it
        await pilot.press("B")
        await until(pilot, lambda: trace.labels.get(target, {}).get("brand_alignment") == "B")
        await until(pilot, lambda: "[B]  human" in trace_text(app))
        assert "[A]  human" not in trace_text(app)
        await until(pilot, lambda: logs.stale)  # the app saw the file change: the browser will query again
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is logs and not logs.stale)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TraceScreen) and "of 24" in title(app))
        assert "trace 3 of 24" in title(app) and app.screen.row.id == third
