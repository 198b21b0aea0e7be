"""The builder's table: the conversations of a log slice, each with its mark (a coloured
dot), its threshold bucket and its scores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.events import Resize
from textual.message import Message
from textual.widgets import DataTable

from evaltui.names import abbreviate
from evaltui.tui.render import fit_widths, score_text, short_time

if TYPE_CHECKING:
    from evaltui.curation.builder import Candidate, Marks

MARK_GLYPH = {"failing": "● F", "borderline": "● B", "passing": "● P", "excluded": "✕ X"}


def mark_style(app, mark: str | None) -> str:
    theme = app.current_theme
    return {
        "failing": f"bold {theme.error or 'red'}",
        "borderline": f"bold {theme.warning or 'yellow'}",
        "passing": f"bold {theme.success or 'green'}",
        "excluded": "dim",
    }.get(mark or "", "")


class CandidateTable(DataTable):
    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False, id="builder.down"),
        Binding("up,k", "cursor_up", "Up", show=False, id="builder.up"),
    ]

    @dataclass
    class Highlighted(Message):
        candidate: Candidate | None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.rows_: list[Candidate] = []
        self.marks: Marks | None = None
        self.scorers: list[str] = []

    def show(self, rows: list[Candidate], marks: Marks, scorers: list[str]) -> None:
        self.rows_, self.marks, self.scorers = rows, marks, scorers
        self._render_rows(self.cursor_row if self.row_count else 0)

    def _layout(self) -> tuple[bool, int, int, list[int]]:
        """Whether the time column shows, and the widths of the topic, input and score
        columns: below 100 cells the time goes, so the input keeps a readable width."""
        width = self.size.width or 80
        n = len(self.scorers)
        with_time = width >= 100
        room = width - 4 - 10 - 11 * with_time - 2 * (4 + with_time + n) - 1  # fixed columns, padding, scrollbar
        topic_want = max([5, *(len(c.topic or "") for c in self.rows_)])
        input_min = max(12, min(30, room * 2 // 5))
        topic_w, *score_ws = fit_widths(
            room - input_min,
            [min(12, topic_want), *[5] * n],
            [min(30, topic_want), *[max(5, len(k)) for k in self.scorers]],
        )
        return with_time, topic_w, max(12, room - topic_w - sum(score_ws)), score_ws

    def _render_rows(self, select: int) -> None:
        with_time, topic_w, input_w, score_ws = self._layout()
        heads = abbreviate(self.scorers, score_ws)
        topics = sorted({c.topic or "" for c in self.rows_})
        short_topic = dict(zip(topics, abbreviate(topics, topic_w)))
        self.clear(columns=True)
        self.add_column("mark", key="mark", width=4)
        if with_time:
            self.add_column("time", key="ts", width=11)
        self.add_column("topic", key="topic", width=topic_w)
        self.add_column("input", key="input", width=input_w)
        self.add_column("by score", key="bucket", width=10)
        for k, head, w in zip(self.scorers, heads, score_ws):
            self.add_column(head, key=f"scores.{k}", width=w)
        for c in self.rows_:
            cells: list[object] = [
                self._mark_cell(c.id),
                *([short_time(c.ts)] if with_time else []),
                short_topic[c.topic or ""],
                c.preview[:input_w],
                Text(c.bucket, style="dim" if c.bucket == "unscored" else mark_style(self.app, c.bucket)),
            ]
            for k in self.scorers:
                cells.append(Text(score_text(c.scores.get(k)), justify="right"))
            self.add_row(*cells, key=c.id)
        if self.rows_:
            self.move_cursor(row=max(0, min(select, len(self.rows_) - 1)), animate=False)

    def _mark_cell(self, span_id: str) -> Text:
        mark = self.marks.get(span_id) if self.marks else None
        return Text(MARK_GLYPH.get(mark or "", "·"), style=mark_style(self.app, mark) or "dim")

    def refresh_marks(self, ids: list[str] | None = None) -> None:
        """Redraw the mark cells of ``ids`` (all when None) after marks changed."""
        known = {c.id for c in self.rows_}
        for span_id in ids if ids is not None else list(known):
            if span_id in known:
                self.update_cell(span_id, "mark", self._mark_cell(span_id))

    def on_resize(self, event: Resize) -> None:
        if self.rows_:
            self._render_rows(self.cursor_row)

    @property
    def current(self) -> Candidate | None:
        if not self.rows_ or self.cursor_row < 0:
            return None
        return self.rows_[min(self.cursor_row, len(self.rows_) - 1)]

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.post_message(self.Highlighted(self.current))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
