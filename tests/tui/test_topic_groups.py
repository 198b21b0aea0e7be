"""The topic map pane on a map with groups: groups first, opening into their topics with
the keyboard, and enter on a topic or a group opening its logs. Real MiniLM map, real app."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import until
from tests.tui.snapshot import check

FIXTURE = Path(__file__).parents[1] / "fixtures" / "topics" / "support.jsonl"


@pytest.fixture(scope="module")
def map_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from evaltui.ingest import ingest_file
    from evaltui.store import Store
    from evaltui.topics.build import BuildOptions, build_map
    from evaltui.topics.embed import BASE_MODEL

    tmp = tmp_path_factory.mktemp("groups")
    with Store(tmp / "groups.duckdb") as store:
        ingest_file(store, FIXTURE)
        # the float MiniLM: the default int8 one's vectors can differ by a rounding from one
        # CPU's int8 kernels to another's, so its map, and with it the pictures pinned below,
        # could differ from one machine to the next
        build_map(store, BuildOptions(model=BASE_MODEL, name_with_llm=False))
    return tmp


def make_app(map_dir: Path, monkeypatch: pytest.MonkeyPatch):
    from evaltui.config import Settings
    from evaltui.tui.app import EvalApp

    monkeypatch.chdir(map_dir)
    return EvalApp("groups.duckdb", settings=Settings(theme="evaltui-dark", keymap={}), poll_seconds=0)


def lines(app):
    from evaltui.tui.widgets.topic_table import TopicTable

    return [(row.topic, is_group, depth) for row, is_group, depth in app.screen.query_one(TopicTable).lines]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_groups_open_into_their_topics_from_the_keyboard(map_dir, monkeypatch, size) -> None:
    from evaltui.store import Store
    from evaltui.tui.screens.logs import LogsScreen
    from evaltui.tui.widgets.topic_table import TopicTable

    with Store(map_dir / "groups.duckdb", read_only=True) as store:
        members = {}
        for topic, group in store.con.execute(
            "SELECT t.key, g.key FROM topics t JOIN topic_groups g USING (map_id, group_id)"
        ).fetchall():
            members.setdefault(group, set()).add(topic)
    app = make_app(map_dir, monkeypatch)
    async with app.run_test(size=size) as pilot:
        await until(
            pilot,
            lambda: (
                app.screen.query_one(TopicTable).overview is not None
                and app.screen.query_one(TopicTable).overview.complete
            ),
        )
        # groups only, closed
        assert {t for t, g, _ in lines(app) if g} == set(members)
        assert not any(d for _, _, d in lines(app))
        table = app.screen.query_one(TopicTable)
        group = table.current.topic
        assert table.current_is_group
        await pilot.press("right")
        shown = [t for t, g, d in lines(app) if d == 1]
        assert set(shown) == members[group]
        # the highlighted group's failure modes (the fixture's judges give no rationales)
        await until(
            pilot,
            lambda: (
                "…" not in str(app.screen.query_one("#topic-modes").content)
                and str(app.screen.query_one("#topic-modes").content)
            ),
        )
        assert "failure modes" in str(app.screen.query_one("#topic-modes").content)
        check(app, f"topic_groups_{size[0]}x{size[1]}")
        await pilot.press("left")
        assert not any(d for _, _, d in lines(app))
        # enter opens a closed group, then a topic's logs
        await pilot.press("enter")
        assert any(d for _, _, d in lines(app))
        await pilot.press("down")
        topic = table.current.topic
        assert topic in members[group] and not table.current_is_group
        await pilot.press("backspace")  # on a topic: closes its group, cursor back on the group
        assert table.current.topic == group and table.current_is_group
        await pilot.press("enter", "down", "enter")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, LogsScreen)
                and app.screen.total is not None
                and f'topic = "{topic}"' in str(app.screen.query_one("#logs-status").content)
            ),
        )
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, LogsScreen))
        # a group's own logs: every conversation of its topics
        table = app.screen.query_one(TopicTable)
        table.move_cursor(row=0)
        await pilot.press("left", "enter")  # left closes it; enter opens it; enter again opens its logs
        await pilot.press("up")
        while not table.current_is_group:
            await pilot.press("up")
        group = table.current.topic
        if group not in table.expanded:
            await pilot.press("right")
        await pilot.press("enter")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, LogsScreen)
                and f'group = "{group}"' in str(app.screen.query_one("#logs-status").content)
                and "…" not in str(app.screen.query_one("#logs-status").content)
            ),
        )
        assert {r.topic for r in app.screen.query_one("SpanTable").page.rows} <= members[group]
