"""The trace's span tree and timing waterfall, as pure functions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from evaltui.tui.waterfall import bar, duration_of, seconds, span_of_time, tree

T0 = datetime(2026, 11, 1, 10, 0, 0)


@dataclass
class S:
    id: str
    parent_id: str | None
    ts: datetime | None
    metrics: dict[str, Any] = field(default_factory=dict)


def test_the_tree_puts_each_span_under_its_parent_in_time_order() -> None:
    root = S("r", None, T0, {"latency_s": 4.0})
    kids = [
        S("t2", "r", T0 + timedelta(seconds=2), {"latency_s": 2.0}),
        S("t1", "r", T0, {"duration_ms": 1500}),
        S("llm1", "t1", T0 + timedelta(seconds=0.5), {"latency_s": 1.0}),
        S("orphan", "gone", T0 + timedelta(seconds=3)),
    ]
    rows = tree(root, kids)
    assert [(r.depth, r.span.id) for r in rows] == [(0, "r"), (1, "t1"), (2, "llm1"), (1, "t2"), (1, "orphan")]
    assert [r.start for r in rows] == [0.0, 0.0, 0.5, 2.0, 3.0]
    assert rows[1].duration == 1.5 and rows[4].duration is None
    # a parent lasts until its last descendant ends, whatever its own metric says
    assert rows[0].extent == 4.0 and rows[1].extent == 1.5 and rows[4].extent is None
    assert span_of_time(rows) == 4.0


def test_a_parent_whose_metric_is_shorter_than_its_children_spans_them() -> None:
    root = S("r", None, T0, {"latency_s": 1.0})  # e.g. the sum of its LLM calls' latencies
    rows = tree(root, [S("t", "r", T0 + timedelta(seconds=18), {"latency_s": 1.0})])
    assert rows[0].duration == 1.0 and rows[0].extent == 19.0 and span_of_time(rows) == 19.0


def test_the_bar_places_a_span_on_the_trace_time_line() -> None:
    assert bar(0.0, 4.0, 4.0, 8) == "████████"
    assert bar(2.0, 1.0, 4.0, 8) == "    ██  "
    assert bar(3.0, None, 4.0, 8) == "      ▏ "
    assert bar(None, 1.0, 4.0, 4) == "    "
    assert duration_of({"latency": "slow"}) is None
    assert (seconds(0.25), seconds(2.5), seconds(None)) == ("250ms", "2.5s", "–")
