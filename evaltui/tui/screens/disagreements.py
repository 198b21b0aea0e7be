"""The disagreements of one scorer version with its humans, worst first: the judge's
grade and rationale beside the human's grade and note (``d`` in the calibration pane)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static


class DisagreementsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    DisagreementsScreen { align: center middle; }
    DisagreementsScreen > Vertical { width: 95%; height: 90%; border: thick $primary; background: $surface; }
    DisagreementsScreen #disagreements-title { height: 1; padding: 0 1; }
    DisagreementsScreen #disagreements-table { height: 1fr; }
    DisagreementsScreen #disagreements-detail { height: auto; max-height: 8; padding: 0 1; border-top: solid $panel; }
    """

    BINDINGS = [
        Binding("escape,q,d", "dismiss", "Close", id="disagreements.close"),
        Binding("down,j", "down", "Down", show=False, id="disagreements.down"),
        Binding("up,k", "up", "Up", show=False, id="disagreements.up"),
    ]

    def __init__(self, title: str, rows: list[dict[str, Any]]) -> None:
        super().__init__()
        self.heading, self.rows = title, rows

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Text.assemble(
                    (self.heading, "bold"), f"  {len(self.rows)} disagreements, worst first · esc: close", style=""
                ),
                id="disagreements-title",
            )
            yield DataTable(id="disagreements-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="disagreements-detail")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for col, w in (("judge", 5), ("human", 5), ("topic", 22), ("target", 18), ("judge's rationale", 40)):
            table.add_column(col, key=col, width=w)
        for d in self.rows:
            table.add_row(
                d["judge"], d["human"], d["topic"], d["target_id"], " ".join((d["judge_rationale"] or "-").split())
            )
        table.focus()
        self._detail(0)

    def action_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail(event.cursor_row)

    def _detail(self, i: int) -> None:
        detail = self.query_one("#disagreements-detail", Static)
        if not self.rows:
            detail.update(Text("no disagreements: the scorer and the humans chose the same grades", style="dim"))
            return
        d = self.rows[max(0, min(i, len(self.rows) - 1))]
        detail.update(
            Text.assemble(
                (f"{d['target_id']} ({d['topic']})\n", "bold"),
                (f"judge {d['judge']}: ", "bold"),
                " ".join((d["judge_rationale"] or "-").split()),
                "\n",
                (f"human {d['human']}: ", "bold"),
                " ".join((d["human_note"] or "-").split()),
            )
        )
