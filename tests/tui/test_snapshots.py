"""Snapshot tests: what each pane shows at 80x24 and 120x40, pinned as SVG files in
tests/snapshots/ (the harness, and how to record new pictures: tests/tui/snapshot.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import conversation, write_jsonl
from tests.helpers import until
from tests.tui.snapshot import SIZES, check


@pytest.fixture(scope="module")
def snapshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small database whose every value is fixed, so the pictures are too."""
    from evaltui.ingest import ingest_file
    from evaltui.store import Store

    tmp = tmp_path_factory.mktemp("snap")
    topics = ["billing_and_payments", "account_and_login", "shipping_and_delivery", "order_changes"]
    texts = ["I was charged twice", "I can't log in", "Where is my parcel?", "Please change my address"]
    rows = []
    for i in range(48):
        t = i % 4
        ba = [1.0, 0.5, 0.0][(i * 7 + t) % 3]
        cq = [1.0, 0.0][(i + t) % 2 if t != 1 else int(i % 5 != 0)]
        rows += conversation(i, topics[t], ba, cq, day=1 + i % 12, text=f"{texts[t]} (#{i})")
    path = write_jsonl(tmp / "snap.jsonl", rows)
    with Store(tmp / "snap.duckdb") as store:
        ingest_file(store, path)
    return tmp


def make_app(snapshot_dir: Path, monkeypatch: pytest.MonkeyPatch):
    from evaltui.config import Settings
    from evaltui.tui.app import EvalApp

    monkeypatch.chdir(snapshot_dir)  # the header shows the path as given: keep it the same everywhere
    return EvalApp("snap.duckdb", settings=Settings(theme="evaltui-dark", keymap={}), poll_seconds=0)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_panes(snapshot_dir: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]) -> None:
    from evaltui.tui.screens.help import HelpScreen
    from evaltui.tui.screens.logs import LogsScreen
    from evaltui.tui.screens.trace import TraceScreen
    from evaltui.tui.widgets.topic_table import TopicTable

    w, h = size
    app = make_app(snapshot_dir, monkeypatch)
    async with app.run_test(size=size) as pilot:
        # Sizes show first; the picture is of the full overview (scores, failing shares).
        await until(
            pilot,
            lambda: (
                app.screen.query_one(TopicTable).row_count == 4
                and app.screen.query_one(TopicTable).overview.complete
                and "…" not in str(app.screen.query_one("#topic-modes").content)
            ),
        )
        await pilot.pause(0.1)
        check(app, f"topics_{w}x{h}")

        await pilot.press("enter")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, LogsScreen)
                and app.screen.total == 12
                and "of 12" in str(app.screen.query_one("#logs-status").content)
            ),
        )
        await pilot.pause(0.1)
        check(app, f"logs_{w}x{h}")

        await pilot.press("enter")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, TraceScreen)
                and "trace 1 of 12" in str(app.screen.query_one("#trace-title").content)
            ),
        )
        await pilot.pause(0.1)
        check(app, f"trace_{w}x{h}")

        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause(0.1)
        check(app, f"help_{w}x{h}")
