"""The log browser's table: one window of spans fetched by keyset paging.

The table holds a single page (a few dozen rows); stepping past either end asks
for the neighbouring page (``PageWanted``) instead of loading more rows, so a
million spans cost what one page costs. DataTable renders only visible lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.events import Resize
from textual.message import Message
from textual.widgets import DataTable

from evaltui.names import abbreviate
from evaltui.tui.render import fit_widths, score_text, short_time

if TYPE_CHECKING:  # the store is imported by the workers, after the first frame
    from evaltui.store.pages import LogRow, SpanPage

# Sorting by these starts in this direction; scores start worst first.
DEFAULT_DESCENDING = {"ts": True, "topic": False, "input": False}
UNASSIGNED_LABEL = "(unassigned)"


def _cell(value: object) -> str:
    """A chosen column's value as a short cell: numbers to 4 significant digits."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        import orjson

        return orjson.dumps(value).decode()
    return str(value)


class SpanTable(DataTable):
    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False, id="logs.down"),
        Binding("up,k", "cursor_up", "Up", show=False, id="logs.up"),
        Binding("pagedown,space", "page_down", "Page down", show=False, id="logs.page_down"),
        Binding("pageup,b", "page_up", "Page up", show=False, id="logs.page_up"),
        Binding("home,g", "first", "First", show=False, id="logs.first"),
        Binding("end,G", "last", "Last", show=False, id="logs.last"),
        Binding("enter", "open", "Open trace", id="logs.open"),
        Binding("s", "next_sort", "Sort", id="logs.sort"),
        Binding("S", "reverse_sort", "Reverse", id="logs.reverse"),
    ]

    @dataclass
    class PageWanted(Message):
        where: str  # next | prev | first | last

    @dataclass
    class Opened(Message):
        row: LogRow
        index: int

    @dataclass
    class SortWanted(Message):
        column: str
        descending: bool

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.page: SpanPage | None = None
        self.scorers: list[str] = []
        self.thresholds: dict[str, float] = {}
        self.sort = "ts"
        self.descending = True
        self.extra: list[str] = []  # chosen columns: metrics.KEY, metadata.KEY

    # -- showing a page ------------------------------------------------------

    @property
    def _rows(self) -> list[LogRow]:
        return self.page.rows if self.page else []

    @property
    def _more_before(self) -> bool:
        return bool(self.page and self.page.more_before)

    @property
    def _more_after(self) -> bool:
        return bool(self.page and self.page.more_after)

    def columns_keys(self) -> list[str]:
        return ["ts", "topic", "input", *self.extra, *[f"scores.{k}" for k in self.scorers]]

    def show_page(
        self,
        page: SpanPage,
        *,
        scorers: list[str],
        thresholds: dict[str, float],
        sort: str,
        descending: bool,
        select: int = 0,
        columns: list[str] | None = None,
    ) -> None:
        self.page, self.scorers, self.thresholds = page, scorers, thresholds
        if columns is not None:
            self.extra = list(columns)
        self.sort, self.descending = sort, descending
        self._render_rows(select)

    def _label(self, key: str, title: str) -> Text:
        if key == self.sort:
            return Text(f"{title} {'▼' if self.descending else '▲'}", style="bold")
        return Text(title)

    def _layout(self) -> tuple[int, int, list[int], list[int]]:
        """Widths of the topic, input, chosen and score columns: the screen's width shared
        so that names show whole when they can, the input taking the rest."""
        width = self.size.width or 80
        n, m = len(self.scorers), len(self.extra)
        room = width - 11 - 2 * (3 + m + n) - 1  # time column, cell padding, scrollbar
        topic_want = max([5, *(len(r.topic or UNASSIGNED_LABEL) for r in self._rows)])
        extra_want = [
            max([len(c.partition(".")[2]), *(len(_cell(r.value(c))) for r in self._rows)]) for c in self.extra
        ]
        input_min = max(12, min(30, room * 2 // 5))
        # The topic starts wider (it names the slice); then all grow together.
        topic_w, *rest = fit_widths(
            room - input_min,
            [min(16, topic_want), *[4] * m, *[5] * n],
            [
                min(30, topic_want),
                *[min(20, w) for w in extra_want],
                *[max(5, len(k) + 2 * (k == self.sort[7:])) for k in self.scorers],
            ],
        )
        extra_ws, score_ws = rest[:m], rest[m:]
        return topic_w, max(12, room - topic_w - sum(rest)), extra_ws, score_ws

    def _render_rows(self, select: int) -> None:
        topic_w, input_w, extra_ws, score_ws = self._layout()
        # Headers and topics are abbreviated so that no two read the same; the sorted
        # column leaves room for its arrow.
        heads = abbreviate(self.scorers, [w - 2 * (f"scores.{k}" == self.sort) for k, w in zip(self.scorers, score_ws)])
        extra_heads = abbreviate(
            [c.partition(".")[2] for c in self.extra], [w - 2 * (c == self.sort) for c, w in zip(self.extra, extra_ws)]
        )
        topics = sorted({r.topic or UNASSIGNED_LABEL for r in self._rows})
        short_topic = dict(zip(topics, abbreviate(topics, topic_w)))
        self.clear(columns=True)
        self.add_column(self._label("ts", "time"), key="ts", width=11)
        self.add_column(self._label("topic", "topic"), key="topic", width=topic_w)
        self.add_column(self._label("input", "input"), key="input", width=input_w)
        for c, head, w in zip(self.extra, extra_heads, extra_ws):
            self.add_column(self._label(c, head), key=c, width=w)
        for k, head, w in zip(self.scorers, heads, score_ws):
            self.add_column(self._label(f"scores.{k}", head), key=f"scores.{k}", width=w)
        bad = f"bold {self.app.current_theme.error or 'red'}"
        for row in self._rows:
            topic = row.topic or UNASSIGNED_LABEL
            cells: list[object] = [
                short_time(row.ts),
                Text(short_topic[topic], style="" if row.topic else "dim"),
                row.preview[:input_w],
            ]
            for c, w in zip(self.extra, extra_ws):
                value = row.value(c)
                cells.append(Text(_cell(value)[:w], justify="right" if isinstance(value, (int, float)) else "left"))
            for k in self.scorers:
                value = row.scores.get(k)
                failing = value is not None and value < self.thresholds.get(k, 0.5)
                cells.append(Text(score_text(value), style=bad if failing else "", justify="right"))
            self.add_row(*cells, key=row.id)
        if self._rows:
            self.move_cursor(row=max(0, min(select, len(self._rows) - 1)), animate=False)

    def focus_line(self) -> Text:
        """The focused row with full names: its topic and each score by its scorer key."""
        row = self.current
        if row is None:
            return Text("")
        text = Text.assemble((row.topic or UNASSIGNED_LABEL, "bold"))
        for c in self.extra:
            text.append(f" · {c.partition('.')[2]} {_cell(row.value(c))}")
        bad = f"bold {self.app.current_theme.error or 'red'}"
        for k in self.scorers:
            value = row.scores.get(k)
            failing = value is not None and value < self.thresholds.get(k, 0.5)
            text.append(f" · {k} ")
            text.append(score_text(value), style=bad if failing else "")
        return text

    def on_resize(self, event: Resize) -> None:
        if self._rows:
            self._render_rows(self.cursor_row)

    @property
    def current(self) -> LogRow | None:
        if not self._rows or self.cursor_row < 0:
            return None
        return self._rows[min(self.cursor_row, len(self._rows) - 1)]

    # -- moving --------------------------------------------------------------

    def action_cursor_down(self) -> None:
        if self.cursor_row >= self.row_count - 1 and self._more_after:
            self.post_message(self.PageWanted("next"))
        else:
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0 and self._more_before:
            self.post_message(self.PageWanted("prev"))
        else:
            super().action_cursor_up()

    def action_page_down(self) -> None:
        if self.cursor_row >= self.row_count - 1 and self._more_after:
            self.post_message(self.PageWanted("next"))
        else:
            super().action_page_down()

    def action_page_up(self) -> None:
        if self.cursor_row <= 0 and self._more_before:
            self.post_message(self.PageWanted("prev"))
        else:
            super().action_page_up()

    def action_first(self) -> None:
        if self._more_before:
            self.post_message(self.PageWanted("first"))
        elif self.row_count:
            self.move_cursor(row=0)

    def action_last(self) -> None:
        if self._more_after:
            self.post_message(self.PageWanted("last"))
        elif self.row_count:
            self.move_cursor(row=self.row_count - 1)

    def action_open(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Opened(row, self.cursor_row))

    # -- sorting -------------------------------------------------------------

    def _default_descending(self, column: str) -> bool:
        return DEFAULT_DESCENDING.get(column, False)

    def action_next_sort(self) -> None:
        keys = self.columns_keys()
        nxt = keys[(keys.index(self.sort) + 1) % len(keys)] if self.sort in keys else keys[0]
        self.post_message(self.SortWanted(nxt, self._default_descending(nxt)))

    def action_reverse_sort(self) -> None:
        self.post_message(self.SortWanted(self.sort, not self.descending))

    @on(DataTable.HeaderSelected)
    def _header(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        column = str(event.column_key.value)
        descending = not self.descending if column == self.sort else self._default_descending(column)
        self.post_message(self.SortWanted(column, descending))

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        # Enter is bound to `open`; a mouse click on a row selects it, a second opens it.
        event.stop()
