"""The topic map pane: topics ranked by where it hurts, and a treemap of them."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Footer, Header, Static
from textual.worker import get_current_worker

from evaltui.tui.render import plural
from evaltui.tui.screens.base import DataScreen
from evaltui.tui.widgets.topic_map import TopicMap
from evaltui.tui.widgets.topic_table import TopicTable

if TYPE_CHECKING:
    from evaltui.store.browse import TopicOverview


class TopicsScreen(DataScreen):
    DEFAULT_CSS = """
    TopicsScreen #topic-table { height: 1fr; }
    TopicsScreen #topic-map { height: 1fr; border-top: solid $panel; }
    TopicsScreen #topics-status { height: 1; padding: 0 1; color: $text-muted; }
    """

    @dataclass
    class Loaded(Message):
        overview: Any  # TopicOverview

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield TopicTable(id="topic-table")
            yield TopicMap(id="topic-map")
            yield Static("loading topics…", id="topics-status")
        yield Footer()

    def on_mount(self) -> None:
        self._painted = threading.Event()  # set once a frame with topics is on screen
        self.query_one(TopicTable).focus()
        self.reload()

    def reload(self) -> None:
        # Sizes first only while nothing is on screen; a reload keeps the last overview until the new one.
        self.load_overview(self.app.db_path, self.app.settings.threshold,
                           sizes_first=self.query_one(TopicTable).overview is None)

    def restyle(self) -> None:
        table = self.query_one(TopicTable)
        if table.overview is not None:
            table.show(table.overview)
        self.query_one(TopicMap).refresh()

    @work(thread=True, exclusive=True, group="topics", exit_on_error=False)
    def load_overview(self, path: Any, threshold: Any, sizes_first: bool = False) -> None:
        from evaltui.tui import startup

        worker = get_current_worker()
        fetched = startup.take_topic_sizes(path) if sizes_first else None
        if fetched is not None:  # queried while the app was starting (evaltui.tui.run)
            try:
                # a writer may hold the file for up to lock_timeout; past that, query here
                overview = fetched.result(timeout=self.app.lock_timeout + 10)
                self.post_message(self.Loaded(startup.with_thresholds(overview, threshold)))
                sizes_first = False
                # Importing DuckDB here is ~80 ms of Python: let that first frame paint first.
                self._painted.wait(1.0)
            except Exception:  # a failure or no answer in time: the query below tries, and reports
                pass
        from evaltui.store import StoreError
        from evaltui.store.browse import reading, topic_overview, topic_sizes

        try:
            with reading(path, self.app.lock_timeout) as store:
                # Sizes take one scan of the roots; the scores need a join with every
                # roll-up row (~20x longer on a million spans): show the sizes first.
                if sizes_first:
                    sizes = topic_sizes(store, threshold)
                    if worker.is_cancelled:
                        return
                    self.post_message(self.Loaded(sizes))
                overview = topic_overview(store, threshold)
        except StoreError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.Loaded(overview))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        overview: TopicOverview = event.overview
        self.app.known_scorers = overview.scorers  # type: ignore[attr-defined]
        self.query_one(TopicTable).show(overview)
        self.call_after_refresh(self._painted.set)
        topic_map = self.query_one(TopicMap)
        topic_map.show(overview)
        current = self.query_one(TopicTable).current
        topic_map.set_highlight(current.topic if current else None)
        n = sum(t.conversations for t in overview.topics)
        head = f"{plural(len(overview.topics), 'topic')} · {plural(n, 'conversation')} · "
        if not overview.complete:
            self.query_one("#topics-status", Static).update(head + "aggregating scores… · enter: open logs")
            return
        failing = sum(t.failing for t in overview.topics)
        self.query_one("#topics-status", Static).update(
            head + f"{failing:,} failing (a score below its threshold) · enter: open logs"
        )
        self.app.data_shown()  # type: ignore[attr-defined]

    @on(TopicTable.Highlighted)
    def _highlighted(self, event: TopicTable.Highlighted) -> None:
        self.query_one(TopicMap).set_highlight(event.topic)

    @on(TopicMap.Selected)
    def _map_selected(self, event: TopicMap.Selected) -> None:
        table = self.query_one(TopicTable)
        table.select_topic(event.topic)
        table.focus()

    @on(TopicTable.Opened)
    def _opened(self, event: TopicTable.Opened) -> None:
        from evaltui.store.browse import group_filter, topic_filter  # light by now: the worker imported it

        self.app.open_logs(group_filter(event.topic) if event.is_group else topic_filter(event.topic))
