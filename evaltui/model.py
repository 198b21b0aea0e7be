"""The shared vocabulary below every layer: span and score rows, scorer keys, timestamps,
buckets, case statuses.

Importers produce ``SpanRow``s, the store writes and filters them, scorers and evals
name scores by ``scorer_key``; all of them read timestamps with ``parse_ts``; curation,
the diff, the CLI and the app name a case's ``Bucket`` and ``CaseStatus``. This module imports nothing from
evaltui, so any layer may use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, UTC
from enum import StrEnum
from typing import Any

SPAN_TYPES = ("conversation", "turn", "llm", "tool", "task", "span")


class Bucket(StrEnum):
    """Where a case falls against its scorers' thresholds (``evaltui.curation.buckets``).

    Members are strings (``Bucket.FAILING == "failing"``), stored and printed as such;
    their order, worst first, is the one order every list of buckets uses.
    """

    FAILING = "failing"
    BORDERLINE = "borderline"
    PASSING = "passing"
    UNSCORED = "unscored"  # no score to judge it by


GRADED = (Bucket.FAILING, Bucket.BORDERLINE, Bucket.PASSING)  # the buckets a score puts a case in


def bucket_order(name: str | None) -> tuple[int, str]:
    """Sort key for bucket names: ``Bucket``'s order, then any other name (``"(none)"``) by name."""
    order = list(Bucket)
    return (order.index(Bucket(name)), "") if name in order else (len(order), name or "")


class CaseStatus(StrEnum):
    """What a diff says of one case, candidate against base (``evaltui.evals.compare``);
    members are strings, in the order lists of them use."""

    REGRESSED = "regressed"  # some score went down, none up
    IMPROVED = "improved"  # some score went up, none down
    MIXED = "mixed"  # some up, some down
    SAME = "same"
    ADDED = "added"  # only in the candidate
    REMOVED = "removed"  # only in the base


CHANGED = (CaseStatus.REGRESSED, CaseStatus.IMPROVED, CaseStatus.MIXED)  # a score moved


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


class RecordError(ValueError):
    """A value that cannot be read as a span, score or timestamp (an importer reports it
    as a bad record with its line; the filter language as a bad filter)."""


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
