"""Topics ranked by where it hurts: size, failing share (a bar), mean scores, daily trend."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from evaltui.tui.render import bar, score_text, sparkline

if TYPE_CHECKING:  # the store is imported by the workers, after the first frame
    from evaltui.store.browse import TopicOverview, TopicRow


class TopicTable(DataTable):
    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False, id="topics.down"),
        Binding("up,k", "cursor_up", "Up", show=False, id="topics.up"),
        Binding("enter", "open", "Open logs", id="topics.open"),
    ]

    @dataclass
    class Highlighted(Message):
        topic: str | None

    @dataclass
    class Opened(Message):
        topic: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.overview: TopicOverview | None = None

    def show(self, overview: TopicOverview) -> None:
        # Sizes first (largest first), then the ranking by failing conversations: the
        # cursor starts on the top-ranked topic unless the ranking was there already.
        keep = self.current if self.overview is None or self.overview.complete else None
        self.overview = overview
        self.clear(columns=True)
        theme = self.app.current_theme
        bad, good = theme.error or "red", theme.success or "green"
        self.add_column("topic", key="topic", width=22)
        self.add_column("convs", key="conversations", width=7)
        self.add_column("failing", key="failing", width=15)
        for k in overview.scorers:
            self.add_column(k[:7], key=f"scores.{k}", width=7)
        self.add_column("failing/day", key="trend", width=max(8, min(30, len(overview.days))))
        pending = Text("…", style="dim", justify="right")
        for t in overview.topics:
            if not overview.complete:
                self.add_row(t.topic[:22], Text(f"{t.conversations:,}", justify="right"), pending,
                             *[pending for _ in overview.scorers], pending, key=t.topic)
                continue
            share = t.failing_share
            cells: list[object] = [
                t.topic[:22],
                Text(f"{t.conversations:,}", justify="right"),
                Text.assemble((bar(share, 9), bad), f" {share:4.0%}"),
            ]
            for k in overview.scorers:
                mean = t.means.get(k)
                failing = mean is not None and mean < overview.thresholds.get(k, 0.5)
                cells.append(Text(score_text(mean), style=bad if failing else good, justify="right"))
            cells.append(Text(sparkline(t.daily_failing, 30), style=bad))
            self.add_row(*cells, key=t.topic)
        if keep is not None:
            for i, t in enumerate(overview.topics):
                if t.topic == keep.topic:
                    self.move_cursor(row=i, animate=False)

    @property
    def current(self) -> TopicRow | None:
        if not self.overview or not self.overview.topics or self.cursor_row < 0:
            return None
        return self.overview.topics[min(self.cursor_row, len(self.overview.topics) - 1)]

    def select_topic(self, topic: str) -> None:
        if self.overview:
            for i, t in enumerate(self.overview.topics):
                if t.topic == topic:
                    self.move_cursor(row=i)

    def action_open(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Opened(row.topic))

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        row = self.current
        self.post_message(self.Highlighted(row.topic if row else None))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
