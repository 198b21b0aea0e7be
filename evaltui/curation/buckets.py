"""Buckets from per-scorer thresholds (pure functions, and the same rule as SQL).

Per scorer, with threshold ``t`` (``Settings.threshold(key)``, default 0.5) and margin
``m`` (``Settings.borderline_margin``, default 0.25)::

    failing     score <  t - m
    borderline  t - m <= score < t + m      (or grades that flip across trials)
    passing     score >= t + m

A case takes its worst bucket over its scorers; a case without scores is ``unscored``.
With the defaults an A/B/C judge (1 / 0.5 / 0) gives passing / borderline / failing.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Mapping, Sequence

from evaltui.model import GRADED, Bucket

BUCKETS = tuple(Bucket)


def classify(score: float, threshold: float, margin: float) -> Bucket:
    if score < threshold - margin:
        return Bucket.FAILING
    if score < threshold + margin:
        return Bucket.BORDERLINE
    return Bucket.PASSING


def flips(scores: Sequence[float], threshold: float) -> bool:
    """Whether repeated grades of one case fall on both sides of the threshold."""
    return len({s >= threshold for s in scores}) > 1


def bucket_of(scores: Mapping[str, float | Sequence[float] | None], settings: Any = None) -> Bucket:
    """The bucket of one case from its scores (one value, or one per trial, per scorer)."""
    if settings is None:
        from evaltui.config import settings as fresh

        settings = fresh()
    worst = len(GRADED)  # an index into GRADED, worst first; past its end: no score yet
    for key, value in scores.items():
        values = [v for v in ([value] if isinstance(value, (int, float)) or value is None else value) if v is not None]
        if not values:
            continue
        t = settings.threshold(key)
        grade = GRADED.index(classify(sum(values) / len(values), t, settings.borderline_margin))
        if flips(values, t):
            grade = min(grade, GRADED.index(Bucket.BORDERLINE))
        worst = min(worst, grade)
    return GRADED[worst] if worst < len(GRADED) else Bucket.UNSCORED
