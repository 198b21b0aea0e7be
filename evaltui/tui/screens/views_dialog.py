"""The saved log views to open one from: name, filter, columns and order."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from evaltui.tui.screens.dialogs import DIALOG_CSS


class ViewsDialog(ModalScreen[Any]):
    """Dismisses with the chosen SavedView, or None."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="ViewsDialog")
        + """
    ViewsDialog > Vertical { width: 90; }
    ViewsDialog OptionList { height: auto; max-height: 16; }
    """
    )
    BINDINGS = [Binding("escape", "dismiss", "Cancel", id="dialog.cancel")]

    def __init__(self, views: list[Any]) -> None:
        super().__init__()
        self.views = views

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Saved views[/b] of the log browser")
            if self.views:
                options = []
                for v in self.views:
                    detail = f"  {v.where or 'no filter'} · by {v.sort} {'▼' if v.descending else '▲'}"
                    if v.columns:
                        detail += " · " + ", ".join(v.columns)
                    options.append(Option(Text.assemble((v.name, "bold"), (detail, "dim"))))
                yield OptionList(*options, id="views-list")
                yield Static("enter: open · esc: cancel · w in the log browser saves the current view", classes="hint")
            else:
                yield Static("no saved views yet: w in the log browser saves the current one", classes="hint")

    def on_mount(self) -> None:
        if self.query("#views-list"):
            self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.views[event.option_index])
