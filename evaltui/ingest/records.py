"""The normalised shape every importer produces, whatever the source format.

Importers yield ``SpanRow`` (a span with the scores logged on it) or ``BadRecord``
(a line or record that could not be read, with its line number). The writer batches
rows into Arrow tables for the store; importers never touch the database.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, UTC
from typing import Any

SPAN_TYPES = ("conversation", "turn", "llm", "tool", "task", "span")
SCORE_SOURCES = ("online", "eval", "human")


@dataclass(slots=True)
class ScoreRow:
    """A score logged on a span: 0..1, an optional label (the choice) and rationale."""

    name: str
    score: float | None
    label: str | None = None
    rationale: str | None = None
    source: str = "online"
    scorer_version: str = ""
    created: datetime | str | None = None
    metadata: dict[str, Any] | None = None


@dataclass(slots=True)
class SpanRow:
    """One span: a root conversation, a turn, an LLM call, a tool call...

    ``input``/``output``/``expected`` are any JSON value; ``ts`` is an aware or UTC
    datetime, an ISO-8601 string, or None (then the ingest time is used).
    """

    id: str
    root_id: str
    parent_id: str | None = None
    name: str = "span"
    span_type: str = "span"
    ts: datetime | str | None = None
    input: Any = None
    output: Any = None
    expected: Any = None
    error: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    scores: list[ScoreRow] = field(default_factory=list)
    line: int = 0  # the file line its record starts on, for reports (0: not known)


@dataclass(slots=True, frozen=True)
class BadRecord:
    """A line or record that was skipped; reported as ``FILE:LINE: reason``."""

    path: str
    line: int
    reason: str
    partial: bool = False  # the record was kept; only a part of it (a score) was dropped

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


class RecordError(ValueError):
    """Raised inside an importer for a record it cannot read; becomes a BadRecord."""


def skip_reason(exc: Exception, what: str = "record") -> str:
    """Why a record was skipped: a RecordError's own words, else the unexpected error
    (an importer never lets one odd record stop the import)."""
    return str(exc) if isinstance(exc, RecordError) else f"unreadable {what}: {type(exc).__name__}: {exc}"


def stable_id(*parts: object) -> str:
    """A short id that is the same every time the same content is ingested."""
    h = hashlib.blake2b(digest_size=12)
    for part in parts:
        h.update(repr(part).encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def scorer_key(name: str) -> str:
    """Normalise a score name for the filter language: "Brand Alignment" -> brand_alignment."""
    return _NON_ALNUM.sub("_", name.strip().lower()).strip("_") or "_"


def parse_ts(value: Any) -> datetime | None:
    """Parse the timestamps the supported formats use into a naive UTC datetime.

    Accepts ISO-8601 strings (with ``Z`` or an offset), epoch seconds / milliseconds /
    nanoseconds as numbers or digit strings, and datetimes. Raises RecordError otherwise.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, bool):
        raise RecordError(f"timestamp is a boolean: {value!r}")
    elif isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
        n = float(value)
        # Pick the unit by magnitude: s (1e9), ms (1e12), us (1e15), ns (1e18).
        for scale in (1, 1e3, 1e6, 1e9):
            if n / scale < 1e11:
                n = n / scale
                break
        try:
            dt = datetime.fromtimestamp(n, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise RecordError(f"timestamp out of range: {value!r}") from exc
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError as exc:
            raise RecordError(f"not an ISO-8601 timestamp: {value!r}") from exc
    else:
        raise RecordError(f"not a timestamp: {value!r}")
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


def coerce_score(value: Any) -> float | None:
    """A score must be a number in 0..1 (booleans count as 1/0), or None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        f = float(value)
        if f != f or not 0.0 <= f <= 1.0:
            raise RecordError(f"score {value!r} is not in 0..1")
        return f
    raise RecordError(f"score {value!r} is not a number")
