"""Turn a slice of production logs into dataset records.

The filter selects root conversations; each gets a bucket from its score roll-up
(``evaltui.curation.buckets``); a seeded stratified sample picks N failing, M
borderline and K passing ones. Bucketing and sampling run in DuckDB, so a slice of
a million conversations never comes to Python whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa

from evaltui.model import Bucket, scorer_key
from evaltui.store.db import Store
from evaltui.store.filters import compile_filter

if TYPE_CHECKING:
    from evaltui.config import Settings


@dataclass
class Suggestion:
    """The sampled records and, per bucket, how many matched and how many were taken."""

    records: pa.Table
    matched: dict[str, int] = field(default_factory=dict)
    taken: dict[str, int] = field(default_factory=dict)


def suggest(
    store: Store,
    where: str | None,
    *,
    failing: int | None = None,
    borderline: int | None = None,
    passing: int | None = None,
    unscored: int | None = None,
    seed: int = 0,
    scorers: list[str] | None = None,
    expected_from_output: bool = False,
    settings: Settings | None = None,
) -> Suggestion:
    """Records for the conversations matching ``where``, bucketed and sampled.

    With no counts given every matching conversation is taken; otherwise each bucket
    takes at most its count (a bucket without a count takes none). The sample is a
    function of (seed, span ids) only: the same call gives the same records.
    """
    if settings is None:
        from evaltui.config import settings as fresh

        settings = fresh()
    quotas = {
        Bucket.FAILING: failing,
        Bucket.BORDERLINE: borderline,
        Bucket.PASSING: passing,
        Bucket.UNSCORED: unscored,
    }
    take_all = all(v is None for v in quotas.values())
    compiled = compile_filter(where)
    from evaltui.store.log_sample import sample_by_bucket

    table = sample_by_bucket(
        store,
        compiled,
        thresholds={k: float(v) for k, v in settings.fail_threshold.items() if k != "default"},
        default_threshold=float(settings.threshold("default")),
        margin=float(settings.borderline_margin),
        quotas={b: None if take_all else (v or 0) for b, v in quotas.items()},
        scorer_keys=[scorer_key(s) for s in scorers] if scorers else [],
        seed=seed,
        expected_from_output=expected_from_output,
    )
    rows = table.select(["bucket", "matched_in_bucket", "taken"]).to_pylist()
    matched = {r["bucket"]: r["matched_in_bucket"] for r in rows}
    taken: dict[str, int] = {}
    for r in rows:
        taken[r["bucket"]] = taken.get(r["bucket"], 0) + int(r["taken"])
    mask = table.column("taken")
    records = table.filter(mask).drop_columns(["matched_in_bucket", "taken"])
    return Suggestion(records, matched, taken)
