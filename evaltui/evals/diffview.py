"""A comparison as a reviewer steps through it (pure functions over ``compare.Comparison``):
one row per case sorted by largest regression first, filters, and word-level
differences between two outputs."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from evaltui.model import bucket_order

FILTERS = ("all", "regressions", "improvements", "unchanged", "flips")
EPS = 1e-9


@dataclass
class CaseRow:
    key: str
    record_id: str | None
    bucket: str | None
    status: str  # a CaseStatus
    worst: float | None  # the most negative (or least positive) delta over the scores
    deltas: dict[str, float]
    base: dict[str, float | None]  # per score: the base's mean over trials
    candidate: dict[str, float | None]
    flips: bool  # a grade on both sides of the threshold across trials
    errors: dict[str, list[str]] = field(default_factory=dict)
    preview: str = ""


def _preview(value: Any) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, list):
        users = [m.get("content") for m in value if isinstance(m, dict) and m.get("role") == "user"]
        text = str(users[-1]) if users else str(value)
    elif isinstance(value, dict):
        text = str(value.get("content") or value.get("input") or value)
    else:
        text = "" if value is None else str(value)
    return " ".join(text.split())[:200]


def case_rows(comparison: Any) -> list[CaseRow]:
    """Every case, largest regression first: by the worst score delta ascending, then
    cases without a delta (added, removed) last; ties by key so the order is stable."""
    flipping = {f["key"] for f in comparison.flips}
    rows = []
    for c in comparison.cases:
        deltas = {n: s["delta"] for n, s in c["scores"].items() if s.get("delta") is not None}
        rows.append(
            CaseRow(
                key=c["key"],
                record_id=c.get("record_id"),
                bucket=c.get("bucket"),
                status=c["status"],
                worst=min(deltas.values()) if deltas else None,
                deltas=deltas,
                base={n: s.get("base") for n, s in c["scores"].items()},
                candidate={n: s.get("candidate") for n, s in c["scores"].items()},
                flips=c["key"] in flipping,
                errors=dict(c.get("errors") or {}),
                preview=_preview(c.get("input")),
            )
        )
    return sort_rows(rows)


def filter_rows(rows: list[CaseRow], kind: str = "all", bucket: str | None = None) -> list[CaseRow]:
    """``kind``: all | regressions (any score down) | improvements (any up) | unchanged | flips;
    ``bucket`` keeps one bucket."""
    if kind not in FILTERS:
        raise ValueError(f"unknown filter {kind!r}: one of {', '.join(FILTERS)}")
    out = []
    for r in rows:
        if bucket is not None and (r.bucket or "(none)") != bucket:
            continue
        down = any(d < -EPS for d in r.deltas.values())
        up = any(d > EPS for d in r.deltas.values())
        if kind == "regressions" and not down:
            continue
        if kind == "improvements" and not up:
            continue
        if kind == "unchanged" and (up or down or not r.deltas):
            continue
        if kind == "flips" and not r.flips:
            continue
        out.append(r)
    return out


def sort_rows(rows: list[CaseRow], score: str | None = None) -> list[CaseRow]:
    """Largest regression first: by one score's delta when ``score`` is given (cases
    without that score last), else by the worst delta over all scores."""
    if score is None:
        return sorted(rows, key=lambda r: (r.worst is None, r.worst if r.worst is not None else 0.0, r.key))
    return sorted(rows, key=lambda r: (score not in r.deltas, r.deltas.get(score, 0.0), r.key))


def buckets(rows: list[CaseRow]) -> list[str]:
    return sorted({r.bucket or "(none)" for r in rows}, key=bucket_order)


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def word_diff(a: str, b: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Both texts as (piece, changed) runs: what only the base says, what only the
    candidate says, word by word."""
    ta, tb = _TOKEN.findall(a or ""), _TOKEN.findall(b or "")
    left: list[tuple[str, bool]] = []
    right: list[tuple[str, bool]] = []
    matcher = difflib.SequenceMatcher(None, ta, tb, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            left.append(("".join(ta[i1:i2]), False))
            right.append(("".join(tb[j1:j2]), False))
            continue
        if i2 > i1:
            left.append(("".join(ta[i1:i2]), True))
        if j2 > j1:
            right.append(("".join(tb[j1:j2]), True))
    return left, right
