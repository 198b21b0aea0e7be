"""Dataset records as Python dicts <-> the Arrow rows the store keeps."""

from __future__ import annotations

import hashlib
from typing import Any
from collections.abc import Iterable

import orjson
import pyarrow as pa

from evaltui.jsondepth import loads_stored
from evaltui.store.datasets import RECORDS_ARROW_SCHEMA


def dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SORT_KEYS, default=str).decode()


def loads(text: str | None) -> Any:
    return loads_stored(text)


def content_id(input: Any, expected: Any = None) -> str:
    """A stable id for a record that came without one."""
    return "rec-" + hashlib.md5(dumps([input, expected]).encode()).hexdigest()[:16]


def to_table(records: Iterable[dict[str, Any]]) -> pa.Table:
    """Records (id, input, expected, metadata, tags, bucket, origin_span_id) as Arrow rows.

    A record without an id gets one from its content; repeats of an id keep the last.
    """
    by_id: dict[str, dict[str, Any]] = {}
    for rec in records:
        rid = rec.get("id") or rec.get("record_id")
        rid = str(rid) if rid is not None else content_id(rec.get("input"), rec.get("expected"))
        tags = rec.get("tags")
        by_id[rid] = {
            "record_id": rid,
            "input": dumps(rec.get("input")),
            "expected": None if rec.get("expected") is None else dumps(rec.get("expected")),
            "metadata": dumps(rec.get("metadata") or {}),
            "tags": [str(t) for t in tags] if isinstance(tags, (list, tuple)) else [],
            "bucket": rec.get("bucket"),
            "origin_span_id": rec.get("origin_span_id"),
        }
    return pa.Table.from_pylist(list(by_id.values()), schema=RECORDS_ARROW_SCHEMA)


def from_table(table: pa.Table) -> list[dict[str, Any]]:
    """Arrow rows as records: {id, input, expected, metadata, tags, bucket, origin_span_id}."""
    return [
        {
            "id": r["record_id"],
            "input": loads(r["input"]),
            "expected": loads(r["expected"]),
            "metadata": loads(r["metadata"]) or {},
            "tags": list(r["tags"] or []),
            "bucket": r["bucket"],
            "origin_span_id": r["origin_span_id"],
        }
        for r in table.to_pylist()
    ]
