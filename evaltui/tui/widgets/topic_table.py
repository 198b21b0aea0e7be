"""Topics ranked by where it hurts: size, failing share (a bar), mean scores, daily trend.

A map with groups shows its groups first, each rolled up like a topic; → or enter opens a
group into its topics (indented below it), ← or backspace closes it again."""

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
    from evaltui.store.overview import TopicOverview, TopicRow


class TopicTable(DataTable):
    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False, id="topics.down"),
        Binding("up,k", "cursor_up", "Up", show=False, id="topics.up"),
        Binding("enter", "open", "Open", id="topics.open"),
        Binding("right,l", "expand", "Expand", id="topics.expand"),
        Binding("left,h,backspace", "collapse", "Collapse", id="topics.collapse"),
    ]

    @dataclass
    class Highlighted(Message):
        topic: str | None

    @dataclass
    class Opened(Message):
        topic: str
        is_group: bool = False

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.overview: TopicOverview | None = None
        self.lines: list[tuple[TopicRow, bool, int]] = []  # (row, is a group, depth) per table row
        self.expanded: set[str] = set()
        self.has_groups = False

    def _visible(
        self, grouped: list[tuple[TopicRow, list[TopicRow]]], overview: TopicOverview
    ) -> list[tuple[TopicRow, bool, int]]:
        if not grouped:
            return [(t, False, 0) for t in overview.topics]
        out: list[tuple[TopicRow, bool, int]] = []
        for group, topics in grouped:
            if not topics:  # a topic with no group (e.g. the unassigned) stands alone
                out.append((group, False, 0))
                continue
            out.append((group, True, 0))
            if group.topic in self.expanded:
                out += [(t, False, 1) for t in topics]
        return out

    def _line_name(self, row: TopicRow, is_group: bool, depth: int, width: int) -> Text:
        if is_group:
            mark = "▾ " if row.topic in self.expanded else "▸ "
            label = self.overview.group_labels.get(row.topic, row.topic) if self.overview else row.topic
            return Text.assemble((mark, "bold"), (label[: width - 2], "bold"))
        return Text(("  " * depth + row.topic)[:width])

    def show(self, overview: TopicOverview) -> None:
        # Sizes first (largest first), then the ranking by failing conversations: the
        # cursor starts on the top-ranked topic unless the ranking was there already.
        keep = self.current if self.overview is None or self.overview.complete else None
        had_groups = self.has_groups
        self.overview = overview
        grouped = overview.grouped()  # ranked once per overview; rows, bindings and widths read it
        self.has_groups = bool(grouped)
        self.lines = self._visible(grouped, overview)
        if had_groups != self.has_groups:
            self.refresh_bindings()
        self.clear(columns=True)
        theme = self.app.current_theme
        bad, good = theme.error or "red", theme.success or "green"
        width = 30 if self.has_groups else 22
        self.add_column("group / topic" if self.has_groups else "topic", key="topic", width=width)
        self.add_column("convs", key="conversations", width=7)
        self.add_column("failing", key="failing", width=15)
        from evaltui.names import abbreviate

        # twins such as brand_alignment / brand_alignment_offline stay told apart
        for k, short in zip(overview.scorers, abbreviate(overview.scorers, 7)):
            self.add_column(short, key=f"scores.{k}", width=7)
        self.add_column("failing/day", key="trend", width=max(8, min(30, len(overview.days))))
        pending = Text("…", style="dim", justify="right")
        for index, (t, is_group, depth) in enumerate(self.lines):
            name = self._line_name(t, is_group, depth, width)
            if not overview.complete:
                self.add_row(
                    name,
                    Text(f"{t.conversations:,}", justify="right"),
                    pending,
                    *[pending for _ in overview.scorers],
                    pending,
                    key=f"{index}:{t.topic}",
                )
                continue
            share = t.failing_share
            cells: list[object] = [
                name,
                Text(f"{t.conversations:,}", justify="right"),
                Text.assemble((bar(share, 9), bad), f" {share:4.0%}"),
            ]
            for k in overview.scorers:
                mean = t.means.get(k)
                failing = mean is not None and mean < overview.thresholds.get(k, 0.5)
                cells.append(Text(score_text(mean), style=bad if failing else good, justify="right"))
            cells.append(Text(sparkline(t.daily_failing, 30), style=bad))
            self.add_row(*cells, key=f"{index}:{t.topic}")
        if keep is not None:
            for i, (t, _, _) in enumerate(self.lines):
                if t.topic == keep.topic:
                    self.move_cursor(row=i, animate=False)

    @property
    def current_line(self) -> tuple[TopicRow, bool, int] | None:
        if not self.lines or self.cursor_row < 0:
            return None
        return self.lines[min(self.cursor_row, len(self.lines) - 1)]

    @property
    def current(self) -> TopicRow | None:
        line = self.current_line
        return line[0] if line else None

    @property
    def current_is_group(self) -> bool:
        line = self.current_line
        return bool(line and line[1])

    def select_topic(self, topic: str) -> None:
        if not self.overview:
            return
        group = next((t.group for t in self.overview.topics if t.topic == topic), None)
        if group and any(g.topic == group for g, _, _ in self.lines) and group not in self.expanded:
            self.expanded.add(group)
            self.show(self.overview)
        for i, (t, is_group, _) in enumerate(self.lines):
            if t.topic == topic and not is_group:
                self.move_cursor(row=i)

    def _toggle(self, group: str, open_: bool) -> None:
        if open_ == (group in self.expanded) or self.overview is None:
            return
        (self.expanded.add if open_ else self.expanded.discard)(group)
        self.show(self.overview)
        for i, (t, is_group, _) in enumerate(self.lines):
            if is_group and t.topic == group:
                self.move_cursor(row=i, animate=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # expand and collapse only mean something on a map with groups
        if action in ("expand", "collapse"):
            return self.has_groups
        return True

    def action_expand(self) -> None:
        line = self.current_line
        if line and line[1]:
            self._toggle(line[0].topic, True)

    def action_collapse(self) -> None:
        line = self.current_line
        if not line:
            return
        row, is_group, depth = line
        if is_group:
            self._toggle(row.topic, False)
        elif depth and row.group:
            self._toggle(row.group, False)

    def action_open(self) -> None:
        line = self.current_line
        if line is None:
            return
        row, is_group, _ = line
        if is_group and row.topic not in self.expanded:
            self._toggle(row.topic, True)  # enter opens a group first, then its logs
            return
        self.post_message(self.Opened(row.topic, is_group=is_group))

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        row = self.current
        self.post_message(self.Highlighted(row.topic if row else None))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
