"""Pilot tests: the journeys a user makes, pressing the keys a user presses."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT, SAMPLE_LOGS
from tests.helpers import conversation, until, write_jsonl
from tests.tui.helpers import status, table


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2,400 sample conversations: 24 pages of the log browser."""
    from evaltui.ingest import ingest_file
    from evaltui.store import Store

    db = tmp_path_factory.mktemp("tui") / "sample.duckdb"
    with Store(db) as store:
        ingest_file(store, SAMPLE_LOGS / "support_bot.jsonl")
    return db


def make_app(db: Path, **settings: Any):
    from evaltui.config import Settings
    from evaltui.tui.app import EvalApp

    settings.setdefault("theme", "evaltui-dark")
    settings.setdefault("keymap", {})
    return EvalApp(db, settings=Settings(**settings), poll_seconds=0)


async def test_topic_to_filtered_logs_to_trace_and_back(sample_db: Path) -> None:
    from evaltui.tui.screens.logs import LogsScreen
    from evaltui.tui.screens.topics import TopicsScreen
    from evaltui.tui.screens.trace import TraceScreen
    from evaltui.tui.widgets.topic_table import TopicTable

    app = make_app(sample_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(
            pilot,
            lambda: (
                app.screen.query_one(TopicTable).row_count == 6 and app.screen.query_one(TopicTable).overview.complete
            ),
        )
        from evaltui.store.overview import rank_where_it_hurts

        first = app.screen.query_one(TopicTable).current
        overview = app.screen.query_one(TopicTable).overview
        # where it hurts first: most failing beyond the overall rate for its size
        assert first is not None and first.topic == rank_where_it_hurts(overview.topics)[0].topic
        await pilot.press("down")
        topic = app.screen.query_one(TopicTable).current.topic
        await pilot.press("enter")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, LogsScreen)
                and table(app).row_count > 0
                and f'topic = "{topic}"' in status(app, "#logs-status")
                and "…" not in status(app, "#logs-status")
            ),
        )
        assert {r.topic for r in table(app).page.rows} == {topic}
        total = app.screen.total
        assert f"of {total:,}" in status(app, "#logs-status")
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, TraceScreen) and "trace 2 of" in status(app, "#trace-title"))
        second = app.screen.row.id
        assert second == table_rows(app)[1]
        await pilot.press("n")
        await until(pilot, lambda: "trace 3 of" in status(app, "#trace-title"))
        await pilot.press("p", "p")
        await until(pilot, lambda: "trace 1 of" in status(app, "#trace-title"))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen))
        assert table(app).cursor_row == 0  # the browser follows the trace the user stepped to
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, TopicsScreen))


def table_rows(app: Any) -> list[str]:
    from evaltui.tui.screens.logs import LogsScreen

    logs = app.screen_stack[0]
    assert isinstance(logs, LogsScreen)
    return [r.id for r in logs.page.rows]


async def test_bad_filter_shows_where_keeps_the_rows_then_a_fix_applies(sample_db: Path) -> None:
    from evaltui.tui.widgets.filter_bar import FilterBar

    app = make_app(sample_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        await until(pilot, lambda: table(app).row_count == 100 and "of 2,400" in status(app, "#logs-status"))
        before = [r.id for r in table(app).page.rows]
        await pilot.press("slash")
        await pilot.press(*"scores.brand_alignment < high")
        bar = app.screen.query_one(FilterBar)
        # the bar checks as it is typed: on a busy machine an error of a half-typed filter shows
        # first ("expected an operator after 'scores.br'"), so wait for the whole filter's
        await until(pilot, lambda: bar.error is not None and "column 26" in bar.error)
        assert "expected a number" in bar.error
        assert [r.id for r in table(app).page.rows] == before  # the last good result stays
        for _ in range(4):
            await pilot.press("backspace")
        await pilot.press("0", ".", "5", "enter")
        await until(
            pilot,
            lambda: (
                bar.error is None
                and "brand_alignment < 0.5" in status(app, "#logs-status")
                and "…" not in status(app, "#logs-status")
            ),
        )
        rows = table(app).page.rows
        assert rows and all(r.scores["brand_alignment"] < 0.5 for r in rows)
        assert app.focused is table(app)  # Enter hands the keys back to the table


async def test_filter_completes_field_and_scorer_names(sample_db: Path) -> None:
    from evaltui.tui.widgets.filter_bar import FilterBar

    app = make_app(sample_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        bar = None
        await until(pilot, lambda: app.screen.query_one(FilterBar).suggester.words)
        bar = app.screen.query_one(FilterBar)
        await pilot.press("slash", *"scores.bra")
        await until(pilot, lambda: bar.input._suggestion == "scores.brand_alignment")
        await pilot.press("tab")
        assert bar.input.value == "scores.brand_alignment"


async def test_sort_by_a_score_column_and_reverse(sample_db: Path) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("2")
        await until(pilot, lambda: table(app).row_count == 100)
        # ts -> topic -> input -> brand_alignment
        await pilot.press("s", "s", "s")
        await until(pilot, lambda: "sorted by scores.brand_alignment ▲" in status(app, "#logs-status"))
        values = [r.scores.get("brand_alignment") for r in table(app).page.rows]
        assert values == sorted(values) and values[0] == 0.0
        await pilot.press("S")
        await until(pilot, lambda: "sorted by scores.brand_alignment ▼" in status(app, "#logs-status"))
        values = [r.scores.get("brand_alignment") for r in table(app).page.rows]
        assert values == sorted(values, reverse=True) and values[0] == 1.0
        # paging keeps the order across the page boundary
        await pilot.press("end")
        await until(pilot, lambda: "rows 2,301–2,400" in status(app, "#logs-status"))
        values = [r.scores.get("brand_alignment") for r in table(app).page.rows]
        assert values == sorted(values, reverse=True)


async def test_page_to_the_end_and_back(sample_db: Path) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        await until(pilot, lambda: table(app).row_count == 100 and "of 2,400" in status(app, "#logs-status"))
        assert table(app).page.rows[0].id == "conv-002400"
        # step off the bottom of the window: the next page loads, cursor on its first row
        await pilot.press("end")
        await until(pilot, lambda: "rows 2,301–2,400 of 2,400" in status(app, "#logs-status"))
        assert table(app).page.rows[-1].id == "conv-000001"
        assert table(app).cursor_row == 99
        await pilot.press("home")
        await until(pilot, lambda: "rows 1–100" in status(app, "#logs-status"))
        for _ in range(10):  # page down the window until the cursor sits on its last row
            if table(app).cursor_row == 99:
                break
            await pilot.press("pagedown")
        assert table(app).cursor_row == 99
        await pilot.press("pagedown")
        await until(pilot, lambda: "rows 101–200 of 2,400" in status(app, "#logs-status"))
        assert table(app).page.rows[0].id == "conv-002300"
        await pilot.press("up")
        await until(pilot, lambda: "rows 1–100 of 2,400" in status(app, "#logs-status"))
        assert table(app).cursor_row == 99 and table(app).current.id == "conv-002301"


async def test_switch_theme_from_the_palette(sample_db: Path) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.theme == "evaltui-dark"
        await pilot.press("ctrl+p")
        await pilot.press(*"Theme: evaltui-light")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: app.theme == "evaltui-light")


async def test_theme_and_keys_come_from_config(sample_db: Path) -> None:
    from evaltui.tui.screens.help import HelpScreen
    from evaltui.tui.screens.logs import LogsScreen
    from evaltui.tui.widgets.filter_bar import FilterInput

    app = make_app(sample_db, theme="evaltui-high-contrast", keymap={"pane.logs": "l", "logs.filter": "f"})
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.theme == "evaltui-high-contrast"
        await pilot.press("2")  # the default key no longer switches panes
        await pilot.pause(0.2)
        assert not isinstance(app.screen, LogsScreen)
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen))
        await pilot.press("f")
        assert isinstance(app.focused, FilterInput)
        await pilot.press("escape", "question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert ("f", "Filter", "logs.filter") in app.screen.rows
        assert ("l", "Logs", "pane.logs") in app.screen.rows
        assert {"trace.next", "topics.open", "logs.sort", "app.help"} <= {r[2] for r in app.screen.rows}


async def test_an_unknown_theme_falls_back_with_a_message(sample_db: Path) -> None:
    app = make_app(sample_db, theme="no-such-theme")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.1)
        assert app.theme == "evaltui-dark"
        assert any("no-such-theme" in n.message for n in app._notifications)


async def test_another_process_ingests_while_the_app_is_open(tmp_path: Path, sample_db: Path) -> None:
    """The app holds no connection between queries: `evaltui ingest` works meanwhile,
    and its rows show without a restart."""
    db = tmp_path / "live.duckdb"
    shutil.copy(sample_db, db)
    extra = write_jsonl(
        tmp_path / "more.jsonl", [s for i in range(5) for s in conversation(9000 + i, "brand_new", 0.0, 0.0, day=28)]
    )
    from evaltui.config import Settings
    from evaltui.tui.app import EvalApp

    app = EvalApp(db, settings=Settings(theme="evaltui-dark", keymap={}), poll_seconds=0.2)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        await until(pilot, lambda: "of 2,400" in status(app, "#logs-status"))
        out = subprocess.run(
            [sys.executable, "-m", "evaltui", "ingest", str(extra), "--db", str(db)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        await until(pilot, lambda: "of 2,405" in status(app, "#logs-status"), timeout=15)
        assert table(app).page.rows[0].topic == "brand_new"


STARTUP_PROBE = """
import json, sys, threading
from evaltui.tui import startup
assert threading.active_count() == 1
future = startup.begin(sys.argv[1])  # as `evaltui tui` does, before Textual loads
try:
    overview = future.result(60)
    print(json.dumps({"ok": [[t.topic, t.conversations] for t in overview.topics], "complete": overview.complete,
                      "duckdb_here": "duckdb" in sys.modules}))
except Exception as exc:
    print(json.dumps({"error": str(exc), "duckdb_here": "duckdb" in sys.modules}))
"""


def _startup_probe(db: Path) -> dict:
    import json

    out = subprocess.run([sys.executable, "-c", STARTUP_PROBE, str(db)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_start_up_fetch_runs_in_another_process_and_migrates_an_older_file(sample_db: Path, tmp_path: Path) -> None:
    import duckdb

    from evaltui.store import Store
    from evaltui.store.connections import reading
    from evaltui.store.topic_overview import topic_sizes
    from evaltui.store.db import migrate

    with reading(sample_db) as store:
        expected = [[t.topic, t.conversations] for t in topic_sizes(store).topics]
    got = _startup_probe(sample_db)
    # the sizes arrive without this process loading DuckDB: a forked process queried them
    assert got == {"ok": expected, "complete": False, "duckdb_here": False}

    old = tmp_path / "old.duckdb"  # schema 1, as the first release wrote it
    con = duckdb.connect(str(old))
    con.execute("CREATE TABLE evaltui_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO evaltui_meta VALUES ('schema_version', '0')")
    migrate(con, 0, 1)
    con.close()
    assert _startup_probe(old)["ok"] == []
    with Store(old, read_only=True) as store:  # brought up to date by the start-up fetch
        assert store.schema_version() == Store(sample_db, read_only=True).schema_version()

    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).execute("CREATE TABLE t (x INT)").close()
    assert "not an evaltui database" in _startup_probe(other)["error"]


async def test_the_topics_pane_shows_the_start_up_fetch_then_its_own_overview(
    sample_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evaltui.tui import startup
    from evaltui.tui.widgets.topic_table import TopicTable

    shown = []
    original = TopicTable.show
    monkeypatch.setattr(
        TopicTable, "show", lambda self, overview: (shown.append(overview), original(self, overview))[1]
    )
    assert not startup._safe_to_fork()  # DuckDB's threads run in this process: no fork here
    future = startup.begin(sample_db)  # so a thread fetches
    future.result(60)
    app = make_app(sample_db, fail_threshold={"default": 0.7})
    async with app.run_test(size=(100, 30)) as pilot:
        await until(
            pilot,
            lambda: (
                app.screen.query_one(TopicTable).overview is not None
                and app.screen.query_one(TopicTable).overview.complete
            ),
        )
    assert not startup.started(sample_db)  # taken once
    first, full = shown[0], shown[-1]
    assert first is not full and first.complete is False and full.complete
    assert first.thresholds == dict.fromkeys(first.scorers, 0.7)  # the app's thresholds, not the defaults
    assert sorted((t.topic, t.conversations) for t in first.topics) == sorted(
        (t.topic, t.conversations) for t in full.topics
    )
