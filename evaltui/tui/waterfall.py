"""A trace's spans as a tree with a timing waterfall (what Langfuse and Phoenix show
beside a trace), as pure functions: the tree in display order, each span's start and
duration, and the bar that places it on the trace's time line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Metric keys that hold a span's duration, and their unit in seconds.
DURATION_KEYS = {"latency_s": 1.0, "duration_s": 1.0, "latency": 1.0, "duration_ms": 0.001, "latency_ms": 0.001}


@dataclass(frozen=True)
class Row:
    depth: int
    span: Any  # a store.trace.TraceSpan
    start: float | None  # seconds after the trace's first span started
    duration: float | None  # its own duration metric
    extent: float | None = None  # from its start to the last end among it and its descendants


def duration_of(metrics: dict[str, Any]) -> float | None:
    for key, unit in DURATION_KEYS.items():
        value = metrics.get(key)
        if isinstance(value, (int, float)) and value >= 0:
            return float(value) * unit
    return None


def tree(root: Any, children: list[Any]) -> list[Row]:
    """Root first, then each span under its parent in time order (depth-first); a span
    whose parent is not in the trace hangs under the root."""
    ids = {root.id, *(c.id for c in children)}
    under: dict[str, list[Any]] = {}
    for c in children:
        parent = c.parent_id if c.parent_id in ids and c.parent_id != c.id else root.id
        under.setdefault(parent, []).append(c)
    t0 = min((s.ts for s in [root, *children] if s.ts is not None), default=None)
    out: list[Row] = []

    def visit(span: Any, depth: int) -> float | None:
        """Adds ``span`` and its subtree; returns the subtree's last end."""
        start = (span.ts - t0).total_seconds() if t0 is not None and isinstance(span.ts, datetime) else None
        duration = duration_of(span.metrics or {})
        at = len(out)
        out.append(Row(depth, span, start, duration))
        ends = [start + duration] if start is not None and duration is not None else []
        for child in sorted(under.get(span.id, []), key=lambda s: (s.ts is None, s.ts or datetime.min, s.id)):
            end = visit(child, depth + 1)
            if end is not None:
                ends.append(end)
        end = max(ends, default=None)
        # A parent's own metric (often the sum of its calls' latencies) is not its wall
        # time: it lasts until its last descendant ends.
        out[at] = Row(depth, span, start, duration, None if start is None or end is None else end - start)
        return end

    visit(root, 0)
    return out


def span_of_time(rows: list[Row]) -> float:
    """The trace's length: the latest end of any span (at least a millisecond)."""
    ends = [(r.start or 0.0) + (r.extent or r.duration or 0.0) for r in rows]
    return max([0.001, *ends])


def bar(start: float | None, duration: float | None, total: float, width: int) -> str:
    """``width`` cells: blank up to the span's start, then its duration in blocks (a
    thin mark when it has no duration or is too short to fill a cell)."""
    if start is None or width <= 0:
        return " " * max(0, width)
    left = min(width - 1, int(start / total * width))
    cells = 0 if not duration else max(1, round(duration / total * width))
    cells = min(cells, width - left)
    body = "█" * cells if cells else "▏"
    return (" " * left + body).ljust(width)[:width]


def seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 1000:.0f}ms" if value < 1 else f"{value:.1f}s"
