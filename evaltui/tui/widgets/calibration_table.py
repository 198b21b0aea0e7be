"""Each scorer version's agreement with human labels: n, accuracy, kappa and its 95% CI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.events import Resize
from textual.message import Message
from textual.widgets import DataTable

from evaltui.names import abbreviate
from evaltui.tui.render import fit_widths


def kappa_text(value: float | None) -> str:
    return "–" if value is None else f"{value:+.2f}"


def ci_text(ci: Any) -> str:
    """A kappa's 95% interval as "[-0.05,+0.47]", or "" when there is none."""
    return "" if not ci else f"[{ci[0]:+.2f},{ci[1]:+.2f}]"


class CalibrationTable(DataTable):
    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False, id="calibration.down"),
        Binding("up,k", "cursor_up", "Up", show=False, id="calibration.up"),
    ]

    @dataclass
    class Highlighted(Message):
        row: dict[str, Any] | None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.entries: list[dict[str, Any]] = []

    def show(self, rows: list[dict[str, Any]]) -> None:
        keep = self.cursor_row
        self.entries = rows
        # Scorer and version names as long as they are when the screen has room.
        room = (self.size.width or 80) - 5 - 5 - 8 - 7 - 13 - 2 * 7 - 1
        scorer_w, version_w = fit_widths(
            room,
            [12, 10],
            [max([6, *(len(r["scorer"]) for r in rows)]), max([7, *(len(str(r["version"])) for r in rows)])],
        )
        self.clear(columns=True)
        for col, w in (
            ("on", 5),
            ("scorer", scorer_w),
            ("version", version_w),
            ("n", 5),
            ("accuracy", 8),
            ("kappa", 7),
            ("95% CI", 13),
        ):
            self.add_column(col, key=col, width=w)
        theme = self.app.current_theme
        scorers = abbreviate([r["scorer"] for r in rows], scorer_w)
        versions = abbreviate([str(r["version"]) for r in rows], version_w)
        for r, scorer, version in zip(rows, scorers, versions):
            k = r["kappa"]
            style = (
                (theme.error or "red")
                if k is not None and k < 0.4
                else (theme.success or "green")
                if k is not None and k >= 0.6
                else ""
            )
            self.add_row(
                r["kind"],
                scorer,
                version,
                Text(str(r["n"]), justify="right"),
                Text("–" if r["accuracy"] is None else f"{r['accuracy']:.0%}", justify="right"),
                Text(kappa_text(k), style=style, justify="right"),
                ci_text(r.get("kappa_ci")),
            )
        if rows:
            self.move_cursor(row=max(0, min(keep, len(rows) - 1)), animate=False)
        self.post_message(self.Highlighted(self.current))

    def on_resize(self, event: Resize) -> None:
        if self.entries:
            self.show(self.entries)

    @property
    def current(self) -> dict[str, Any] | None:
        if not self.entries or self.cursor_row < 0:
            return None
        return self.entries[min(self.cursor_row, len(self.entries) - 1)]

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.post_message(self.Highlighted(self.current))
