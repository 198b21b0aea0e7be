"""Experiments, newest first: status (with live progress), dataset and version, task,
results, errors and the mean of each score."""

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
from evaltui.tui.render import fit_widths, score_text


def _dataset(r: dict[str, Any]) -> str:
    return f"{r['dataset']} v{r['dataset_version']}" if r["dataset"] else "–"


def _task(r: dict[str, Any]) -> str:
    return (r.get("task") or "").split(".")[0]


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
        self._live: dict[str, Any] = {}
        self.score_names: list[str] = []

    def show(self, rows: list[dict[str, Any]], live: dict[str, Any]) -> None:
        """``live``: experiment name -> launch.Progress of runs in this app."""
        keep = self.current["name"] if self.current else None
        self.entries, self._live = rows, live
        names = sorted({n for r in rows for n in r["scores"]})
        self.score_names = names
        theme = self.app.current_theme
        layout = self._layout(rows, names)
        short_names = abbreviate([r["name"] for r in rows], layout["experiment"])
        # The version always shows: the name gives way to it.
        versions = [f" v{r['dataset_version']}" if r["dataset"] else "" for r in rows]
        datasets = [
            n + v
            for n, v in zip(
                abbreviate([r["dataset"] or "–" for r in rows], [max(3, layout["dataset"] - len(v)) for v in versions]),
                versions,
            )
        ]
        heads = abbreviate(names, layout["scores"])
        self.clear(columns=True)
        for col, title in (
            ("experiment", "experiment"),
            ("status", "status"),
            ("dataset", "dataset"),
            ("task", "task"),
            ("results", "n"),
            ("errors", "err"),
        ):
            if layout.get(col):
                self.add_column(title, key=col, width=layout[col])
        for n, head, w in zip(names, heads, layout["scores"]):
            self.add_column(head, key=f"score.{n}", width=w)
        for r, short, dataset in zip(rows, short_names, datasets):
            status = r["status"]
            progress = live.get(r["name"])
            if progress is not None and progress.status in ("starting", "running"):
                status_text = Text(
                    f"running {progress.done}/{progress.total or '?'}", style=f"bold {theme.accent or ''}"
                )
            elif status == "finished":
                status_text = Text("finished", style=theme.success or "green")
            elif status == "cancelled":
                status_text = Text("cancelled", style=theme.warning or "yellow")
            else:
                status_text = Text("interrupted", style=theme.warning or "yellow")
            errors = Text(str(r["errors"]), style=(theme.error or "red") if r["errors"] else "", justify="right")
            cells: list[object] = [short, status_text, dataset]
            if layout["task"]:
                cells.append(_task(r)[: layout["task"]])
            cells += [Text(str(r["results"]), justify="right"), errors]
            cells += [Text(score_text(r["scores"].get(n)), justify="right") for n in names]
            self.add_row(*cells, key=r["name"])
        for i, r in enumerate(rows):
            if r["name"] == keep:
                self.move_cursor(row=i, animate=False)

    def _layout(self, rows: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
        """Column widths from the screen's width: names as long as they are when there is
        room; below 100 cells the task column gives way to the scores."""
        width = self.size.width or 80
        with_task = width >= 100
        room = width - 2 * (5 + with_task + len(names)) - 1 - 5 - 4  # padding, scrollbar, n, err
        want = {
            "experiment": max([10, *(len(r["name"]) for r in rows)]),
            "status": 13,  # "running 19/53"
            "dataset": max([7, *(len(_dataset(r)) for r in rows)]),
            "task": max([4, *(len(_task(r)) for r in rows)]) if with_task else 0,
        }
        # The name first (it is what the row is), up to two fifths of the room; the
        # other columns share the rest; what they leave goes back to the name.
        exp_w = min(40, want["experiment"], max(16, room * 2 // 5))
        widths = fit_widths(
            room - exp_w,
            [11, min(8, want["dataset"]), min(6, want["task"]), *[5] * len(names)],
            [
                want["status"],
                min(24, want["dataset"]),
                min(16, want["task"]),
                *[max(5, min(24, len(n))) for n in names],
            ],
        )
        exp_w = min(40, want["experiment"], room - sum(widths))
        status_w, dataset_w, task_w, *score_ws = widths
        return {
            "experiment": exp_w,
            "status": status_w,
            "dataset": dataset_w,
            "task": task_w,
            "results": 5,
            "errors": 4,
            "scores": score_ws,
        }

    def focus_line(self) -> Text:
        """The focused experiment whole: name, dataset, task, base and each score's full name."""
        r = self.current
        if r is None:
            return Text("")
        text = Text.assemble((r["name"], "bold"))
        for n in self.score_names:
            text.append(f" · {n} {score_text(r['scores'].get(n))}")
        text.append(f" · base {r.get('base_experiment') or '–'} · {_dataset(r)} · task {_task(r) or '–'}", style="dim")
        return text

    def on_resize(self, event: Resize) -> None:
        if self.entries:
            self.show(self.entries, self._live)

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
