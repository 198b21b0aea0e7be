"""The topic overview's shape, apart from the queries that fill it (``store.browse``):
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
