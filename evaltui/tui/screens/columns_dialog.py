"""Choosing the log browser's extra columns (latency, cost, model, any metadata key) and
the metadata key to group by: a list to tick or pick from, in a modal."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, SelectionList, Static

from evaltui.tui.screens.dialogs import DIALOG_CSS


class ColumnsDialog(ModalScreen["list[str] | None"]):
    """Tick columns with space; enter applies, in the order of the list; escape cancels."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="ColumnsDialog") + "ColumnsDialog SelectionList { height: auto; max-height: 16; }"
    )
    BINDINGS = [
        Binding("escape", "dismiss", "Cancel", id="dialog.cancel"),
        Binding("enter", "apply", "Apply", priority=True, id="dialog.apply"),
    ]

    def __init__(self, choices: list[str], chosen: list[str]) -> None:
        super().__init__()
        self.choices = list(dict.fromkeys([*chosen, *choices]))
        self.chosen = set(chosen)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Columns[/b] of the log browser")
            if self.choices:
                yield SelectionList[str](*[(c, c, c in self.chosen) for c in self.choices], id="column-choices")
                yield Static("space: tick · enter: apply · esc: cancel", classes="hint")
            else:
                yield Static("the conversations have no metrics or metadata keys to show", classes="hint")

    def on_mount(self) -> None:
        if self.query("#column-choices"):
            self.query_one(SelectionList).focus()

    def action_apply(self) -> None:
        if not self.query("#column-choices"):
            self.dismiss(None)
            return
        picked = set(self.query_one(SelectionList).selected)
        self.dismiss([c for c in self.choices if c in picked])


class GroupByDialog(ModalScreen["str | None"]):
    """One metadata key to group the filtered conversations by."""

    DEFAULT_CSS = DIALOG_CSS.format(name="GroupByDialog") + "GroupByDialog OptionList { height: auto; max-height: 16; }"
    BINDINGS = [Binding("escape", "dismiss", "Cancel", id="dialog.cancel")]

    def __init__(self, keys: list[str]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Group[/b] the conversations by")
            if self.keys:
                yield OptionList(*self.keys, id="group-keys")
                yield Static("enter: group · esc: cancel", classes="hint")
            else:
                yield Static("the conversations have no metadata keys", classes="hint")

    def on_mount(self) -> None:
        if self.query("#group-keys"):
            self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.keys[event.option_index])
