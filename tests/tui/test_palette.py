"""The command palette offers what help promises: a "Sort: ..." entry for each column the
current pane sorts by, and a "View: NAME" entry for each saved view, typed and chosen as a
user does (ctrl+p, a few letters, enter)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers import until
from tests.tui.helpers import open_diff, two_experiments
from tests.tui.helpers import make_app
from tests.tui.helpers import logs, views_db


async def choose(app: Any, pilot: Any, text: str) -> None:
    """ctrl+p, type ``text``, and enter on the palette's first hit once it reads ``text``."""
    from textual.command import CommandList, CommandPalette

    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(app.screen, CommandPalette))
    await pilot.press(*text)
    hits = app.screen.query_one(CommandList)
    await until(pilot, lambda: hits.option_count > 0 and str(hits.get_option_at_index(0).prompt).startswith(text))
    await pilot.press("enter")
    await until(pilot, lambda: not isinstance(app.screen, CommandPalette))


async def test_sort_the_log_browser_by_a_score_from_the_palette(tmp_path: Path) -> None:
    app = make_app(views_db(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await logs(app, pilot)
        await choose(app, pilot, "Sort: scores.brand_alignment ascending")
        await until(
            pilot,
            lambda: (
                screen.view.sort == "scores.brand_alignment"
                and not screen.view.descending
                and "sorted by scores.brand_alignment ▲" in str(screen.query_one("#logs-status").content)
            ),
        )
        values = [r.scores.get("brand_alignment") for r in screen.page.rows]
        assert values == sorted(values) and values[0] == 0.0
        await choose(app, pilot, "Sort: ts ascending")
        await until(pilot, lambda: screen.view.sort == "ts" and not screen.view.descending)
        ts = [r.ts for r in screen.page.rows]
        assert ts == sorted(ts)


async def test_the_palette_offers_only_the_current_panes_sorts(tmp_path: Path) -> None:
    from textual.command import CommandList, CommandPalette

    app = make_app(views_db(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")  # the topic map: its order is where it hurts, no sort entries
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Sort:")
        await pilot.pause(0.5)
        hits = app.screen.query_one(CommandList)
        assert not any(str(hits.get_option_at_index(i).prompt).startswith("Sort:") for i in range(hits.option_count))


async def test_sort_the_diff_by_one_scores_delta_from_the_palette(tmp_path: Path) -> None:
    app = make_app(await two_experiments(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_diff(app, pilot)
        assert screen.sort_score is None
        await choose(app, pilot, "Sort: delta Apologises")
        await until(pilot, lambda: screen.sort_score == "Apologises")
        await choose(app, pilot, "Sort: worst delta")
        await until(pilot, lambda: screen.sort_score is None)


async def test_open_a_saved_view_from_the_palette_on_any_pane(tmp_path: Path) -> None:
    from evaltui.store import Store
    from evaltui.store.views import SavedView, save_view
    from evaltui.tui.screens.logs import LogsScreen
    from evaltui.tui.widgets.span_table import SpanTable

    db = views_db(tmp_path)
    with Store(db) as store:
        save_view(
            store,
            SavedView("slow gpt-y", 'metadata.model = "gpt-y"', ("metrics.latency_s",), "metrics.latency_s", True),
        )
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)  # on the topic map
        await choose(app, pilot, "View: slow gpt-y")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, LogsScreen)
                and app.screen.total == 4
                and app.screen.view.where == 'metadata.model = "gpt-y"'
                and app.screen.view.sort == "metrics.latency_s"
                and app.screen.view.descending
            ),
        )
        table = app.screen.query_one(SpanTable)
        assert "metrics.latency_s" in [str(k.value) for k in table.columns]
        latencies = [r.metrics["latency_s"] for r in table.page.rows]
        assert latencies == sorted(latencies, reverse=True)
