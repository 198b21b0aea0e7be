"""One scorer version's agreement with humans per topic (per experiment for eval
judges), worst first: the topic where the judge is least to be trusted tops the list.
A table of its own, so the keyboard reaches it (tab) and scrolls it (j/k, page keys)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.events import Resize
from textual.widgets import DataTable

from evaltui.names import abbreviate
from evaltui.tui.widgets.calibration_table import ci_text, kappa_text


MIN_LABELS = 5  # a kappa on fewer labels says little: such topics follow the others


def worst_first(by_topic: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(topic, agreement) by kappa ascending, topics with at least MIN_LABELS labels
    first; no kappa last; ties by more labels first, then name."""
    return sorted(
        by_topic.items(),
        key=lambda kv: (
            (kv[1].get("n") or 0) < MIN_LABELS,
            kv[1].get("kappa") is None,
            kv[1].get("kappa") or 0.0,
            -(kv[1].get("n") or 0),
            kv[0],
        ),
    )


class AgreementTable(DataTable):
    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False, id="calibration.topics_down"),
        Binding("up,k", "cursor_up", "Up", show=False, id="calibration.topics_up"),
        Binding("home,g", "first", "First", show=False, id="calibration.topics_first"),
        Binding("end,G", "last", "Last", show=False, id="calibration.topics_last"),
    ]

    def action_first(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_last(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.entries: list[tuple[str, dict[str, Any]]] = []
        self._shown: tuple[dict[str, dict[str, Any]], str] = ({}, "topic")

    def show(self, by_topic: dict[str, dict[str, Any]], what: str) -> None:
        """``what``: the first column's title (topic or experiment)."""
        self._shown = (by_topic, what)
        self.entries = worst_first(by_topic)
        width = self.scrollable_content_region.width or self.size.width or 40
        name_w = max(8, min(40, width - (5 + 5 + 6 + 13) - 2 * 5 - 2))
        names = abbreviate([t for t, _ in self.entries], name_w)
        theme = self.app.current_theme
        self.clear(columns=True)
        self.add_column(what, key="name", width=name_w)
        for col, w in (("n", 5), ("acc", 5), ("kappa", 6), ("95% CI", 13)):
            self.add_column(col, key=col, width=w)
        for short, (_, a) in zip(names, self.entries):
            k = a.get("kappa")
            style = (
                (theme.error or "red")
                if k is not None and k < 0.4
                else (theme.success or "green")
                if k is not None and k >= 0.6
                else ""
            )
            self.add_row(
                short,
                Text(str(a.get("n", 0)), justify="right"),
                Text("–" if a.get("accuracy") is None else f"{a['accuracy']:.0%}", justify="right"),
                Text(kappa_text(k), style=style, justify="right"),
                ci_text(a.get("kappa_ci")),
            )

    def on_resize(self, event: Resize) -> None:
        keep = self.cursor_row
        self.show(*self._shown)
        if self.entries:
            self.move_cursor(row=min(keep, len(self.entries) - 1), animate=False)
