"""The prompts pane: every prompt version (a new content hash is a new version) with the
experiments that ran it; below, the focused version's messages and what changed from the
version before it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from evaltui.tui.screens.base import DataScreen

if TYPE_CHECKING:
    from evaltui.store.db import Store


class PromptsScreen(DataScreen):
    DEFAULT_CSS = """
    PromptsScreen #prompt-table { height: 1fr; min-height: 4; }
    PromptsScreen #prompt-detail { height: 2fr; border-top: solid $panel; padding: 0 1; }
    PromptsScreen #prompt-status { height: 1; padding: 0 1; color: $text-muted; }
    """

    BINDINGS = [
        Binding("d", "toggle_diff", "Text / diff", id="prompts.diff"),
        Binding("escape", "back", "Back", id="prompts.back"),
    ]

    @dataclass
    class Loaded(Message):
        rows: list[dict[str, Any]]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []
        self.show_diff = True  # a version after the first shows its diff; d: its whole text

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="prompt-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="prompt-detail"):
            yield Static("", id="prompt-text")
        yield Static("loading prompts…", id="prompt-status")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one(DataTable)
        table.add_columns("prompt", "version", "hash", "created", "changes", "experiments")
        table.focus()
        self.reload()

    def reload(self) -> None:
        def query(store: Store) -> PromptsScreen.Loaded:
            from evaltui.prompts.versions import prompt_overview

            return self.Loaded(prompt_overview(store))

        self.read(query, group="prompts")

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        table = self.query_one(DataTable)
        keep = table.cursor_row
        self.rows = event.rows
        table.clear()
        for r in event.rows:
            changes = f"+{r['added']} -{r['removed']}" if r["version"] > 1 else "first"
            table.add_row(
                r["name"],
                f"v{r['version']}",
                r["hash"],
                r["created"].strftime("%Y-%m-%d %H:%M") if r["created"] else "",
                changes,
                ", ".join(r["experiments"]) or "-",
            )
        if event.rows:
            table.move_cursor(row=min(keep, len(event.rows) - 1))
        used = sum(1 for r in event.rows if r["experiments"])
        names = len({r["name"] for r in event.rows})
        self.query_one("#prompt-status", Static).update(
            f"{names} prompts, {len(event.rows)} versions, {used} run by an experiment · d: text / diff"
            if event.rows
            else "no prompts yet: evaltui prompts add NAME FILE (the demo stores juno v1 and v2)"
        )
        self._show_detail()

    @on(DataTable.RowHighlighted)
    def _highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        table = self.query_one(DataTable)
        text = self.query_one("#prompt-text", Static)
        if not self.rows or table.cursor_row >= len(self.rows):
            text.update("")
            return
        r = self.rows[table.cursor_row]
        theme = self.app.current_theme
        used = ", ".join(r["experiments"]) or "no experiment yet"
        title = Text.assemble(
            (f"{r['name']} v{r['version']} ({r['hash']})", "bold"),
            (f"  {r['source'] or ''}", "dim"),
            f"\nran in: {used}",
        )
        if self.show_diff and r["diff"]:
            styles = {"+": theme.success or "green", "-": theme.error or "red", "@": theme.accent or "cyan"}
            body = [
                Text(line, style=styles.get(line[:1], "")) for line in r["diff"] if not line.startswith(("---", "+++"))
            ]
            heading = Text(f"changes from v{r['version'] - 1}: +{r['added']} -{r['removed']} lines", style="bold")
        else:
            body = [
                Text(line, style="bold" if line.startswith("[") and line.endswith("]") else "") for line in r["lines"]
            ]
            heading = Text("text", style="bold")
        text.update(Group(title, heading, *body))

    def restyle(self) -> None:
        self._show_detail()

    def action_toggle_diff(self) -> None:
        self.show_diff = not self.show_diff
        self._show_detail()

    def action_back(self) -> None:
        self.app.action_back()
