"""The topic map pane: groups and topics ranked by where it hurts, the failure modes of
the highlighted one, a treemap, and a notice when the map has gone stale."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Footer, Header, Static
from textual.worker import get_current_worker

from evaltui.tui.render import plural
from evaltui.tui.screens.base import DataScreen, post_query
from evaltui.tui.widgets.topic_map import TopicMap
from evaltui.tui.widgets.topic_table import TopicTable

if TYPE_CHECKING:
    from evaltui.store.db import Store
    from evaltui.store.overview import TopicOverview


class TopicsScreen(DataScreen):
    DEFAULT_CSS = """
    TopicsScreen #topic-table { height: 1fr; }
    TopicsScreen #topic-map { height: 1fr; border-top: solid $panel; }
    TopicsScreen #topics-status { height: 1; padding: 0 1; color: $text-muted; }
    TopicsScreen #topic-modes { height: auto; max-height: 4; padding: 0 1; }
    TopicsScreen #topics-stale { height: auto; padding: 0 1; color: $warning; display: none; }
    """

    @dataclass
    class ModesLoaded(Message):
        key: str
        text: str

    @dataclass
    class ModesGathered(Message):
        key: str
        inputs: Any  # evaltui.topics.failure_modes.ModeInputs, or None: no failing grade with a rationale

    @dataclass
    class StaleChecked(Message):
        message: str | None

    @dataclass
    class Loaded(Message):
        overview: Any  # TopicOverview

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Static("", id="topics-stale")
            yield TopicTable(id="topic-table")
            yield Static("", id="topic-modes")
            yield TopicMap(id="topic-map")
            yield Static("loading topics…", id="topics-status")
        yield Footer()

    def on_mount(self) -> None:
        self._painted = threading.Event()  # set once a frame with topics is on screen
        self._modes_timer: Timer | None = None
        self.query_one(TopicTable).focus()
        self.reload()

    def reload(self) -> None:
        # Sizes first only while nothing is on screen; a reload keeps the last overview until the new one.
        self.load_overview(
            self.app.db_path, self.app.settings.threshold, sizes_first=self.query_one(TopicTable).overview is None
        )

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

        def query(store: Store) -> TopicsScreen.Loaded | None:
            from evaltui.store.topic_overview import topic_overview, topic_sizes

            # Sizes take one scan of the roots; the scores need a join with every
            # roll-up row (~20x longer on a million spans): show the sizes first.
            if sizes_first:
                sizes = topic_sizes(store, threshold)
                if worker.is_cancelled:
                    return None
                self.post_message(self.Loaded(sizes))
            return self.Loaded(topic_overview(store, threshold))

        post_query(self, query, failed=self.failure)

    def check_stale(self) -> None:
        def query(store: Store) -> TopicsScreen.StaleChecked:
            from evaltui.topics.changes import map_staleness

            staleness = map_staleness(store)
            return self.StaleChecked(staleness.message if staleness and staleness.stale else None)

        # The notice is a hint: no failure of its own (the overview reports those).
        self.read(query, group="topics-stale", errors=(Exception,), failed=lambda exc: None)

    @on(StaleChecked)
    def _stale_checked(self, event: StaleChecked) -> None:
        notice = self.query_one("#topics-stale", Static)
        notice.update(f"⚠ {event.message}" if event.message else "")
        notice.display = bool(event.message)

    def load_modes(self, key: str, topics: list[str]) -> None:
        """The highlighted topic's (or group's) failure modes: what they need is read on a
        brief connection, then clustered (MiniLM) in another worker, off the file, so a
        write (a label, an align) never waits for the embedding; the newest highlight wins."""

        def query(store: Store) -> TopicsScreen.ModesGathered:
            from evaltui.topics.failure_modes import gather

            return self.ModesGathered(key, gather(store, topic_keys=topics))

        self.read(query, group="topic-modes", errors=(Exception,), failed=partial(self._modes_failed, key))

    def _modes_failed(self, key: str, exc: Exception) -> TopicsScreen.ModesLoaded:  # shown in place of the modes
        return self.ModesLoaded(key, f"failure modes: unavailable ({str(exc).splitlines()[0][:80]})")

    @on(ModesGathered)
    def _modes_gathered(self, event: ModesGathered) -> None:
        if event.inputs is None:
            self.post_message(self.ModesLoaded(event.key, "failure modes: no failing grade with a rationale here"))
            return
        self.run_worker(
            partial(self._cluster_modes, event.key, event.inputs),
            thread=True,
            exclusive=True,
            group="topic-modes-cluster",
            exit_on_error=False,
        )

    def _cluster_modes(self, key: str, inputs: Any) -> None:
        """In a worker thread, without the store: the modes of what ``gather`` read."""
        from evaltui.topics.failure_modes import modes_from

        try:
            modes = modes_from(inputs, limit=3)
            message = self.ModesLoaded(key, "why it fails: " + " · ".join(f"{m.name} ({m.count})" for m in modes))
        except Exception as exc:  # noqa: BLE001 - shown in place of the modes, as a failed read is
            message = self._modes_failed(key, exc)
        if not get_current_worker().is_cancelled:
            self.post_message(message)

    @on(ModesLoaded)
    def _modes_loaded(self, event: ModesLoaded) -> None:
        current = self.query_one(TopicTable).current
        if current is not None and current.topic == event.key:
            self.query_one("#topic-modes", Static).update(event.text)

    def _show_modes(self) -> None:
        from evaltui.store.overview import UNASSIGNED_TOPIC

        table = self.query_one(TopicTable)
        row = table.current
        modes = self.query_one("#topic-modes", Static)
        if row is None or row.topic == UNASSIGNED_TOPIC or table.overview is None or not table.overview.complete:
            modes.update("")
            return
        if table.current_is_group:
            topics = [t.topic for t in table.overview.topics if t.group == row.topic]
        else:
            topics = [row.topic]
        modes.update("why it fails: …")
        # j held down: only the topic the cursor rests on is worked out.
        if self._modes_timer is not None:
            self._modes_timer.stop()
        self._modes_timer = self.set_timer(0.25, partial(self.load_modes, row.topic, topics))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        overview: TopicOverview = event.overview
        self.app.known_scorers = overview.scorers
        self.query_one(TopicTable).show(overview)
        self.call_after_refresh(self._painted.set)
        topic_map = self.query_one(TopicMap)
        topic_map.show(overview)
        current = self.query_one(TopicTable).current
        topic_map.set_highlight(current.topic if current else None)
        if overview.complete:
            self._show_modes()
            self.check_stale()
        n = sum(t.conversations for t in overview.topics)
        head = f"{plural(len(overview.topics), 'topic')} · {plural(n, 'conversation')} · "
        if not overview.complete:
            self.query_one("#topics-status", Static).update(head + "aggregating scores… · enter: open logs")
            return
        failing = sum(t.failing for t in overview.topics)
        self.query_one("#topics-status", Static).update(
            head + f"{failing:,} failing (a score below its threshold) · enter: open logs"
        )
        self.app.data_shown()

    @on(TopicTable.Highlighted)
    def _highlighted(self, event: TopicTable.Highlighted) -> None:
        self.query_one(TopicMap).set_highlight(event.topic)
        self._show_modes()

    @on(TopicMap.Selected)
    def _map_selected(self, event: TopicMap.Selected) -> None:
        table = self.query_one(TopicTable)
        table.select_topic(event.topic)
        table.focus()

    @on(TopicTable.Opened)
    def _opened(self, event: TopicTable.Opened) -> None:
        from evaltui.store.pages import group_filter, topic_filter  # light by now: the worker imported it

        self.app.open_logs(group_filter(event.topic) if event.is_group else topic_filter(event.topic))
