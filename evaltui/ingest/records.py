"""What importers share besides the row types: bad-record reports, stable ids, scores.

Importers yield ``evaltui.model.SpanRow`` (a span with the scores logged on it) or
``BadRecord`` (a line or record that could not be read, with its line number). The
writer batches rows into Arrow tables for the store; importers never touch the database.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from evaltui.model import RecordError


@dataclass(slots=True, frozen=True)
class BadRecord:
    """A line or record that was skipped; reported as ``FILE:LINE: reason``."""

    path: str
    line: int
    reason: str
    partial: bool = False  # the record was kept; only a part of it (a score) was dropped

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


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
