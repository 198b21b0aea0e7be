"""Queries behind the interactive browser, by what each serves (experiments and diffs are
in ``browse_experiments``). Plain data out, no UI: the TUI is one caller.

- ``connections``: ``reading(path)`` / ``writing(path)`` open the file for one query or one
  short write, so a long-lived browser never keeps it locked; ``data_stamp``.
- ``pages``: the log browser's rows (``LogRow``) with cursors, columns, counts, topic filters.
- ``topic_overview``: topic sizes first, then scores, failing share and trends.
- ``trace``: one conversation with every span and score.
- ``completion``: words a filter bar can complete.
- ``human_labels``: labels per target and which spans a label attaches to.

This module names them all in one place, as the single ``browse`` module did before it
was split; new code imports from the module that says what it needs.
"""

from __future__ import annotations

from evaltui.store.completion import completion_words, topic_names
from evaltui.store.connections import data_stamp, reading, writing
from evaltui.store.human_labels import human_labels, human_labels_of, trace_label_targets
from evaltui.store.logs import next_cursor
from evaltui.store.overview import TopicOverview, TopicRow
from evaltui.store.pages import (
    COLUMN_KEY,
    UNASSIGNED,
    LogRow,
    SpanPage,
    column_choices,
    fetch_page,
    group_filter,
    neighbour,
    scorers,
    topic_filter,
    total,
)
from evaltui.store.topic_overview import topic_overview, topic_sizes
from evaltui.store.trace import ScoreDetail, Trace, TraceSpan, load_trace

__all__ = [
    "COLUMN_KEY", "UNASSIGNED", "LogRow", "SpanPage", "Trace", "TraceSpan", "ScoreDetail", "TopicOverview",
    "TopicRow", "column_choices", "completion_words", "data_stamp", "fetch_page", "group_filter", "load_trace",
    "neighbour", "next_cursor", "reading", "scorers", "topic_filter", "topic_names", "topic_overview",
    "topic_sizes", "total", "writing", "human_labels", "human_labels_of", "trace_label_targets",
]
