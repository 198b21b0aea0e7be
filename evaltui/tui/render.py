"""Small pure text renderers shared by widgets: bars, sparklines, scores, times."""

from __future__ import annotations

from datetime import datetime

_SPARKS = "▁▂▃▄▅▆▇█"
_EIGHTHS = " ▏▎▍▌▋▊▉█"


def bar(share: float, width: int) -> str:
    """A horizontal bar ``width`` cells wide filled to ``share`` (0..1), in eighths."""
    share = min(max(share, 0.0), 1.0)
    eighths = round(share * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_EIGHTHS[part] if part and full < width else "")
    return text.ljust(width)


def sparkline(values: list[int] | list[float], width: int | None = None) -> str:
    """One character per value (the last ``width`` values), scaled to the largest."""
    if width is not None:
        values = values[-width:]
    if not values:
        return ""
    top = max(values)
    if top <= 0:
        return _SPARKS[0] * len(values)
    return "".join(_SPARKS[min(7, int(v / top * 7.999))] if v > 0 else " " for v in values)


def score_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def short_time(ts: datetime | None) -> str:
    return "" if ts is None else ts.strftime("%m-%d %H:%M")


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def fit_widths(total: int, mins: list[int], wants: list[int]) -> list[int]:
    """Share ``total`` cells between columns: each gets its minimum, then the rest one cell
    at a time to every column still short of what it wants, so all grow together.
    What is left over stays unassigned (the caller's flexible column takes it)."""
    widths = list(mins)
    spare = total - sum(widths)
    while spare > 0:
        short = [i for i, (w, want) in enumerate(zip(widths, wants)) if w < want]
        if not short:
            break
        for i in short:
            if spare <= 0:
                break
            widths[i] += 1
            spare -= 1
    return widths
