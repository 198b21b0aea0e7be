"""Eval data as cases: dicts, Braintrust ``EvalCase`` objects, a callable, or a Dataset.

A case's identity (``case_id``) is its dataset record id, else a hash of its input,
so a resumed run and a comparison find the same case again.
"""

from __future__ import annotations

import hashlib
import inspect
from dataclasses import dataclass, field
from typing import Any

from evaltui.curation.records import dumps


@dataclass
class Case:
    input: Any
    expected: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    record_id: str | None = None
    bucket: str | None = None
    case_id: str = ""


def input_hash(value: Any) -> str:
    return "h:" + hashlib.md5(dumps(value).encode()).hexdigest()[:16]


def _field(item: Any, name: str, default: Any = None) -> Any:
    if isinstance(item, dict):
        return item.get(name, default)
    return getattr(item, name, default)


def to_case(item: Any) -> Case:
    if not isinstance(item, dict) and not hasattr(item, "input"):
        raise TypeError(f"an eval case needs an 'input' (got {type(item).__name__})")
    metadata = _field(item, "metadata") or {}
    bucket = _field(item, "bucket")
    rid = _field(item, "id")
    return Case(
        input=_field(item, "input"),
        expected=_field(item, "expected"),
        metadata=dict(metadata),
        tags=list(_field(item, "tags") or []),
        record_id=None if rid is None else str(rid),
        bucket=bucket if isinstance(bucket, str) else None,
    )


def assign_ids(cases: list[Case]) -> list[Case]:
    """Record id, else input hash; the n-th repeat of a hash gets ``#n``."""
    seen: dict[str, int] = {}
    for case in cases:
        base = case.record_id or input_hash(case.input)
        n = seen.get(base, 0) + 1
        seen[base] = n
        case.case_id = base if n == 1 else f"{base}#{n}"
    return cases


async def resolve_data(data: Any) -> Any:
    """Call a data callable (sync or async) and collect an async iterator."""
    if callable(data) and not hasattr(data, "fetch"):
        data = data()
    if inspect.isawaitable(data):
        data = await data
    if hasattr(data, "__aiter__"):
        data = [item async for item in data]
    return data
