"""The topic map pane says when the map has gone stale: after off-topic conversations come
in that no topic takes, a notice above the table names the share and suggests
`evaltui topics build`; on a fresh map there is none. Real MiniLM map, real app (Pilot)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import build_topic_map, span, until, write_jsonl

SUBJECTS = [
    "humpback whales",
    "the moon landing",
    "medieval castles",
    "volcanoes",
    "jazz piano",
    "chess openings",
    "ancient Rome",
    "black holes",
    "origami cranes",
    "the Amazon rainforest",
    "honey bees",
    "Viking ships",
    "the northern lights",
    "sourdough bread",
    "desert cacti",
]


@pytest.fixture(scope="module")
def fresh_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_topic_map(tmp_path_factory.mktemp("stale-pane") / "map.duckdb").parent


def stale_copy(fresh_dir: Path, tmp_path: Path) -> Path:
    """The map's database after 30 poems-and-trivia requests were ingested and assigned."""
    from evaltui.ingest import ingest_file
    from evaltui.store import Store
    from evaltui.topics import assign_new_spans

    shutil.copy(fresh_dir / "map.duckdb", tmp_path / "map.duckdb")
    rows = [
        span(
            f"off{i}",
            name="conversation",
            ts="2026-11-06T10:00:00Z",
            input=[
                {
                    "role": "user",
                    "content": f"Write me a short poem about {SUBJECTS[i % len(SUBJECTS)]}"
                    if i % 2
                    else f"Tell me three fun facts about {SUBJECTS[i % len(SUBJECTS)]}",
                }
            ],
            output="...",
        )
        for i in range(30)
    ]
    with Store(tmp_path / "map.duckdb") as store:
        ingest_file(store, write_jsonl(tmp_path / "off.jsonl", rows))
        assign_new_spans(store)
    return tmp_path


def make_app(folder: Path, monkeypatch: pytest.MonkeyPatch):
    from evaltui.config import Settings
    from evaltui.tui.app import EvalApp

    monkeypatch.chdir(folder)
    return EvalApp("map.duckdb", settings=Settings(theme="evaltui-dark", keymap={}), poll_seconds=0)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_stale_map_shows_a_notice_that_suggests_a_rebuild(fresh_dir, tmp_path, monkeypatch, size) -> None:
    from textual.widgets import Static

    from evaltui.tui.screens.topics import TopicsScreen

    app = make_app(stale_copy(fresh_dir, tmp_path), monkeypatch)
    checked: list[str | None] = []

    def hook(message) -> None:
        if isinstance(message, TopicsScreen.StaleChecked):
            checked.append(message.message)

    async with app.run_test(size=size, message_hook=hook) as pilot:
        await until(pilot, lambda: checked)
        notice = app.screen.query_one("#topics-stale", Static)
        # laid out with its text (the layout follows the message by a refresh)
        await until(pilot, lambda: notice.display and str(notice.content) and notice.region.height >= 1)
        text = str(notice.content)
        assert "stale" in text and "of the 30 conversations added" in text and "evaltui topics build" in text
        # the user sees it: on screen, not scrolled away at 80x24
        region = notice.region
        assert region.y < size[1] - 1 and region.right <= size[0]


async def test_a_fresh_map_shows_no_notice(fresh_dir, monkeypatch) -> None:
    from textual.widgets import Static

    from evaltui.tui.screens.topics import TopicsScreen

    app = make_app(fresh_dir, monkeypatch)
    checked: list[str | None] = []

    def hook(message) -> None:
        if isinstance(message, TopicsScreen.StaleChecked):
            checked.append(message.message)

    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        await until(pilot, lambda: checked)
        await pilot.pause()
        assert set(checked) == {None}  # checked, and nothing to say
        assert not app.screen.query_one("#topics-stale", Static).display
