"""The trace view: one conversation, stepping to the next/previous of the log filter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Header, Static
from textual.worker import get_current_worker

from evaltui.tui.render import short_time
from evaltui.tui.screens.base import DataScreen
from evaltui.tui.widgets.trace_view import TraceView

if TYPE_CHECKING:
    from evaltui.store.browse import SpanRow


class TraceScreen(DataScreen):
    """Dismisses with the row it shows last, so the log browser can follow."""

    DEFAULT_CSS = """
    TraceScreen #trace-title { height: auto; padding: 0 1; background: $panel; }
    TraceScreen #trace-view { height: 1fr; }
    """

    BINDINGS = [
        Binding("n,right,l", "step(1)", "Next trace", id="trace.next"),
        Binding("p,left,h", "step(-1)", "Prev trace", id="trace.prev"),
        Binding("j,down", "scroll(1)", "Scroll", show=False, id="trace.down"),
        Binding("k,up", "scroll(-1)", "Scroll", show=False, id="trace.up"),
        Binding("escape,q", "back", "Back", id="trace.back"),
    ]

    @dataclass
    class Loaded(Message):
        row: Any  # SpanRow
        trace: Any  # Trace | None
        position: int

    @dataclass
    class EndReached(Message):
        step: int

    def __init__(self, row: SpanRow, where: str, sort: str, descending: bool, position: int, total: int | None) -> None:
        super().__init__()
        self.row, self.where, self.sort, self.descending = row, where, sort, descending
        self.position, self.total = position, total

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="trace-title")
        yield TraceView(id="trace-view")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(TraceView).focus()
        self.reload()

    def reload(self) -> None:
        self.load(self.app.db_path, self.row, 0, self.position)

    @work(thread=True, exclusive=True, group="trace", exit_on_error=False)
    def load(self, path: Any, row: Any, step: int, position: int) -> None:
        from evaltui.store import StoreError
        from evaltui.store.browse import load_trace, neighbour, reading
        from evaltui.store.filters import FilterError

        try:
            with reading(path, self.app.lock_timeout) as store:
                if step:
                    found = neighbour(store, self.where, row.cursor, step=step, sort=self.sort, descending=self.descending)
                    if found is None:
                        self.post_message(self.EndReached(step))
                        return
                    row, position = found, position + step
                trace = load_trace(store, row.root_id)
        except (StoreError, FilterError) as exc:
            self.post_message(self.Failed(str(exc)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(row, trace, position))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        self.row, self.position = event.row, event.position
        trace = event.trace
        if trace is None:
            self.query_one("#trace-title", Static).update(f"{self.row.id}: no longer in the database")
            return
        of = f" of {self.total:,}" if self.total is not None else ""
        self.query_one("#trace-title", Static).update(
            f"[b]{trace.root.id}[/b] · {trace.topic or '(unassigned)'} · {short_time(trace.root.ts)} · "
            f"trace {self.position + 1:,}{of} · {len(trace.children)} spans"
        )
        self.query_one(TraceView).show(trace, {k: self.app.settings.threshold(k) for k in trace.rollup})

    def restyle(self) -> None:
        view = self.query_one(TraceView)
        if view.trace is not None:
            view.show(view.trace, view.thresholds)

    @on(EndReached)
    def _end(self, event: EndReached) -> None:
        self.notify("no next trace in this filter" if event.step > 0 else "this is the first trace", timeout=3)

    def action_step(self, step: int) -> None:
        self.load(self.app.db_path, self.row, step, self.position)

    def action_scroll(self, lines: int) -> None:
        view = self.query_one(TraceView)
        view.scroll_relative(y=lines, animate=False)

    def action_back(self) -> None:
        self.dismiss(self.row)
