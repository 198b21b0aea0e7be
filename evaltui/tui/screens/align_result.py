"""What ``a`` in the calibration pane found: each candidate rubric version's agreement on
the held-out test part (kappa with its 95% CI, n) beside the current version's, per topic
and group for those with enough test labels, and the rubric file the best was saved as."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

MIN_PART_LABELS = 10  # a topic's test part with fewer labels says little: left out, as the CLI does


def kappa_ci(part: dict[str, Any]) -> str:
    """``0.85 [0.78, 0.92]``, or ``-`` when there is no kappa."""
    if part.get("kappa") is None:
        return "-"
    ci = part.get("kappa_ci")
    return f"{part['kappa']:.2f}" + (f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "")


def outcome(report: dict[str, Any]) -> str:
    """One line: the best version's test kappa against the current one's, and what was saved."""
    rows = report["candidates"]
    current, best = rows[0], next(r for r in rows if r["name"] == report["best"])
    line = (
        f"align {report['scorer']}: test kappa {kappa_ci(current['test']['overall'])} (current)"
        f" -> {kappa_ci(best['test']['overall'])} ({best['name']})"
    )
    return line + (f"; saved {report['saved']}" if report.get("saved") else "; the current version stays best")


def report_table(report: dict[str, Any]) -> Group:
    rows = report["candidates"]
    versions = Table(box=None, pad_edge=False, header_style="bold", expand=False)
    for col in ("version", "shots", "n", "dev kappa", "test kappa [95% CI]", "agree"):
        versions.add_column(col, justify="left" if col == "version" else "right", no_wrap=True)
    for r in rows:
        t = r["test"]["overall"]
        versions.add_row(
            r["name"] + (" *" if r["name"] == report["best"] else ""),
            str(r["examples"]),
            str(t["n"]),
            "-" if r["dev"]["overall"]["kappa"] is None else f"{r['dev']['overall']['kappa']:.2f}",
            kappa_ci(t),
            "-" if t["accuracy"] is None else f"{t['accuracy']:.0%}",
        )
    for s in report.get("stored") or []:
        t = s["test"]["overall"]
        versions.add_row(
            f"{s['version'][:14]} (stored)",
            "",
            str(t["n"]),
            "",
            kappa_ci(t),
            "-" if t["accuracy"] is None else f"{t['accuracy']:.0%}",
            style="dim",
        )
    parts: list[Any] = [
        Text.assemble(
            (f"Align {report['scorer']}", "bold"),
            f"  {report['dev']} dev and {report['test']} test labels (seed {report['seed']}); "
            "weighted kappa on the test part · * best on the dev part · esc: close",
        ),
        versions,
        Text(
            f"saved as a new rubric version: {report['saved']} (version {report['best_version']})"
            if report.get("saved")
            else "no candidate beat the current version: nothing saved",
            style="bold" if report.get("saved") else "dim",
        ),
    ]
    current, best = rows[0], next(r for r in rows if r["name"] == report["best"])
    for key, first in (("by_topic", "topic"), ("by_group", "group")):
        names = [p for p, a in current["test"][key].items() if a["n"] >= MIN_PART_LABELS]
        if not names or best is current:
            continue
        per = Table(box=None, pad_edge=False, header_style="bold")
        for col in (first, "n", "current", best["name"]):
            per.add_column(col, justify="left" if col == first else "right", no_wrap=True)
        for p in sorted(names, key=lambda p: current["test"][key][p]["kappa"] or 0):
            per.add_row(
                p,
                str(current["test"][key][p]["n"]),
                kappa_ci(current["test"][key][p]),
                kappa_ci(best["test"][key].get(p) or {}),
            )
        parts += [Text(""), per]
    return Group(*parts)


class AlignResultScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    AlignResultScreen { align: center middle; }
    AlignResultScreen > VerticalScroll { width: 95%; height: 90%; border: thick $primary; background: $surface;
                                         padding: 0 1; }
    """

    BINDINGS = [
        Binding("escape,q", "dismiss", "Close", id="align.close"),
        Binding("down,j", "scroll('down')", "Down", show=False, id="align.down"),
        Binding("up,k", "scroll('up')", "Up", show=False, id="align.up"),
    ]

    def __init__(self, report: dict[str, Any]) -> None:
        super().__init__()
        self.report = report

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="align-result"):
            yield Static(report_table(self.report), id="align-table")

    def action_scroll(self, direction: str) -> None:
        view = self.query_one(VerticalScroll)
        view.scroll_down() if direction == "down" else view.scroll_up()
