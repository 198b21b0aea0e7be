"""Braintrust log export: one row per span (JSON array, JSONL or ``{"events": [...]}``).

The trace tree is kept as exported: ``span_id`` is the span's id, ``root_span_id`` its
root and the first of ``span_parents`` its parent.
"""

from __future__ import annotations

import pathlib
import re
from typing import Any
from collections.abc import Iterator

from evaltui.ingest.jsonlines import (
    JsonError,
    chat_messages,
    error_text,
    first_record,
    id_field,
    iter_json_items,
    object_field,
    read_text,
    reply_text,
    require_object,
    tags_field,
    type_name,
)
from evaltui.ingest.records import BadRecord, skip_reason, coerce_score
from evaltui.model import RecordError, ScoreRow, SpanRow, parse_ts

_UNWRAP = ("events", "data")
_SPAN_TYPES = {"task": "task", "llm": "llm", "tool": "tool"}
_KEYS = re.compile(r'(?<!\\)"root_span_id"\s*:')


def sniff(head: str, path: pathlib.Path) -> bool:
    """Rows with ``span_id`` and ``root_span_id``."""
    if '"resourceSpans"' in head:
        return False
    rec = first_record(head, unwrap=_UNWRAP)
    if isinstance(rec, dict):
        return "root_span_id" in rec and ("span_id" in rec or "id" in rec)
    if rec is not None:
        return False
    return bool(_KEYS.search(head)) and '"span_id"' in head


def read(path: pathlib.Path) -> Iterator[SpanRow | BadRecord]:
    for item in iter_json_items(read_text(path), unwrap=_UNWRAP):
        if isinstance(item, JsonError):
            yield BadRecord(str(path), item.line, item.reason)
            continue
        problems: list[str] = []
        try:
            span = _span(item.value, problems)
        except Exception as exc:
            yield BadRecord(str(path), item.line, skip_reason(exc))
            continue
        span.line = item.line
        yield span
        for reason in problems:
            yield BadRecord(str(path), item.line, reason, partial=True)


def _span(value: Any, problems: list[str]) -> SpanRow:
    rec = require_object(value)
    span_id = id_field(rec, "span_id", required=False) or id_field(rec, "id")
    parents = rec.get("span_parents")
    if parents is None:
        parents = []
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise RecordError('"span_parents" must be a list of span ids')
    parent_id = parents[0] if parents else None
    root_id = id_field(rec, "root_span_id", required=parent_id is not None) or span_id
    if parent_id is None and rec.get("is_root") is False:
        raise RecordError('"is_root" is false but "span_parents" is empty')

    attrs = object_field(rec, "span_attributes")
    kind = attrs.get("type")
    span_type = _SPAN_TYPES.get(kind, "span") if isinstance(kind, str) else "span"
    input_ = rec.get("input")
    output = rec.get("output")
    if parent_id is None:
        messages = chat_messages(input_)
        if messages is not None:
            span_type = "conversation"
            input_ = messages
            output = reply_text(output)
    name = attrs.get("name") if isinstance(attrs.get("name"), str) else None

    metadata = object_field(rec, "metadata")
    metrics = _metrics(object_field(rec, "metrics"))
    ts = parse_ts(rec.get("created"))
    if ts is None and isinstance(metrics.get("start"), (int, float)):
        ts = parse_ts(metrics["start"])

    scores = []
    raw_scores = rec.get("scores")
    if raw_scores is not None and not isinstance(raw_scores, dict):
        raise RecordError(f'"scores" must be an object, got {type_name(raw_scores)}')
    for score_name, v in (raw_scores or {}).items():
        if v is None:  # the scorer did not run on this span
            continue
        try:
            score = coerce_score(v)
        except RecordError as exc:
            problems.append(f'score "{score_name}": {exc}')
            continue
        scores.append(ScoreRow(name=score_name, score=score, source="online", **_score_detail(rec, kind)))

    return SpanRow(
        id=span_id,
        root_id=root_id,
        parent_id=parent_id,
        name=name or ("conversation" if span_type == "conversation" else span_type),
        span_type=span_type,
        ts=ts,
        input=input_,
        output=output,
        expected=rec.get("expected"),
        error=error_text(rec.get("error")),
        metadata=metadata,
        tags=tags_field(rec.get("tags")),
        metrics=metrics,
        scores=scores,
    )


def _metrics(raw: dict[str, Any]) -> dict[str, Any]:
    metrics = {k: v for k, v in raw.items() if v is not None}
    start, end = metrics.get("start"), metrics.get("end")
    if isinstance(start, (int, float)) and isinstance(end, (int, float)) and end >= start:
        metrics["latency_s"] = round(end - start, 6)  # epoch floats carry noise
    if (
        "tokens" not in metrics
        and isinstance(metrics.get("prompt_tokens"), int)
        and isinstance(metrics.get("completion_tokens"), int)
    ):
        metrics["tokens"] = metrics["prompt_tokens"] + metrics["completion_tokens"]
    return metrics


def _score_detail(rec: dict[str, Any], kind: Any) -> dict[str, Any]:
    """Rationale and choice from a scorer span (autoevals puts them in its metadata)."""
    if kind != "score":
        return {}
    sources = [rec.get("metadata"), rec.get("output")]
    out = rec.get("output")
    if isinstance(out, dict) and isinstance(out.get("metadata"), dict):
        sources.insert(0, out["metadata"])
    detail: dict[str, Any] = {}
    for src in sources:
        if not isinstance(src, dict):
            continue
        if "rationale" not in detail and isinstance(src.get("rationale"), str):
            detail["rationale"] = src["rationale"]
        if (
            "label" not in detail
            and isinstance(src.get("choice"), (str, int, float))
            and not isinstance(src.get("choice"), bool)
        ):
            detail["label"] = str(src["choice"])
    return detail
