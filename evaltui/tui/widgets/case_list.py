"""The diff's case rows: one line per case, worst regression first. A scroll view that
renders only the visible lines, so 10,000 cases cost what a screenful costs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from evaltui.model import CaseStatus
from evaltui.names import abbreviate
from evaltui.tui.render import fit_widths

if TYPE_CHECKING:
    from evaltui.evals.diffview import CaseRow

STATUS_GLYPH: dict[str, str] = {
    CaseStatus.REGRESSED: "▼",
    CaseStatus.IMPROVED: "▲",
    CaseStatus.MIXED: "◆",
    CaseStatus.SAME: "=",
    CaseStatus.ADDED: "+",
    CaseStatus.REMOVED: "−",
}


class CaseList(ScrollView, can_focus=True):
    DEFAULT_CSS = "CaseList { background: $surface; }"

    BINDINGS = [
        Binding("down,j", "move(1)", "Down", show=False, id="diff.down"),
        Binding("up,k", "move(-1)", "Up", show=False, id="diff.up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="diff.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="diff.page_up"),
        Binding("home,g", "jump(0)", "First", show=False, id="diff.first"),
        Binding("end,G", "jump(-1)", "Last", show=False, id="diff.last"),
        Binding("left,h", "side('base')", "Base side", show=False, id="diff.base_side"),
        Binding("right,l", "side('candidate')", "Candidate side", show=False, id="diff.candidate_side"),
    ]

    @dataclass
    class SideWanted(Message):
        side: str  # base | candidate

    @dataclass
    class Highlighted(Message):
        row: CaseRow | None
        index: int

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[CaseRow] = []
        self.scores: list[str] = []
        self.sort_score: str | None = None  # the score the rows are sorted by (None: the worst of all)
        self.cursor = 0

    def show(self, rows: list[CaseRow], scores: list[str], keep: str | None = None) -> None:
        self.rows, self.scores = rows, scores
        index = next((i for i, r in enumerate(rows) if r.key == keep), 0) if keep else 0
        self.virtual_size = Size(self.size.width, len(rows) + 1)
        self.cursor = -1
        self.move_to(index)
        self.refresh()

    @property
    def current(self) -> CaseRow | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    # -- moving --------------------------------------------------------------

    def move_to(self, index: int) -> None:
        if not self.rows:
            self.cursor = 0
            self.post_message(self.Highlighted(None, -1))
            return
        index = max(0, min(index, len(self.rows) - 1))
        changed = index != self.cursor
        self.cursor = index
        visible = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_offset.y)
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + visible:
            self.scroll_to(y=index - visible + 1, animate=False)
        self.refresh()
        if changed:
            self.post_message(self.Highlighted(self.current, index))

    def action_side(self, side: str) -> None:
        self.post_message(self.SideWanted(side))

    def action_move(self, step: int) -> None:
        self.move_to(self.cursor + step)

    def action_page(self, step: int) -> None:
        self.move_to(self.cursor + step * max(1, self.scrollable_content_region.height - 2))

    def action_jump(self, where: int) -> None:
        self.move_to(0 if where == 0 else len(self.rows) - 1)

    def on_click(self, event) -> None:  # a click selects the row under the pointer
        if event.y >= 1:
            index = int(self.scroll_offset.y) + event.y - 1
            if index < len(self.rows):
                self.move_to(index)

    # -- rendering -------------------------------------------------------------

    def _score_columns(self, width: int) -> tuple[list[int], list[str]]:
        """Each score's column width and its header (Δ and a name distinct from the others):
        the scores share what the bucket and a readable case preview leave."""
        cached = getattr(self, "_heads", None)
        if cached and cached[0] == (width, tuple(self.scores)):
            return cached[1]
        room = width - 2 - 11 - 24  # glyph, bucket, the case key and some of its input
        widths = fit_widths(
            room - len(self.scores), [6] * len(self.scores), [max(6, min(16, len(s) + 1)) for s in self.scores]
        )
        heads = ["Δ" + a for a in abbreviate(self.scores, [w - 1 for w in widths])]
        self._heads = ((width, tuple(self.scores)), (widths, heads))
        return widths, heads

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width or self.size.width
        theme = self.app.current_theme
        bad, good = theme.error or "red", theme.success or "green"
        widths, heads = self._score_columns(width)
        if y == 0:
            text = Text("  " + "bucket".ljust(11), style="bold")
            for name, head, w in zip(self.scores, heads, widths):
                text.append(f"{head:>{w}}", style="bold underline" if name == self.sort_score else "bold")
                text.append(" ")
            text.append("case", style="bold")
            return self._strip(text, width, Style(bgcolor=theme.panel) if theme.panel else Style())
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self.rows):
            return Strip.blank(width)
        r = self.rows[index]
        glyph = STATUS_GLYPH.get(r.status, " ")
        colour = bad if r.status == CaseStatus.REGRESSED else good if r.status == CaseStatus.IMPROVED else ""
        text = Text.assemble((glyph + " ", colour), ((r.bucket or "–")[:10].ljust(11), ""))
        for s, w in zip(self.scores, widths):
            d = r.deltas.get(s)
            style = bad if d is not None and d < -1e-9 else good if d is not None and d > 1e-9 else "dim"
            text.append(f"{'' if d is None else f'{d:+.2f}':>{w}} ", style=style)
        flags = ("⇅ " if r.flips else "") + ("! " if r.errors else "")
        text.append(flags, style=f"bold {theme.warning or 'yellow'}")
        text.append(f"{r.key[:14]}  ", style="dim")
        text.append(r.preview)
        row_style = Style()
        if index == self.cursor:
            row_style = (
                Style(
                    bgcolor=theme.primary if self.has_focus else (theme.panel or theme.primary),
                    color=theme.foreground or None,
                    bold=True,
                )
                if theme.primary
                else Style(reverse=True)
            )
        return self._strip(text, width, row_style)

    def _strip(self, text: Text, width: int, style: Style) -> Strip:
        text.no_wrap, text.overflow = True, "ellipsis"
        segments = list(text.render(self.app.console, end=""))
        strip = Strip(segments).crop_extend(0, width, style)
        return strip.apply_style(style) if style else strip

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
