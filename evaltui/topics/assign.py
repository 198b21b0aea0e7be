"""New conversations join the active map by nearest centroid, without re-clustering."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from collections.abc import Callable

from evaltui.store import topics as topic_store

if TYPE_CHECKING:
    from evaltui.store import Store


@dataclass
class AssignResult:
    map_id: int
    conversations: int  # newly placed
    assigned: int
    unassigned: int
    seconds: float


def assign_new_spans(
    store: Store, progress: Callable[[int, int], None] | None = None, limit: int | None = None
) -> AssignResult | None:
    """Place conversations that are not yet in the active map; None when there is no map.

    Costs one small query (and imports nothing heavy) when there is no map or nothing new.
    A conversation farther from its nearest topic than that topic's radius (or the map's
    fixed threshold) stays unassigned. ``limit`` places at most that many (the first by
    id), so a long-running caller holds the file only briefly; call again for the rest.
    """
    if not topic_store.has_active_map(store):
        return None
    t0 = time.perf_counter()
    current = topic_store.active_map(store)
    assert current is not None
    from evaltui.topics.text import text_sql

    new = topic_store.root_texts(store, text_sql(current["facet"]), map_id=current["id"], limit=limit)
    if new.num_rows == 0:
        return AssignResult(current["id"], 0, 0, 0, time.perf_counter() - t0)

    import numpy as np
    import pyarrow as pa

    from evaltui.topics.cluster import assign_nearest
    from evaltui.topics.represent import SentenceWeights, text_vectors

    ids = new.column("span_id").to_pylist()
    texts = new.column("text").to_pylist()
    has_text = [i for i, t in enumerate(texts) if t]
    topics = topic_store.map_topics(store, current["id"])
    cents = np.array([t["centroid"] for t in topics], dtype=np.float32).reshape(len(topics), -1)
    fixed = current["params"].get("threshold")
    thresholds = np.array([fixed if fixed is not None else t["radius"] for t in topics], dtype=np.float64)

    topic_of = np.full(len(ids), -1, dtype=np.int64)
    dist = np.full(len(ids), np.nan)
    if has_text and len(topics):
        # New texts are weighed with the sentence frequencies the map was built with, so a
        # greeting common then stays light now (maps built before sentence weights: None).
        weights = SentenceWeights.from_params(current["params"].get("sentence_weights"))
        vectors, _ = text_vectors(
            store, [texts[i] for i in has_text], current["model"], weights or SentenceWeights(1), progress
        )
        t, d = assign_nearest(vectors, cents, thresholds)
        topic_of[has_text], dist[has_text] = t, d
    with_text = set(has_text)
    table = pa.Table.from_pydict(
        {
            "span_id": ids,
            "topic_id": [int(t) if t >= 0 else None for t in topic_of],
            "distance": [None if np.isnan(d) else float(d) for d in dist],
            "method": ["centroid" if i in with_text else "no_text" for i in range(len(ids))],
        },
        schema=topic_store.ASSIGNMENTS_ARROW_SCHEMA,
    )
    topic_store.add_assignments(store, current["id"], table)
    assigned = int((topic_of >= 0).sum())
    return AssignResult(current["id"], len(ids), assigned, len(ids) - assigned, time.perf_counter() - t0)
