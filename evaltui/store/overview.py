"""The topic overview's shape, apart from the queries that fill it (``store.topic_overview``):
light to import, so the terminal app can take an overview fetched by another process
(``tui.startup``) without loading DuckDB before its first frame."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class TopicRow:
    topic: str
    conversations: int
    failing: int  # conversations with any score below its scorer's threshold
    means: dict[str, float | None]
    fail_share: dict[str, float | None]  # per scorer: share of scored conversations below threshold
    daily: list[int] = field(default_factory=list)  # conversations per day over the overview's days
    daily_failing: list[int] = field(default_factory=list)
    group: str | None = None  # the key of the map's group this topic belongs to

    @property
    def failing_share(self) -> float:
        return self.failing / self.conversations if self.conversations else 0.0

    @property
    def worst_mean(self) -> float | None:
        values = [v for v in self.means.values() if v is not None]
        return min(values) if values else None


@dataclass
class TopicOverview:
    scorers: list[str]
    thresholds: dict[str, float]
    days: list[date]
    topics: list[TopicRow]  # sorted by where it hurts: most failing conversations first
    complete: bool = True  # False: sizes and daily volume only (``topic_sizes``), scores to come
    group_labels: dict[str, str] = field(default_factory=dict)  # group key -> its readable name

    def grouped(self) -> list[tuple[TopicRow, list[TopicRow]]]:
        """Groups (rolled up like topics) each with its topics, worst first; topics without
        a group stand alone as a group of one. Empty when the map has no groups."""
        if not any(t.group for t in self.topics):
            return []
        members: dict[str, list[TopicRow]] = {}
        alone: list[tuple[TopicRow, list[TopicRow]]] = []
        for t in self.topics:
            if t.group:
                members.setdefault(t.group, []).append(t)
            else:
                alone.append((t, []))
        out = [(roll_up(key, rows), rows) for key, rows in members.items()] + alone
        ranked = rank_where_it_hurts([g for g, _ in out])
        order = {id(g): i for i, g in enumerate(ranked)}
        return sorted(out, key=lambda item: order[id(item[0])])


UNASSIGNED_TOPIC = "(unassigned)"


def roll_up(key: str, rows: list[TopicRow]) -> TopicRow:
    """One row for a set of topics: counts summed, means weighted by conversations."""
    n = sum(r.conversations for r in rows)
    keys = list(rows[0].means) if rows else []

    def weighted(values: list[tuple[float | None, int]]) -> float | None:
        known = [(v, w) for v, w in values if v is not None and w]
        total = sum(w for _, w in known)
        return sum(v * w for v, w in known) / total if total else None

    days = max((len(r.daily) for r in rows), default=0)
    return TopicRow(
        key,
        n,
        sum(r.failing for r in rows),
        {k: weighted([(r.means.get(k), r.conversations) for r in rows]) for k in keys},
        {k: weighted([(r.fail_share.get(k), r.conversations) for r in rows]) for k in keys},
        [sum(r.daily[i] for r in rows if i < len(r.daily)) for i in range(days)],
        [sum(r.daily_failing[i] for r in rows if i < len(r.daily_failing)) for i in range(days)],
        group=key,
    )


def rank_where_it_hurts(rows: list[TopicRow]) -> list[TopicRow]:
    """Worst first by failing conversations beyond what the overall failing share predicts
    for a topic of that size (so a big topic failing at the usual rate does not lead);
    the unassigned conversations last."""
    n = sum(r.conversations for r in rows)
    base = sum(r.failing for r in rows) / n if n else 0.0

    def excess(r: TopicRow) -> float:
        return r.failing - base * r.conversations

    return sorted(rows, key=lambda r: (r.topic == UNASSIGNED_TOPIC, -excess(r), -r.conversations, r.topic))
