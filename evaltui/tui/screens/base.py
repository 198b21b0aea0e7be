"""What every data pane shares: a failure message, staleness, reload on return."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.message import Message
from textual.screen import Screen

if TYPE_CHECKING:
    from evaltui.tui.app import EvalApp


class DataScreen(Screen):
    """A screen whose workers read the store. Workers never touch widgets: they post
    ``Failed`` (or the screen's own result messages) and handlers update the widgets."""

    @dataclass
    class Failed(Message):
        message: str

    if TYPE_CHECKING:  # every data pane runs inside EvalApp: its settings, db_path, lock_timeout
        app: EvalApp

    def __init__(self) -> None:
        super().__init__()
        self.stale = False

    def reload(self) -> None:
        """Query again (new rows from another process, a changed setting)."""

    def restyle(self) -> None:
        """Render what is loaded again (after a theme change) without a query."""

    def on_mount(self) -> None:
        self.app.data_screens.add(self)

    def on_unmount(self) -> None:
        self.app.data_screens.discard(self)

    def on_screen_resume(self) -> None:
        if self.stale:
            self.stale = False
            self.reload()

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        self.notify(event.message, title="evaltui", severity="error", timeout=8)
