"""Langfuse trace export: traces with their observations and scores.

A JSON array of traces, JSONL, or the API's ``{"data": [...], "meta": {...}}`` page.
The trace becomes the root span (id = trace id) and each observation a child span.
A bad observation or score is skipped and reported on its own line; the trace is kept.
"""

from __future__ import annotations

import pathlib
import re
from typing import Any
from collections.abc import Iterator

from evaltui.ingest.jsonlines import (
    JsonError,
    JsonItem,
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

_OBSERVATION_TYPES = {
    "GENERATION": "llm",
    "EMBEDDING": "llm",
    "TOOL": "tool",
    "AGENT": "task",
    "CHAIN": "task",
}
_KEYS = re.compile(r'(?<!\\)"(observations|traceId|sessionId)"\s*:')


def sniff(head: str, path: pathlib.Path) -> bool:
    """Traces with ``observations`` (or observation/score rows with ``traceId``)."""
    if '"resourceSpans"' in head or '"root_span_id"' in head:
        return False
    rec = first_record(head)
    if isinstance(rec, dict):
        return (
            "observations" in rec
            or ("traceId" in rec and "spanId" not in rec)
            or ("sessionId" in rec and "timestamp" in rec)
        )
    if rec is not None:
        return False
    return bool(_KEYS.search(head)) and '"spanId"' not in head


def read(path: pathlib.Path) -> Iterator[SpanRow | BadRecord]:
    for item in iter_json_items(read_text(path)):
        if isinstance(item, JsonError):
            yield BadRecord(str(path), item.line, item.reason)
            continue
        try:
            for entry in _trace(item, str(path)):
                if isinstance(entry, SpanRow):
                    entry.line = item.line  # the trace's line: its observations are inside it
                yield entry
        except Exception as exc:
            yield BadRecord(str(path), item.line, skip_reason(exc))


def _trace(item: JsonItem, path: str) -> Iterator[SpanRow | BadRecord]:
    rec = require_object(item.value)
    trace_id = id_field(rec, "id")
    ts = parse_ts(rec.get("timestamp"))
    input_, output = rec.get("input"), rec.get("output")
    messages = chat_messages(input_)
    if messages is not None:
        span_type, input_, output = "conversation", messages, reply_text(output)
    else:
        span_type = "task"
    metadata = object_field(rec, "metadata")
    for key, meta_key in (
        ("sessionId", "session_id"),
        ("userId", "user_id"),
        ("release", "release"),
        ("version", "version"),
        ("environment", "environment"),
    ):
        if rec.get(key) not in (None, ""):
            metadata[meta_key] = rec[key]
    metrics: dict[str, Any] = {}
    if isinstance(rec.get("latency"), (int, float)):
        metrics["latency_s"] = rec["latency"]
    if isinstance(rec.get("totalCost"), (int, float)):
        metrics["cost"] = rec["totalCost"]
    name = rec.get("name") if isinstance(rec.get("name"), str) and rec.get("name") else None
    root = SpanRow(
        id=trace_id,
        root_id=trace_id,
        parent_id=None,
        name=name or ("conversation" if span_type == "conversation" else "trace"),
        span_type=span_type,
        ts=ts,
        input=input_,
        output=output,
        expected=rec.get("expected"),
        metadata=metadata,
        tags=tags_field(rec.get("tags")),
        metrics=metrics,
    )

    observations = rec.get("observations") or []
    scores = rec.get("scores") or []
    for key, value in (("observations", observations), ("scores", scores)):
        if not isinstance(value, list):
            raise RecordError(f'"{key}" must be an array, got {type_name(value)}')

    spans: dict[str, SpanRow] = {}
    problems: list[BadRecord] = []
    for n, obs in enumerate(observations):
        if isinstance(obs, str):  # the trace list API gives observation ids only
            continue
        try:
            span = _observation(obs, trace_id, ts)
        except RecordError as exc:
            problems.append(BadRecord(path, item.line_of("observations", n), f"observation: {exc}"))
            continue
        spans[span.id] = span

    for n, sc in enumerate(scores):
        if isinstance(sc, str):
            continue
        try:
            obs_id, score = _score(sc)
            target = root if obs_id is None else spans.get(obs_id)
            if target is None:
                raise RecordError(f'observation "{obs_id}" is not in this trace')
        except RecordError as exc:
            name = sc.get("name") if isinstance(sc, dict) else None
            prefix = f'score "{name}"' if isinstance(name, str) else "score"
            problems.append(BadRecord(path, item.line_of("scores", n), f"{prefix}: {exc}", partial=True))
            continue
        target.scores.append(score)

    yield root
    yield from spans.values()
    yield from problems


def _observation(value: Any, trace_id: str, trace_ts: Any) -> SpanRow:
    obs = require_object(value)
    obs_id = id_field(obs, "id")
    kind = obs.get("type")
    span_type = _OBSERVATION_TYPES.get(kind.upper(), "span") if isinstance(kind, str) else "span"
    start = parse_ts(obs.get("startTime"))
    end = parse_ts(obs.get("endTime"))
    metrics: dict[str, Any] = {}
    if start is not None and end is not None:
        metrics["latency_s"] = (end - start).total_seconds()
    usage = obs.get("usageDetails") or obs.get("usage") or {}
    if isinstance(usage, dict):
        for src_keys, key in (
            (("input", "promptTokens"), "prompt_tokens"),
            (("output", "completionTokens"), "completion_tokens"),
            (("total", "totalTokens"), "tokens"),
        ):
            for k in src_keys:
                if isinstance(usage.get(k), (int, float)) and not isinstance(usage.get(k), bool):
                    metrics[key] = usage[k]
                    break
    cost = obs.get("calculatedTotalCost")
    if not isinstance(cost, (int, float)) and isinstance(obs.get("costDetails"), dict):
        cost = obs["costDetails"].get("total")
    if isinstance(cost, (int, float)) and not isinstance(cost, bool):
        metrics["cost"] = cost

    metadata = object_field(obs, "metadata")
    for key in ("model", "modelParameters", "level", "statusMessage", "version"):
        if obs.get(key) not in (None, "", {}):
            metadata[key] = obs[key]
    if metadata.get("level") == "DEFAULT":
        del metadata["level"]
    error = None
    if obs.get("level") == "ERROR":
        error = error_text(obs.get("statusMessage")) or "ERROR"

    parent = id_field(obs, "parentObservationId", required=False)
    return SpanRow(
        id=obs_id,
        root_id=trace_id,
        parent_id=parent or trace_id,
        name=obs.get("name") if isinstance(obs.get("name"), str) and obs.get("name") else span_type,
        span_type=span_type,
        ts=start or trace_ts,
        input=obs.get("input"),
        output=obs.get("output"),
        error=error,
        metadata=metadata,
        metrics=metrics,
    )


def _score(value: Any) -> tuple[str | None, ScoreRow]:
    sc = require_object(value)
    name = sc.get("name")
    if not isinstance(name, str) or not name:
        raise RecordError('missing "name"')
    data_type = sc.get("dataType")
    raw = sc.get("value")
    string_value = sc.get("stringValue")
    label = None
    if data_type == "CATEGORICAL" or (data_type is None and isinstance(raw, str)):
        # Categories map to arbitrary numbers; the category itself is the label.
        label = string_value if isinstance(string_value, str) else raw if isinstance(raw, str) else None
        if label is None:
            raise RecordError("categorical score without a string value")
        score = None
    elif data_type == "BOOLEAN":
        if isinstance(raw, str):
            raw = raw.strip().lower() in ("true", "1")
        if isinstance(raw, (int, float)) and raw not in (0, 1):
            raise RecordError(f"boolean score {raw!r} is not 0 or 1")
        score = coerce_score(raw)
        label = string_value if isinstance(string_value, str) else None
    else:
        score = coerce_score(raw)
    comment = sc.get("comment")
    metadata = object_field(sc, "metadata")
    if sc.get("id") is not None:
        metadata["score_id"] = sc["id"]
    return (
        id_field(sc, "observationId", required=False),
        ScoreRow(
            name=name,
            score=score,
            label=label,
            rationale=comment if isinstance(comment, str) and comment else None,
            source="human" if sc.get("source") == "ANNOTATION" else "online",
            scorer_version=str(sc["configId"]) if sc.get("configId") else "",
            created=parse_ts(sc.get("timestamp") or sc.get("createdAt")),
            metadata=metadata or None,
        ),
    )
