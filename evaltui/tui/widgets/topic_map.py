"""A treemap of topics in the terminal: area = conversations, colour = failing share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.events import Click
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

if TYPE_CHECKING:
    from evaltui.store.overview import TopicOverview


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    w: int
    h: int


def squarify(sizes: list[float], width: int, height: int) -> list[Rect]:
    """Squarified treemap (Bruls et al.) of ``sizes`` (largest first) on a cell grid.

    Returns one Rect per size, in order; tiny items may get an empty rect. Terminal
    cells are about twice as tall as wide, so the aspect test counts a row as two columns.
    """
    n = len(sizes)
    rects: list[Rect] = [Rect(0, 0, 0, 0)] * n
    total = float(sum(sizes))
    if n == 0 or total <= 0 or width <= 0 or height <= 0:
        return rects
    scale = width * height / total
    areas = [s * scale for s in sizes]

    def worst(row: list[float], side: float) -> float:
        s = sum(row)
        if s <= 0 or side <= 0:
            return float("inf")
        return max(max(side * side * a / (s * s), (s * s) / (side * side * a)) for a in row if a > 0)

    x, y, w, h = 0.0, 0.0, float(width), float(height)
    i = 0
    while i < n:
        vertical = w >= 2 * h  # lay the strip along the short side (rows count double)
        side = h * 2 if vertical else w
        row = [areas[i]]
        j = i + 1
        while j < n and worst(row + [areas[j]], side) <= worst(row, side):
            row.append(areas[j])
            j += 1
        s = sum(row)
        if vertical:
            strip = s / h if h else 0
            oy = y
            for k, a in enumerate(row):
                hh = a / strip if strip else 0
                rects[i + k] = (x, oy, strip, hh)
                oy += hh
            x, w = x + strip, w - strip
        else:
            strip = s / w if w else 0
            ox = x
            for k, a in enumerate(row):
                ww = a / strip if strip else 0
                rects[i + k] = (ox, y, ww, strip)
                ox += ww
            y, h = y + strip, h - strip
        i = j
    out = []
    for fx, fy, fw, fh in rects:  # type: ignore[misc]
        x0, y0 = round(fx), round(fy)
        x1, y1 = round(fx + fw), round(fy + fh)
        out.append(Rect(x0, y0, max(0, min(width, x1) - x0), max(0, min(height, y1) - y0)))
    return out


class TopicMap(Widget, can_focus=False):
    """Every topic as a tile; the highlighted topic is outlined. A click selects a tile."""

    DEFAULT_CSS = """
    TopicMap { height: 1fr; min-height: 5; background: $surface; }
    """

    @dataclass
    class Selected(Message):
        topic: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.overview: TopicOverview | None = None
        self.highlight: str | None = None
        self._grid: list[list[int]] = []
        self._topics: list = []
        self._key: tuple | None = None
        self._strips: list[Strip] = []

    def show(self, overview: TopicOverview) -> None:
        self.overview = overview
        self.refresh()

    def set_highlight(self, topic: str | None) -> None:
        self.highlight = topic
        self.refresh()

    def render_line(self, y: int) -> Strip:
        """One row of the map. The rows are built once per size, overview, highlight and
        theme, as runs of one style each: a Text of one span per cell cost ~25 ms a frame."""
        key = (
            self.size,
            id(self.overview),
            self.overview.complete if self.overview else None,
            self.highlight,
            self.app.current_theme.name,
        )
        if key != self._key:
            self._strips = self._build()
            self._key = key
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width, self.rich_style)

    def _build(self) -> list[Strip]:
        width, height = self.size.width, self.size.height
        ov = self.overview
        base_style = self.rich_style
        if not ov or not ov.topics or width < 4 or height < 2:
            text = "no topics yet"[:width]
            return [Strip([Segment(text.ljust(width), base_style + Style(dim=True))], width)]
        topics = sorted(ov.topics, key=lambda t: -t.conversations)
        rects = squarify([t.conversations for t in topics], width, height)
        theme = self.app.current_theme
        good = Color.parse(theme.success or "green")
        bad = Color.parse(theme.error or "red")
        fg_light, fg_dark = Color.parse("#ffffff"), Color.parse("#000000")
        grid = [[-1] * width for _ in range(height)]
        chars = [[" "] * width for _ in range(height)]
        styles: list[list[Style]] = [[base_style] * width for _ in range(height)]
        for idx, (t, r) in enumerate(zip(topics, rects)):
            if r.w <= 0 or r.h <= 0:
                continue
            # Dim the tile towards the background so text stays readable; 0 failing = green.
            if ov.complete:
                base = good.blend(bad, min(1.0, t.failing_share * 1.6))
            else:  # sizes only: no colour until the failing shares are in
                base = Color.parse(theme.panel or theme.surface or "#444444")
            bg = base.blend(Color.parse(theme.background or "#000000"), 0.35)
            fg = fg_dark if bg.brightness > 0.55 else fg_light
            selected = t.topic == self.highlight
            style = base_style + Style(bgcolor=bg.rich_color, color=fg.rich_color, bold=selected, reverse=selected)
            for yy in range(r.y, r.y + r.h):
                grid[yy][r.x : r.x + r.w] = [idx] * r.w
                styles[yy][r.x : r.x + r.w] = [style] * r.w
                # a gap on the right edge separates neighbouring tiles
                if r.w > 2:
                    chars[yy][r.x + r.w - 1] = "▕"
            lines = [
                t.topic,
                f"{t.conversations:,} · {t.failing_share:.0%} failing" if ov.complete else f"{t.conversations:,}",
            ]
            for k, line in enumerate(lines[: r.h]):
                for c, ch in enumerate(line[: max(0, r.w - 1)]):
                    chars[r.y + k][r.x + c] = ch
        self._grid = grid
        self._topics = topics
        strips = []
        for row_chars, row_styles in zip(chars, styles):
            segments, start = [], 0
            for xx in range(1, width + 1):
                if xx == width or row_styles[xx] is not row_styles[start]:
                    segments.append(Segment("".join(row_chars[start:xx]), row_styles[start]))
                    start = xx
            strips.append(Strip(segments, width))
        return strips

    def on_click(self, event: Click) -> None:
        x, y = event.x, event.y
        if 0 <= y < len(self._grid) and 0 <= x < len(self._grid[y]):
            idx = self._grid[y][x]
            if idx >= 0:
                self.post_message(self.Selected(self._topics[idx].topic))


__all__ = ["Rect", "TopicMap", "squarify"]
