"""Pairwise judging as data (pure functions): two verdicts of one case combined, win /
tie / loss rates with Wilson score intervals overall and per bucket, the
swap-inconsistency rate, and the pairwise judge's agreement with people's marks.

Verdicts are ``candidate`` (a win for the candidate), ``base`` (a loss) or ``tie``. The
judge sees each case twice, the outputs in one order and then swapped; when the two
verdicts differ the case is a tie and counts as swap-inconsistent (the grade followed
the order, not the outputs).

The intervals are Wilson score intervals (no continuity correction), the same numbers
as ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``; kappa is Cohen's,
linearly weighted over the ordered scale base < tie < candidate, as
``sklearn.metrics.cohen_kappa_score(..., weights="linear")`` gives it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from statistics import NormalDist
from typing import Any
from collections.abc import Iterable, Sequence

ORDER = ("base", "tie", "candidate")  # the ordinal scale: base better < tie < candidate better
CI_METHOD = "Wilson score interval, 95%"


def combine(first: str, second: str) -> tuple[str, bool]:
    """The case's verdict from the two orders' verdicts, and whether they agreed."""
    if first == second:
        return first, True
    return "tie", False


def wilson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float] | tuple[None, None]:
    """The Wilson score interval of a proportion k/n (None, None when n is 0)."""
    if n <= 0:
        return None, None
    z = NormalDist().inv_cdf(1 - (1 - level) / 2)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Rate:
    k: int
    n: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None

    @classmethod
    def of(cls, k: int, n: int) -> Rate:
        lo, hi = wilson_interval(k, n)
        return cls(k, n, k / n if n else None, lo, hi)


@dataclass
class PairwiseStats:
    """Win / tie / loss of the candidate over the graded cases of one bucket (or all)."""

    n: int  # cases the judge graded (both orders)
    win: Rate  # candidate better
    tie: Rate  # tie, including swap-inconsistent cases
    loss: Rate  # base better
    swap_inconsistent: Rate  # the two orders disagreed
    first_favoured: int  # inconsistent cases where both orders picked the output shown first
    second_favoured: int  # ... the output shown second
    errors: int = 0  # cases the judge could not grade


def stats(rows: Sequence[dict[str, Any]]) -> PairwiseStats:
    """``PairwiseStats`` of result rows (verdict, consistent, verdict_1, first_shown, error)."""
    graded = [r for r in rows if not r.get("error") and r.get("verdict")]
    n = len(graded)
    count = {v: sum(r["verdict"] == v for r in graded) for v in ORDER}
    flipped = [r for r in graded if not r.get("consistent")]
    first = second = 0
    for r in flipped:
        shown_first, shown_second = r["first_shown"], _other(r["first_shown"])
        # the first order showed `shown_first` first; the swapped order showed the other first
        if r.get("verdict_1") == shown_first and r.get("verdict_2") == shown_second:
            first += 1
        elif r.get("verdict_1") == shown_second and r.get("verdict_2") == shown_first:
            second += 1
    return PairwiseStats(
        n=n,
        win=Rate.of(count["candidate"], n),
        tie=Rate.of(count["tie"], n),
        loss=Rate.of(count["base"], n),
        swap_inconsistent=Rate.of(len(flipped), n),
        first_favoured=first,
        second_favoured=second,
        errors=sum(bool(r.get("error")) for r in rows),
    )


def _other(side: str) -> str:
    return "candidate" if side == "base" else "base"


def by_bucket(rows: Sequence[dict[str, Any]]) -> dict[str, PairwiseStats]:
    order = {"failing": 0, "borderline": 1, "passing": 2}
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r.get("bucket") or "(none)", []).append(r)
    return {b: stats(groups[b]) for b in sorted(groups, key=lambda b: (order.get(b, 9), b))}


def weighted_kappa(pairs: Sequence[tuple[str, str]], order: Sequence[str] = ORDER) -> float | None:
    """Cohen's kappa of (rater 1, rater 2) pairs over an ordered scale, linearly weighted
    (a disagreement costs its distance on the scale). None when it is undefined."""
    k = len(order)
    index = {v: i for i, v in enumerate(order)}
    n = len(pairs)
    if n == 0:
        return None
    matrix = [[0] * k for _ in range(k)]
    for a, b in pairs:
        matrix[index[a]][index[b]] += 1
    rows = [sum(matrix[i]) / n for i in range(k)]
    cols = [sum(matrix[i][j] for i in range(k)) / n for j in range(k)]
    observed = sum(abs(i - j) * matrix[i][j] / n for i in range(k) for j in range(k))
    expected = sum(abs(i - j) * rows[i] * cols[j] for i in range(k) for j in range(k))
    return None if expected == 0 else 1 - observed / expected


@dataclass
class Agreement:
    """The pairwise judge against people's marks: one pair per (case, reviewer)."""

    n: int
    agree: int
    percent: float | None
    kappa: float | None
    reviewers: list[str] = field(default_factory=list)
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)  # human -> judge -> count


def agreement(judge: dict[str, str], marks: Iterable[dict[str, Any]]) -> Agreement:
    """``judge``: case key -> the judge's verdict; ``marks``: case_key, reviewer, verdict."""
    pairs: list[tuple[str, str]] = []
    reviewers: set[str] = set()
    for m in marks:
        verdict = judge.get(m["case_key"])
        if verdict is None:
            continue
        pairs.append((m["verdict"], verdict))
        reviewers.add(m["reviewer"])
    agree = sum(h == j for h, j in pairs)
    confusion = {h: {j: sum(p == (h, j) for p in pairs) for j in ORDER} for h in ORDER}
    return Agreement(
        len(pairs), agree, agree / len(pairs) if pairs else None, weighted_kappa(pairs), sorted(reviewers), confusion
    )


@dataclass
class PairwiseReport:
    """What `evaltui pairwise` prints and the diff pane shows."""

    base: str
    candidate: str
    scorer: str
    scorer_version: str
    model: str | None
    seed: int
    overall: PairwiseStats
    buckets: dict[str, PairwiseStats]
    agreement: Agreement
    cases: list[dict[str, Any]]
    ci: str = CI_METHOD
    skipped: int = 0  # matched cases without an output on one side (the task failed)
    usage: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def verdicts(self) -> dict[str, str]:
        """Case key -> the judge's verdict, for the cases it graded."""
        return {c["case_key"]: c["verdict"] for c in self.cases if c.get("verdict") and not c.get("error")}


def report(
    *,
    base: str,
    candidate: str,
    scorer: str,
    scorer_version: str,
    model: str | None,
    seed: int,
    rows: list[dict[str, Any]],
    marks: list[dict[str, Any]],
    skipped: int = 0,
    usage: dict[str, int] | None = None,
) -> PairwiseReport:
    judge = {r["case_key"]: r["verdict"] for r in rows if r.get("verdict") and not r.get("error")}
    return PairwiseReport(
        base,
        candidate,
        scorer,
        scorer_version,
        model,
        seed,
        stats(rows),
        by_bucket(rows),
        agreement(judge, marks),
        rows,
        skipped=skipped,
        usage=usage or {},
    )
