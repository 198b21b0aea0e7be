"""The trace view: one conversation, stepping to the next/previous of the log filter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Header, Static

from evaltui.tui.render import short_time
from evaltui.tui.screens.base import DataScreen
from evaltui.tui.widgets.trace_view import TraceView

if TYPE_CHECKING:
    from evaltui.store.db import Store
    from evaltui.store.pages import LogRow

# Shift+letter: a human label of the chosen scorer (its scale decides which apply).
LABEL_KEYS = ("A", "B", "C", "Y", "N")


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
        Binding("R", "rationale", "Why (rationale)", show=False, id="trace.rationale"),
        Binding("e", "expand_system", "Whole prompt", show=False, id="trace.expand_system"),
        Binding("L", "cycle_label_scorer", "Label scorer", id="trace.label_scorer"),
        Binding("right_square_bracket", "label_target(1)", "Next span to label", show=False, id="trace.label_next"),
        Binding("left_square_bracket", "label_target(-1)", "Prev span to label", show=False, id="trace.label_prev"),
        *[Binding(k, f"label('{k}')", f"Label {k}", show=False, id=f"trace.label_{k.lower()}") for k in LABEL_KEYS],
        Binding("escape,q", "back", "Back", id="trace.back"),
    ]

    @dataclass
    class Loaded(Message):
        row: Any  # LogRow
        trace: Any  # Trace | None
        position: int
        targets: dict[str, list[str]] | None = None  # scorer key -> spans it scored
        labels: dict[str, dict[str, str | None]] | None = None  # span id -> scorer key -> human label

    @dataclass
    class Labelled(Message):
        target: str
        scorer: str
        value: str

    @dataclass
    class EndReached(Message):
        step: int

    def __init__(self, row: LogRow, where: str, sort: str, descending: bool, position: int, total: int | None) -> None:
        super().__init__()
        self.row, self.where, self.sort, self.descending = row, where, sort, descending
        self.position, self.total = position, total
        self.targets: dict[str, list[str]] = {}
        self.labels: dict[str, dict[str, str | None]] = {}
        self.label_scorer: str | None = None
        self.target_index = 0
        self.trace: Any = None
        self.labelling = False  # the label line shows once the user labels (L or a label key)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="trace-title")
        yield TraceView(id="trace-view")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(TraceView).focus()
        self.reload()

    def reload(self) -> None:
        self.load(self.row, 0, self.position)

    def load(self, row: Any, step: int, position: int) -> None:
        """The trace of ``row``, or of the one ``step`` rows away from it in the log order."""

        def query(store: Store) -> Message:
            from evaltui.store.human_labels import human_labels, trace_label_targets
            from evaltui.store.pages import neighbour
            from evaltui.store.trace import load_trace

            target, at = row, position
            if step:
                found = neighbour(store, self.where, row.cursor, step=step, sort=self.sort, descending=self.descending)
                if found is None:
                    return self.EndReached(step)
                target, at = found, position + step
            trace = load_trace(store, target.root_id)
            targets = trace_label_targets(store, target.root_id)
            labels = {t: human_labels(store, t) for ts in targets.values() for t in ts}
            return self.Loaded(target, trace, at, targets, labels)

        self.read(query, group="trace")

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        moved = self.trace is None or event.trace is None or self.trace.root.id != event.trace.root.id
        self.row, self.position = event.row, event.position
        trace = event.trace
        if trace is None:
            self.query_one("#trace-title", Static).update(f"{self.row.id}: no longer in the database")
            return
        self.trace = trace
        self.targets, self.labels = event.targets or {}, event.labels or {}
        if self.label_scorer not in self.targets:
            self.label_scorer = next(iter(self.targets), None)
        if moved:
            self.target_index = 0
        self._title()
        view = self.query_one(TraceView)
        if moved or trace != view.trace:  # a new trace, or new scores or labels on this one
            view.show(trace, {k: self.app.settings.threshold(k) for k in trace.rollup}, keep_scroll=not moved)

    def _title(self) -> None:
        trace = self.trace
        of = f" of {self.total:,}" if self.total is not None else ""
        title = (
            f"[b]{trace.root.id}[/b] · {trace.topic or '(unassigned)'} · {short_time(trace.root.ts)} · "
            f"trace {self.position + 1:,}{of} · {len(trace.children)} spans"
        )
        target = self.label_target
        if target is not None and self.labelling:
            spans = self.targets[self.label_scorer or ""]
            human = self.labels.get(target, {}).get(self.label_scorer or "")
            where = "conversation" if target == trace.root.id else target
            title += (
                f"\nlabel [b]{self.label_scorer}[/b] of {where} ({self.target_index + 1}/{len(spans)}, [ ] to move)"
                f" · human: [b]{human or '–'}[/b] · A/B/C/Y/N sets it, R: why, L: scorer"
            )
        self.query_one("#trace-title", Static).update(title)

    @property
    def label_target(self) -> str | None:
        spans = self.targets.get(self.label_scorer or "")
        if not spans:
            return None
        return spans[min(self.target_index, len(spans) - 1)]

    def action_cycle_label_scorer(self) -> None:
        keys = list(self.targets)
        if keys and not self.labelling:
            self.labelling = True
            self._title()
        elif keys:
            i = keys.index(self.label_scorer) if self.label_scorer in keys else -1
            self.label_scorer, self.target_index = keys[(i + 1) % len(keys)], 0
            self._title()

    def action_label_target(self, step: int) -> None:
        spans = self.targets.get(self.label_scorer or "")
        if spans:
            self.target_index = (self.target_index + step) % len(spans)
            self._title()

    def action_label(self, value: str) -> None:
        target = self.label_target
        self.labelling = True
        if target is not None and self.label_scorer:
            self.write_label(self.app.db_path, target, self.label_scorer, value)

    @work(thread=True, exclusive=False, group="trace-label", exit_on_error=False)
    def write_label(self, path: Any, target: str, scorer: str, value: str) -> None:
        from evaltui.evals.result_labels import save_label

        error = save_label(path, self.app.lock_timeout, target, scorer, value)
        if error:
            self.post_message(self.Failed(error))
            return
        self.post_message(self.Labelled(target, scorer, value))

    @on(Labelled)
    def _labelled(self, event: Labelled) -> None:
        self.labels.setdefault(event.target, {})[event.scorer] = event.value.upper()
        self._title()
        self.reload()  # the turn list shows the new label at once
        self.notify(f"labelled {event.scorer} {event.value}", timeout=2)
        self.app.labels_changed()

    def restyle(self) -> None:
        view = self.query_one(TraceView)
        if view.trace is not None:
            view.show(view.trace, view.thresholds)

    @on(EndReached)
    def _end(self, event: EndReached) -> None:
        self.notify("no next trace in this filter" if event.step > 0 else "this is the first trace", timeout=3)

    def action_step(self, step: int) -> None:
        self.load(self.row, step, self.position)

    def action_rationale(self) -> None:
        """Say why: a rationale stored with the human label of the span being labelled
        (what `evaltui label ... --rationale` does)."""
        from evaltui.tui.screens.dialogs import TextDialog

        target, scorer = self.label_target, self.label_scorer
        value = self.labels.get(target or "", {}).get(scorer or "") if target and scorer else None
        if not value:
            self.notify("label it first (A/B/C/Y/N), then R says why", timeout=3)
            return

        def chosen(text: str | None) -> None:
            if text:
                self.write_rationale(self.app.db_path, target, scorer, value, text)

        self.app.push_screen(TextDialog(f"Why {scorer} = {value}?", "", "a rationale, stored with the label"), chosen)

    @work(thread=True, exclusive=False, group="trace-label", exit_on_error=False)
    def write_rationale(self, path: Any, target: str, scorer: str, value: str, rationale: str) -> None:
        from evaltui.evals.result_labels import save_label

        error = save_label(path, self.app.lock_timeout, target, scorer, value, rationale=rationale)
        if error:
            self.post_message(self.Failed(error))
            return
        self.post_message(self.Labelled(target, scorer, value))

    def action_expand_system(self) -> None:
        self.query_one(TraceView).toggle_system()

    def action_scroll(self, lines: int) -> None:
        view = self.query_one(TraceView)
        view.scroll_relative(y=lines, animate=False)

    def action_back(self) -> None:
        self.dismiss(self.row)
