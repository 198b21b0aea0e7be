"""The log browser as Braintrust and Langfuse users expect it: choose columns (latency,
cost, model, any metadata key) and sort by them; group by a metadata key; save a view
(filter, columns, sort) in the database and open it again."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import until
from tests.tui.helpers import logs, make_app, views_db


async def test_choose_latency_and_model_columns_and_sort_by_latency(tmp_path: Path) -> None:
    from evaltui.tui.screens.columns_dialog import ColumnsDialog
    from evaltui.tui.widgets.span_table import SpanTable

    app = make_app(views_db(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await logs(app, pilot)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ColumnsDialog))
        choices = app.screen.choices
        assert {"metrics.latency_s", "metrics.cost", "metadata.model", "metadata.prompt_version"} <= set(choices)
        for column in ("metrics.latency_s", "metadata.model"):
            while app.screen.query_one("SelectionList").highlighted != choices.index(column):
                await pilot.press("down")
            await pilot.press("space")
        await pilot.press("enter")
        table = screen.query_one(SpanTable)
        await until(
            pilot,
            lambda: (
                screen.view.columns == ("metrics.latency_s", "metadata.model")
                and "metadata.model" in [str(k.value) for k in table.columns]
            ),
        )
        row = table.current
        assert str(table.get_cell(row.id, "metadata.model")) == row.metadata["model"]
        assert str(table.get_cell(row.id, "metrics.latency_s")) == f"{row.metrics['latency_s']:.4g}"
        while screen.view.sort != "metrics.latency_s":
            await pilot.press("s")
            await until(pilot, lambda: table.sort == screen.view.sort)
        await until(pilot, lambda: table.sort == "metrics.latency_s" and len(table.page.rows) == 12)
        latencies = [r.metrics["latency_s"] for r in table.page.rows]
        assert latencies == sorted(latencies)


def test_a_group_narrows_the_filter() -> None:
    from evaltui.tui.screens.groups import group_filter

    assert group_filter("", "model", "gpt-x") == 'metadata.model = "gpt-x"'
    assert group_filter("topic = billing", "model", None) == "(topic = billing) and metadata.model is null"


async def test_group_by_model_then_open_one_group(tmp_path: Path) -> None:
    from evaltui.tui.screens.columns_dialog import GroupByDialog
    from evaltui.tui.screens.groups import GroupsScreen

    app = make_app(views_db(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await logs(app, pilot)
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, GroupByDialog))
        keys = app.screen.keys
        assert "model" in keys and "prompt_version" in keys
        for _ in range(keys.index("model")):
            await pilot.press("down")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, GroupsScreen))
        groups = app.screen.rows
        assert [(g["value"], g["conversations"]) for g in groups] == [("gpt-x", 4), ("gpt-y", 4), ("local-z", 4)]
        # gpt-x answers cases 0, 3, 6, 9: Brand Alignment 0.0 each
        assert groups[0]["brand_alignment"] == 0.0
        await pilot.press("down", "enter")
        await until(
            pilot,
            lambda: app.screen is screen and screen.view.where == 'metadata.model = "gpt-y"' and screen.total == 4,
        )


def test_stats_by_a_metadata_key_on_the_command_line(tmp_path: Path) -> None:
    import json
    import subprocess

    from tests.helpers import EVALTUI

    db = views_db(tmp_path)
    out = subprocess.run(
        [*EVALTUI, "--db", str(db), "stats", "--by", "metadata.prompt_version", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    groups = json.loads(out.stdout)["groups"]
    assert [(g["value"], g["conversations"]) for g in groups] == [("v1", 6), ("v2", 6)]
    text = subprocess.run(
        [*EVALTUI, "--db", str(db), "stats", "--by", "model"], capture_output=True, text=True, timeout=60
    )
    assert text.returncode == 0 and "model" in text.stdout.splitlines()[0] and "gpt-x" in text.stdout


async def test_save_a_view_restart_and_open_it_again(tmp_path: Path) -> None:
    from evaltui.store import Store
    from evaltui.store.views import saved_views
    from evaltui.tui.screens.dialogs import TextDialog
    from evaltui.tui.screens.views_dialog import ViewsDialog
    from evaltui.tui.widgets.span_table import SpanTable

    db = views_db(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await logs(app, pilot)
        screen.set_columns(["metadata.model"])
        await pilot.press("slash", *'metadata.model = "gpt-y"', "enter")
        await until(
            pilot,
            lambda: (
                screen.view.where == 'metadata.model = "gpt-y"'
                and screen.total == 4
                and screen.view.columns == ("metadata.model",)
            ),
        )
        await pilot.press("S")  # oldest first
        await until(pilot, lambda: not screen.view.descending)
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, TextDialog))
        await pilot.press(*"gpt-y oldest", "enter")
        await until(pilot, lambda: screen.last_saved_view == "gpt-y oldest")
    with Store(db, read_only=True) as store:
        [view] = saved_views(store)
    assert (view.where, view.columns, view.sort, view.descending) == (
        'metadata.model = "gpt-y"',
        ("metadata.model",),
        "ts",
        False,
    )

    app = make_app(db)  # a new session: the view is in the file
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await logs(app, pilot)
        assert screen.view.where == "" and screen.view.columns == ()
        await pilot.press("V")
        await until(pilot, lambda: isinstance(app.screen, ViewsDialog))
        await pilot.press("enter")
        table = screen.query_one(SpanTable)
        await until(
            pilot,
            lambda: (
                screen.view.where == 'metadata.model = "gpt-y"'
                and screen.total == 4
                and not screen.view.descending
                and "metadata.model" in [str(k.value) for k in table.columns]
            ),
        )
        ts = [r.ts for r in table.page.rows]
        assert ts == sorted(ts)


def test_a_view_saved_under_an_existing_name_replaces_it(store) -> None:
    import pytest

    from evaltui.store import StoreError
    from evaltui.store.views import SavedView, delete_view, save_view, saved_views

    save_view(store, SavedView("triage", "topic = billing"))
    save_view(store, SavedView("triage", "topic = login", ("metrics.cost",), "metrics.cost", False))
    assert saved_views(store) == [SavedView("triage", "topic = login", ("metrics.cost",), "metrics.cost", False)]
    with pytest.raises(StoreError, match="needs a name"):
        save_view(store, SavedView("  "))
    assert delete_view(store, "triage") and not delete_view(store, "triage") and saved_views(store) == []
