"""Pages of the log browser: rows with cursors (forward, backward, the neighbour of a
row), the columns it can add, counts, and the filters that select a topic or a group."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from evaltui.jsondepth import loads_stored
from evaltui.store.db import Store
from evaltui.store.logs import Cursor, count, query_rows
from evaltui.store.scores import scorer_keys
from evaltui.text import preview

UNASSIGNED = "(unassigned)"
COLUMN_KEY = re.compile(r"[A-Za-z0-9_\-]+")  # metadata/metrics keys a column (and a sort) can name


@dataclass
class LogRow:
    """One row of the log browser."""

    id: str
    root_id: str
    ts: datetime | None
    topic: str | None
    preview: str
    scores: dict[str, float | None]
    cursor: Cursor
    metadata: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    def value(self, column: str) -> Any:
        """A chosen column's value: ``metadata.KEY`` or ``metrics.KEY`` (None when absent)."""
        head, _, key = column.partition(".")
        source = self.metadata if head == "metadata" else self.metrics if head == "metrics" else {}
        return source.get(key) if isinstance(source, dict) else None


@dataclass
class SpanPage:
    """A window of rows in display order and whether more rows lie before/after it."""

    rows: list[LogRow]
    more_before: bool
    more_after: bool


def fetch_page(
    store: Store,
    where: str | None = None,
    *,
    sort: str = "ts",
    descending: bool = True,
    after: Cursor | None = None,
    backward: bool = False,
    limit: int = 100,
    roots_only: bool = True,
) -> SpanPage:
    """``limit`` rows after ``after`` (or, with ``backward``, before it; the last page
    when ``after`` is None), each with its own cursor for paging and next/previous."""
    raws = query_rows(
        store,
        where,
        limit=limit + 1,
        after=after,
        roots_only=roots_only,
        sort=sort,
        descending=descending,
        backward=backward,
    )
    extra = len(raws) > limit
    if extra:  # the look-ahead row tells whether there is more; drop it
        raws = raws[1:] if backward else raws[:limit]
    rows = []
    for raw in raws:
        rows.append(
            LogRow(
                id=raw["id"],
                root_id=raw["root_id"],
                ts=raw["ts"],
                topic=raw["topic"],
                preview=preview(raw["input"], 200),
                scores=dict(raw["scores"] or {}),
                cursor=Cursor(raw["ts"], raw["id"], raw.get("sort_value")),
                metadata=_object(raw.get("metadata")),
                metrics=_object(raw.get("metrics")),
            )
        )
    if backward:
        return SpanPage(rows, more_before=extra, more_after=after is not None)
    return SpanPage(rows, more_before=after is not None, more_after=extra)


def _object(text: str | None) -> dict[str, Any]:
    value = loads_stored(text)
    return value if isinstance(value, dict) else {}


def column_choices(store: Store) -> list[str]:
    """Columns the log browser can add: every metrics and metadata key of the
    conversations (from a sample of them), metrics first."""
    out = []
    for column in ("metrics", "metadata"):
        rows = store.con.execute(
            f"""
            SELECT DISTINCT unnest(json_keys({column})) AS k
            FROM (SELECT {column} FROM spans WHERE parent_id IS NULL AND {column} IS NOT NULL
                  AND json_type({column}) = 'OBJECT' LIMIT 2000)
            ORDER BY k
            """
        ).fetchall()
        out += [f"{column}.{k}" for (k,) in rows if k and COLUMN_KEY.fullmatch(k)]
    return out


def neighbour(
    store: Store,
    where: str | None,
    cursor: Cursor,
    *,
    step: int,
    sort: str = "ts",
    descending: bool = True,
) -> LogRow | None:
    """The conversation after (step=1) or before (step=-1) ``cursor`` in the filter's order."""
    page = fetch_page(store, where, sort=sort, descending=descending, after=cursor, backward=step < 0, limit=1)
    return page.rows[0] if page.rows else None


def total(store: Store, where: str | None = None) -> int:
    """Conversations matching ``where``."""
    return count(store, where)


def scorers(store: Store) -> list[str]:
    """Machine scorer keys, in a stable order (the log browser's score columns)."""
    return [k for k, _ in scorer_keys(store)]


def topic_filter(topic: str) -> str:
    """The filter that selects one topic of the overview."""
    if topic == UNASSIGNED:
        return "topic is null"
    return 'topic = "' + topic.replace("\\", "\\\\").replace('"', '\\"') + '"'


def group_filter(group: str) -> str:
    """The filter that selects one group of topics."""
    return 'group = "' + group.replace("\\", "\\\\").replace('"', '\\"') + '"'
