"""evaltui's own span JSONL: one span per line, scores inline. See README "Span format".

A well-formed file is loaded by DuckDB's ``read_json`` straight into the staging
tables (the fast path). If DuckDB rejects the file, or it holds records that need
a line-numbered report, it is read again line by line in Python (``read``), which
keeps every good line and reports each bad one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from collections.abc import Iterator

import duckdb
import orjson

from evaltui.jsondepth import MAX_DEPTH, NESTED_TOO_DEEP, too_deep
from evaltui.ingest.records import BadRecord, coerce_score
from evaltui.model import RecordError, ScoreRow, SpanRow, parse_ts

if TYPE_CHECKING:
    from evaltui.store.db import Store
    from evaltui.store.spans import StagedFacts

_COLUMNS = {
    "id": "VARCHAR",
    "root_id": "VARCHAR",
    "parent_id": "VARCHAR",
    "name": "VARCHAR",
    "span_type": "VARCHAR",
    "ts": "TIMESTAMPTZ",
    "input": "JSON",
    "output": "JSON",
    "expected": "JSON",
    "error": "VARCHAR",
    "metadata": "JSON",
    "tags": "VARCHAR[]",
    "metrics": "JSON",
    # Typed, so read_json unnests them as read; a value that does not fit (a score that is
    # an object, a bad timestamp, "scores" not a list) fails the read: the line reader
    # then reports it with its line.
    "scores": "STRUCT(name VARCHAR, score DOUBLE, label VARCHAR, rationale VARCHAR, source VARCHAR, "
    "scorer_version VARCHAR, created TIMESTAMPTZ, metadata JSON)[]",
}


def literal_path(path: Path) -> str:
    """``path`` for DuckDB's file readers, which expand globs: each ``*``, ``?`` and ``[``
    becomes a one-character class, so a file named ``st*.jsonl`` reads only itself."""
    return re.sub(r"([*?\[])", r"[\1]", str(path))


def sniff(head: str, path: Path) -> bool:
    first = next((ln for ln in head.splitlines() if ln.strip()), "")
    if not first.lstrip().startswith("{"):
        return False
    try:
        obj = orjson.loads(first)
    except orjson.JSONDecodeError:
        return '"root_id"' in first and '"span_type"' in first
    return isinstance(obj, dict) and "id" in obj and ("root_id" in obj or "span_type" in obj)


def sniff_bare(head: str) -> bool:
    """A first line that is an object with an "id" and no field evaltui's spans lack."""
    first = next((ln for ln in head.splitlines() if ln.strip()), "")
    try:
        obj = orjson.loads(first)
    except orjson.JSONDecodeError:
        return False
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("id"), (str, int))
        and set(obj) <= _COLUMNS.keys()
        and isinstance(obj.get("scores") or [], list)
    )  # Braintrust rows keep scores in an object


def stage_fast(store: Store, path: Path) -> StagedFacts | None:
    """Stage a well-formed file straight from DuckDB's ``read_json``, and say what its checks
    proved for the merge; None if it needs ``read``.

    The stage is a pair of views over one raw read, so the file is parsed once and
    its rows are copied once more, into the store.
    """
    from evaltui.store.jsonl_stage import stage_jsonl
    from evaltui.store.spans import drop_stage

    drop_stage(store)
    try:
        bad_spans, bad_scores, maybe_deep, facts = stage_jsonl(
            store, literal_path(path), _COLUMNS, _JSON_VALUES, MAX_DEPTH
        )
        deep = maybe_deep > 0 and _nested_too_deep(store)
    except duckdb.Error:
        drop_stage(store)
        return None
    if bad_spans or bad_scores or deep:
        drop_stage(store)
        return None
    return facts


_JSON_VALUES = ("input", "output", "expected", "metadata", "metrics")


def _nested_too_deep(store: Store) -> bool:
    """Whether a staged span nests too deep (DuckDB reads any depth; orjson does not)."""
    from evaltui.store.jsonl_stage import maybe_too_deep

    return any(too_deep(text) for text in maybe_too_deep(store, _JSON_VALUES, MAX_DEPTH))


def read(path: Path) -> Iterator[SpanRow | BadRecord]:
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark
            if not raw.strip():
                continue
            if too_deep(raw):
                yield BadRecord(str(path), lineno, NESTED_TOO_DEEP)
                continue
            try:
                row = parse_line(raw)
                row.line = lineno
                yield row
            except orjson.JSONDecodeError as exc:
                yield BadRecord(str(path), lineno, f"invalid JSON: {exc}")
            except RecordError as exc:
                yield BadRecord(str(path), lineno, str(exc))


def _opt_str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise RecordError(f'"{key}" must be a string')


def _opt_dict(obj: dict[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordError(f'"{key}" must be an object')
    return value


def parse_line(raw: bytes | str) -> SpanRow:
    obj = orjson.loads(raw)
    if not isinstance(obj, dict):
        raise RecordError("a span must be a JSON object")
    span_id = _opt_str(obj, "id")
    if not span_id:
        raise RecordError('missing "id"')
    parent_id = _opt_str(obj, "parent_id")
    root_id = _opt_str(obj, "root_id") or (None if parent_id else span_id)
    if root_id is None:
        raise RecordError('a child span needs "root_id"')
    tags = obj.get("tags") or []
    if not isinstance(tags, list):
        raise RecordError('"tags" must be a list')
    scores_in = obj.get("scores") or []
    if not isinstance(scores_in, list):
        raise RecordError('"scores" must be a list')
    scores = []
    for sc in scores_in:
        if not isinstance(sc, dict) or not isinstance(sc.get("name"), str):
            raise RecordError('each score needs a "name"')
        scores.append(
            ScoreRow(
                name=sc["name"],
                score=coerce_score(sc.get("score")),
                label=_opt_str(sc, "label"),
                rationale=_opt_str(sc, "rationale"),
                source=_opt_str(sc, "source") or "online",
                scorer_version=_opt_str(sc, "scorer_version") or "",
                created=parse_ts(sc.get("created")),
                metadata=sc.get("metadata"),
            )
        )
    return SpanRow(
        id=span_id,
        root_id=root_id,
        parent_id=parent_id,
        name=_opt_str(obj, "name") or "span",
        span_type=_opt_str(obj, "span_type") or "span",
        ts=parse_ts(obj.get("ts")),
        input=obj.get("input"),
        output=obj.get("output"),
        expected=obj.get("expected"),
        error=_opt_str(obj, "error"),
        metadata=_opt_dict(obj, "metadata"),
        tags=[str(t) for t in tags],
        metrics=_opt_dict(obj, "metrics"),
        scores=scores,
    )
