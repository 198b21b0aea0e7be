"""`?`: every key of the app, with the binding id to remap it in config."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def key_label(keys: str) -> str:
    names = {"question_mark": "?", "slash": "/", "escape": "esc", "pagedown": "pgdn", "pageup": "pgup"}
    return " ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: 90%; border: thick $primary; background: $surface; padding: 0 1;
    }
    """

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

    def __init__(self, sections: list[tuple[str, list[Binding]]], keymap: dict[str, str]) -> None:
        super().__init__()
        self.sections, self.keymap = sections, keymap
        self.rows: list[tuple[str, str, str]] = []  # (keys, what it does, binding id) as shown

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, padding=(0, 1))
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("does")
        table.add_column("binding id (remap with \\[keymap] in evaltui.toml)", style="dim")
        for title, bindings in self.sections:
            table.add_row(Text(title, style="underline"), "", "")
            for b in bindings:
                remapped = (b.id or "") in self.keymap
                keys = self.keymap.get(b.id or "", b.key)
                row = (
                    key_label(keys) if remapped else b.key_display or key_label(keys),
                    b.description or b.action,
                    b.id or "",
                )
                self.rows.append(row)
                table.add_row(*row)
        table.add_row(Text("everywhere", style="underline"), "", "")
        table.add_row("ctrl+p", "command palette: panes, themes, sorts, saved views, quick filters", "")
        table.add_row("mouse", "click rows, headers (sort) and map tiles", "")
        with VerticalScroll():
            yield Static(Text("evaltui keys", style="bold"))
            yield Static(table)
