"""Experiments, newest first: status (with live progress), dataset and version, task,
results, errors and the mean of each score."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from evaltui.tui.render import score_text


class ExperimentTable(DataTable):
    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False, id="experiments.down"),
        Binding("up,k", "cursor_up", "Up", show=False, id="experiments.up"),
        Binding("enter", "open", "Diff vs base", id="experiments.open"),
    ]

    @dataclass
    class Opened(Message):
        row: dict[str, Any]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.entries: list[dict[str, Any]] = []

    def show(self, rows: list[dict[str, Any]], live: dict[str, Any]) -> None:
        """``live``: experiment name -> launch.Progress of runs in this app."""
        keep = self.current["name"] if self.current else None
        self.entries = rows
        names = sorted({n for r in rows for n in r["scores"]})
        theme = self.app.current_theme
        self.clear(columns=True)
        for col, w in (("experiment", 18), ("status", 14), ("dataset", 12), ("task", 12), ("results", 7), ("errors", 6)):
            self.add_column(col, key=col, width=w)
        for n in names:
            self.add_column(n[:7], key=f"score.{n}", width=7)
        for r in rows:
            status = r["status"]
            progress = live.get(r["name"])
            if progress is not None and progress.status in ("starting", "running"):
                status_text = Text(f"running {progress.done}/{progress.total or '?'}", style=f"bold {theme.accent or ''}")
            elif status == "finished":
                status_text = Text("finished", style=theme.success or "green")
            elif status == "cancelled":
                status_text = Text("cancelled", style=theme.warning or "yellow")
            else:
                status_text = Text("interrupted", style=theme.warning or "yellow")
            dataset = f"{r['dataset']} v{r['dataset_version']}" if r["dataset"] else "–"
            errors = Text(str(r["errors"]), style=(theme.error or "red") if r["errors"] else "", justify="right")
            cells: list[object] = [r["name"][:18], status_text, dataset[:12], (r.get("task") or "").split(".")[0][:12],
                                   Text(str(r["results"]), justify="right"), errors]
            cells += [Text(score_text(r["scores"].get(n)), justify="right") for n in names]
            self.add_row(*cells, key=r["name"])
        for i, r in enumerate(rows):
            if r["name"] == keep:
                self.move_cursor(row=i, animate=False)

    @property
    def current(self) -> dict[str, Any] | None:
        if not self.entries or self.cursor_row < 0:
            return None
        return self.entries[min(self.cursor_row, len(self.entries) - 1)]

    def action_open(self) -> None:
        if self.current is not None:
            self.post_message(self.Opened(self.current))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
