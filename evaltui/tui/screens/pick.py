"""Pick the two experiments of a diff: the baseline, then the candidate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from evaltui.tui.screens.base import read_in_worker

if TYPE_CHECKING:
    from evaltui.store.db import Store
    from evaltui.tui.app import EvalApp


class PickExperimentsDialog(ModalScreen["tuple[str, str] | None"]):
    DEFAULT_CSS = """
    PickExperimentsDialog { align: center middle; }
    PickExperimentsDialog > Vertical { width: 70; max-width: 95%; height: 80%; border: thick $primary; background: $surface; }
    PickExperimentsDialog OptionList { height: 1fr; }
    PickExperimentsDialog #pick-title { padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "dismiss", "Cancel", id="dialog.cancel")]
    if TYPE_CHECKING:
        app: EvalApp

    @dataclass
    class Listed(Message):
        rows: list[dict[str, Any]]

    def __init__(self, base: str | None, candidate: str | None) -> None:
        super().__init__()
        self.base: str | None = None
        self.defaults = (base, candidate)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]baseline[/b]: pick the experiment to compare against", id="pick-title")
            yield OptionList(id="pick-list")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.list_experiments()

    def list_experiments(self) -> None:
        def query(store: Store) -> PickExperimentsDialog.Listed:
            from evaltui.store.browse_experiments import experiments

            return self.Listed(experiments(store))

        def failed(exc: Exception) -> None:
            self.app.notify(str(exc), severity="error")

        read_in_worker(self, query, group="pick", failed=failed)

    @on(Listed)
    def _listed(self, event: Listed) -> None:
        options = self.query_one(OptionList)
        for r in event.rows:
            means = "  ".join(f"{k[:10]} {v:.2f}" for k, v in r["scores"].items() if v is not None)
            options.add_option(
                Option(f"{r['name']}  [dim]{r['status']} · {r['results']} results · {means}[/dim]", id=r["name"])
            )
        want = self.defaults[0]
        for i, r in enumerate(event.rows):
            if r["name"] == want:
                options.highlighted = i

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        name = event.option.id or ""
        if self.base is None:
            self.base = name
            self.query_one("#pick-title", Static).update(f"[b]candidate[/b]: compare with {name}")
            # A run is never its own candidate: drop it, and start on the current candidate.
            options = self.query_one(OptionList)
            options.remove_option(name)
            ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
            want = self.defaults[1]
            options.highlighted = ids.index(want) if want in ids and want != name else (0 if ids else None)
            return
        if name != self.base:
            self.dismiss((self.base, name))
