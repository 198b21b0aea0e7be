"""One eval result as a trace: the case's input, the task's output or error, its scores
with rationales, metadata and metrics; label keys as in the diff."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Header, Static

from evaltui.tui.screens.base import DataScreen
from evaltui.tui.widgets.trace_view import TraceView

if TYPE_CHECKING:
    from evaltui.store.db import Store

LABEL_KEYS = ("A", "B", "C", "Y", "N")


class ResultScreen(DataScreen):
    DEFAULT_CSS = """
    ResultScreen #result-title { height: auto; padding: 0 1; background: $panel; }
    ResultScreen #trace-view { height: 1fr; }
    """

    BINDINGS = [
        Binding("j,down", "scroll(1)", "Scroll", show=False, id="result.down"),
        Binding("k,up", "scroll(-1)", "Scroll", show=False, id="result.up"),
        Binding("L", "cycle_label_scorer", "Label scorer", id="result.label_scorer"),
        *[Binding(k, f"label('{k}')", f"Label {k}", show=False, id=f"result.label_{k.lower()}") for k in LABEL_KEYS],
        Binding("escape,q", "back", "Back", id="result.back"),
    ]

    @dataclass
    class Loaded(Message):
        trace: Any

    @dataclass
    class Labelled(Message):
        value: str

    def __init__(self, result_id: str, scorers: list[str]) -> None:
        super().__init__()
        self.result_id, self.scorers = result_id, scorers
        self.label_scorer = scorers[0] if scorers else None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="result-title")
        yield TraceView(id="trace-view")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(TraceView).focus()
        self.reload()

    def reload(self) -> None:
        def query(store: Store) -> ResultScreen.Loaded:
            from evaltui.store.browse_experiments import result_trace

            return self.Loaded(result_trace(store, self.result_id))

        self.read(query, group="result")

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        trace = event.trace
        if trace is None:
            self.query_one("#result-title", Static).update(f"{self.result_id}: no longer in the database")
            return
        self.trace = trace
        self._title()
        self.query_one(TraceView).show(trace, {k: self.app.settings.threshold(k) for k in trace.rollup})

    def _title(self) -> None:
        trace = getattr(self, "trace", None)
        if trace is None:
            return
        m = trace.root.metadata
        label = f" · label {self.label_scorer}: A/B/C/Y/N (L: scorer)" if self.label_scorer else ""
        self.query_one("#result-title", Static).update(
            f"[b]{m.get('experiment')}[/b] · case {m.get('case')} · trial {m.get('trial')}{label}"
        )

    def restyle(self) -> None:
        view = self.query_one(TraceView)
        if view.trace is not None:
            view.show(view.trace, view.thresholds)

    def action_scroll(self, lines: int) -> None:
        self.query_one(TraceView).scroll_relative(y=lines, animate=False)

    def action_cycle_label_scorer(self) -> None:
        if self.scorers:
            i = self.scorers.index(self.label_scorer) if self.label_scorer in self.scorers else -1
            self.label_scorer = self.scorers[(i + 1) % len(self.scorers)]
            self._title()

    def action_label(self, value: str) -> None:
        if self.label_scorer:
            self.write_label(self.app.db_path, self.result_id, self.label_scorer, value)

    @work(thread=True, exclusive=False, group="result-label", exit_on_error=False)
    def write_label(self, path: Any, result_id: str, scorer: str, value: str) -> None:
        from evaltui.evals.result_labels import save_label

        error = save_label(path, self.app.lock_timeout, result_id, scorer, value, result=True)
        if error:
            self.post_message(self.Failed(error))
            return
        self.post_message(self.Labelled(value))

    @on(Labelled)
    def _labelled(self, event: Labelled) -> None:
        self.notify(f"labelled {self.label_scorer} {event.value}", timeout=2)
        self.app.labels_changed()
        self.reload()

    def action_back(self) -> None:
        self.dismiss(None)
