"""Turning importer output into Arrow batches for the store's staging tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa

from evaltui.model import SpanRow, parse_ts
from evaltui.store.spans import SCORES_ARROW_SCHEMA, SPANS_ARROW_SCHEMA

_SPAN_FIELDS = [f.name for f in SPANS_ARROW_SCHEMA]
_SCORE_FIELDS = [f.name for f in SCORES_ARROW_SCHEMA]


def to_json(value: Any) -> str | None:
    """JSON text for a JSON column; None stays SQL NULL."""
    if value is None:
        return None
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str).decode()


class BatchBuilder:
    """Collects SpanRows column by column; ``take()`` returns (spans, scores) Arrow tables."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.spans: dict[str, list[Any]] = {k: [] for k in _SPAN_FIELDS}
        self.scores: dict[str, list[Any]] = {k: [] for k in _SCORE_FIELDS}
        self.count = 0

    def add(self, row: SpanRow) -> None:
        ts = parse_ts(row.ts) if not isinstance(row.ts, datetime) or row.ts.tzinfo else row.ts
        s = self.spans
        s["id"].append(row.id)
        s["root_id"].append(row.root_id)
        s["parent_id"].append(row.parent_id)
        s["name"].append(row.name)
        s["span_type"].append(row.span_type)
        s["ts"].append(ts)
        s["input"].append(to_json(row.input))
        s["output"].append(to_json(row.output))
        s["expected"].append(to_json(row.expected))
        s["error"].append(row.error)
        s["metadata"].append(to_json(row.metadata or {}))
        s["tags"].append([str(t) for t in row.tags or []])
        s["metrics"].append(to_json(row.metrics or {}))
        c = self.scores
        for sc in row.scores:
            c["target_id"].append(row.id)
            c["root_id"].append(row.root_id)
            c["scorer"].append(sc.name)
            c["scorer_version"].append(sc.scorer_version or "")
            c["score"].append(sc.score)
            c["label"].append(sc.label)
            c["rationale"].append(sc.rationale)
            c["source"].append(sc.source or "online")
            c["created"].append(parse_ts(sc.created) if sc.created is not None else ts)
            c["metadata"].append(to_json(sc.metadata))
        self.count += 1

    def take(self) -> tuple[pa.Table, pa.Table]:
        spans = pa.Table.from_pydict(self.spans, schema=SPANS_ARROW_SCHEMA)
        scores = pa.Table.from_pydict(self.scores, schema=SCORES_ARROW_SCHEMA)
        self._reset()
        return spans, scores
