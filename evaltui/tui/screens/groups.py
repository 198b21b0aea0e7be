"""The filtered conversations grouped by one metadata key (model, prompt_version...):
per value, how many and the mean of each score. Enter narrows the log browser to the
group; escape goes back."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from evaltui.names import abbreviate
from evaltui.tui.render import score_text
from evaltui.tui.screens.dialogs import DIALOG_CSS


def group_filter(where: str, key: str, value: Any) -> str:
    """``where`` narrowed to one group (no value: the key is null)."""
    if value is None:
        part = f"metadata.{key} is null"
    else:
        part = f"metadata.{key} = " + '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"({where}) and {part}" if where.strip() else part


class GroupsScreen(ModalScreen["str | None"]):
    """Dismisses with the filter of the chosen group, or None."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="GroupsScreen")
        + """
    GroupsScreen > Vertical { width: 100; }
    GroupsScreen DataTable { height: auto; max-height: 20; }
    """
    )
    BINDINGS = [Binding("escape", "dismiss", "Back", id="groups.back")]

    def __init__(
        self, where: str, key: str, scorers: list[str], rows: list[dict[str, Any]], thresholds: dict[str, float]
    ) -> None:
        super().__init__()
        self.where, self.key, self.scorers, self.rows, self.thresholds = where, key, scorers, rows, thresholds

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]by metadata.{self.key}[/b] · {self.where or 'all conversations'}")
            yield DataTable(cursor_type="row", zebra_stripes=True, id="groups-table")
            yield Static("enter: show this group in the log browser · esc: back", classes="hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        heads = abbreviate(self.scorers, 12)
        table.add_column(self.key, key="value", width=24)
        table.add_column("conversations", key="conversations", width=13)
        for k, head in zip(self.scorers, heads):
            table.add_column(head, key=k, width=max(5, len(head)))
        bad = f"bold {self.app.current_theme.error or 'red'}"
        for i, r in enumerate(self.rows):
            cells: list[Any] = [
                Text("(none)", style="dim") if r["value"] is None else str(r["value"])[:24],
                Text(f"{r['conversations']:,}", justify="right"),
            ]
            for k in self.scorers:
                v = r.get(k)
                cells.append(
                    Text(
                        score_text(v),
                        justify="right",
                        style=bad if v is not None and v < self.thresholds.get(k, 0.5) else "",
                    )
                )
            table.add_row(*cells, key=str(i))
        table.focus()

    @on(DataTable.RowSelected)
    def _chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = self.rows[int(str(event.row_key.value))]
        self.dismiss(group_filter(self.where, self.key, row["value"]))
