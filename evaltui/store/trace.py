"""One trace: a conversation with every span, each span's scores (labels, rationales)
and metrics, and the root's score per scorer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from evaltui.jsondepth import loads_stored
from evaltui.store.db import Store


@dataclass
class ScoreDetail:
    scorer: str
    scorer_key: str
    score: float | None
    label: str | None
    rationale: str | None
    source: str
    scorer_version: str
    created: datetime | None


@dataclass
class TraceSpan:
    id: str
    parent_id: str | None
    name: str | None
    span_type: str | None
    ts: datetime | None
    input: Any
    output: Any
    expected: Any
    error: str | None
    metadata: dict[str, Any]
    tags: list[str]
    metrics: dict[str, Any]
    scores: list[ScoreDetail] = field(default_factory=list)


@dataclass
class Trace:
    root: TraceSpan
    topic: str | None
    children: list[TraceSpan]  # in time order
    rollup: dict[str, float | None]  # the root's score per scorer (own or mean over turns)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The conversation as (role, content) messages: the root's history plus its reply."""
        history = self.root.input if isinstance(self.root.input, list) else []
        out = [m for m in history if isinstance(m, dict)]
        if self.root.output is not None:
            out.append({"role": "assistant", "content": self.root.output})
        return out


def _json(text: str | None) -> Any:
    return loads_stored(text)


def load_trace(store: Store, root_id: str) -> Trace | None:
    """A conversation with every span, each span's scores (labels, rationales) and metrics."""
    spans = store.con.execute(
        """
        SELECT id, parent_id, name, span_type, ts, input, output, expected, error, metadata,
               tags, metrics, topic
        FROM spans WHERE root_id = ?
        ORDER BY (parent_id IS NOT NULL), ts, id
        """,
        [root_id],
    ).fetchall()
    if not spans:
        return None
    scores = store.con.execute(
        """
        SELECT target_id, scorer, scorer_key, score, label, rationale, source, scorer_version, created
        FROM scores WHERE root_id = ? ORDER BY scorer_key, created
        """,
        [root_id],
    ).fetchall()
    rollup = dict(
        store.con.execute(
            "SELECT scorer_key, score FROM score_rollup WHERE span_id = ? ORDER BY scorer_key", [root_id]
        ).fetchall()
    )
    by_id: dict[str, TraceSpan] = {}
    topic = None
    for r in spans:
        by_id[r[0]] = TraceSpan(
            id=r[0],
            parent_id=r[1],
            name=r[2],
            span_type=r[3],
            ts=r[4],
            input=_json(r[5]),
            output=_json(r[6]),
            expected=_json(r[7]),
            error=r[8],
            metadata=_json(r[9]) or {},
            tags=list(r[10] or []),
            metrics=_json(r[11]) or {},
        )
        if r[1] is None:
            topic = r[12]
    for target, scorer, key, score, label, rationale, source, version, created in scores:
        if target in by_id:
            kept = by_id[target].scores
            if source == "human":  # a relabel replaces the label: only the latest shows (rows in time order)
                kept[:] = [s for s in kept if not (s.source == "human" and s.scorer_key == key)]
            kept.append(ScoreDetail(scorer, key, score, label, rationale, source, version, created))
    ordered = list(by_id.values())
    root = next((s for s in ordered if s.id == root_id), ordered[0])
    return Trace(root, topic, [s for s in ordered if s is not root], rollup)
