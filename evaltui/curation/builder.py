"""The dataset builder's logic: candidate conversations of a log slice, hand marks with
undo, bulk marks by score thresholds or by the seeded stratified suggestion, and saving
the marked records as a new dataset or a new version of one (with their origin spans).

The TUI's builder pane is one client; nothing here knows about it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from collections.abc import Iterable, Mapping

import pyarrow as pa

from evaltui.curation.from_logs import suggest
from evaltui.model import GRADED
from evaltui.store import datasets as ds_store
from evaltui.store.db import Store, StoreError
from evaltui.store.logs import newest_with_scores

if TYPE_CHECKING:
    from evaltui.config import Settings

MARKS = (*GRADED, "excluded")
SAVED = GRADED  # an excluded case is never saved


@dataclass
class Candidate:
    """One conversation of the slice, as the builder lists it."""

    id: str
    ts: datetime | None
    topic: str | None
    preview: str
    scores: dict[str, float | None]
    bucket: str  # by the score thresholds: failing | borderline | passing | unscored


@dataclass
class Candidates:
    where: str
    rows: list[Candidate]
    records: pa.Table  # the record each candidate would be saved as (RECORDS_ARROW_SCHEMA)
    matched: int  # conversations in the slice (rows holds at most ``limit``)
    scorers: list[str] = field(default_factory=list)


def load_candidates(
    store: Store,
    where: str | None,
    *,
    settings: Settings | None = None,
    limit: int = 5000,
    expected_from_output: bool = False,
) -> Candidates:
    """The conversations matching ``where`` (newest first, at most ``limit``), each with
    its scores, its threshold bucket and the record it would become."""
    from evaltui.text import preview

    everything = suggest(store, where, settings=settings, expected_from_output=expected_from_output)
    records = everything.records
    matched = records.num_rows
    ids = records.column("record_id").to_pylist()
    spans, scores = newest_with_scores(store, ids, limit=limit)
    by_id: dict[str, dict[str, float | None]] = {}
    keys: dict[str, None] = {}
    for span_id, key, score in scores:
        by_id.setdefault(span_id, {})[key] = score
        keys[key] = None
    index = {rid: i for i, rid in enumerate(ids)}
    buckets = records.column("bucket").to_pylist()
    inputs = records.column("input").to_pylist()
    rows = []
    for span_id, ts, topic in spans:
        i = index[span_id]
        rows.append(
            Candidate(span_id, ts, topic, preview(inputs[i], 200), by_id.get(span_id, {}), buckets[i] or "unscored")
        )
    shown = {c.id for c in rows}
    if len(shown) < matched:
        records = records.filter(pa.array([rid in shown for rid in ids]))
    return Candidates(where or "", rows, records, matched, sorted(keys))


class Marks:
    """Span id -> mark (failing | borderline | passing | excluded), with undo.

    Every change (one key press, a bulk mark, a suggestion) is one undo step.
    """

    def __init__(self) -> None:
        self.marks: dict[str, str] = {}
        self._undo: list[dict[str, str | None]] = []

    def get(self, span_id: str) -> str | None:
        return self.marks.get(span_id)

    def set(self, changes: Mapping[str, str | None]) -> int:
        """Apply ``{span id: mark or None (clear)}`` as one step; returns how many changed."""
        before: dict[str, str | None] = {}
        for span_id, mark in changes.items():
            if mark is not None and mark not in MARKS:
                raise ValueError(f"unknown mark {mark!r}: one of {', '.join(MARKS)}")
            if self.marks.get(span_id) != mark:
                before[span_id] = self.marks.get(span_id)
                if mark is None:
                    self.marks.pop(span_id, None)
                else:
                    self.marks[span_id] = mark
        if before:
            self._undo.append(before)
        return len(before)

    def mark(self, ids: Iterable[str], mark: str | None) -> int:
        return self.set({i: mark for i in ids})

    def undo(self) -> int:
        """Take back the last step; returns how many marks it restored (0: nothing to undo)."""
        if not self._undo:
            return 0
        step = self._undo.pop()
        for span_id, mark in step.items():
            if mark is None:
                self.marks.pop(span_id, None)
            else:
                self.marks[span_id] = mark
        return len(step)

    def counts(self) -> dict[str, int]:
        out = {str(m): 0 for m in MARKS}
        for m in self.marks.values():
            out[m] += 1
        return out


def threshold_marks(rows: Iterable[Candidate], *, only_unmarked: Marks | None = None) -> dict[str, str]:
    """Each scored candidate's bucket by the score thresholds (unscored ones are left out)."""
    return {
        c.id: c.bucket for c in rows if c.bucket in SAVED and (only_unmarked is None or only_unmarked.get(c.id) is None)
    }


def suggestion_marks(
    store: Store,
    where: str | None,
    *,
    failing: int,
    borderline: int,
    passing: int,
    seed: int = 0,
    settings: Settings | None = None,
) -> dict[str, str]:
    """The seeded stratified sample (N failing, M borderline, K passing) as marks."""
    picked = suggest(
        store, where, failing=failing, borderline=borderline, passing=passing, seed=seed, settings=settings
    ).records
    return dict(zip(picked.column("record_id").to_pylist(), picked.column("bucket").to_pylist()))


def marked_records(records: pa.Table, marks: Marks) -> pa.Table:
    """The records of the cases marked failing/borderline/passing, each with its mark as bucket."""
    ids = records.column("record_id").to_pylist()
    keep = [marks.get(i) in SAVED for i in ids]
    chosen = records.filter(pa.array(keep, pa.bool_()))
    buckets = pa.array([marks.get(i) for i in chosen.column("record_id").to_pylist()], pa.string())
    return chosen.set_column(chosen.schema.get_field_index("bucket"), "bucket", buckets)


@dataclass
class Saved:
    dataset: ds_store.DatasetInfo
    version: int | None  # None: the dataset already had exactly these records
    added: int
    removed: int


def save(
    store: Store, name: str, records: pa.Table, marks: Marks, *, where: str | None, new_version: bool = False
) -> Saved:
    """Save the marked records as a new dataset ``name`` or (``new_version``) as the next
    version of it; there, a case marked excluded that the dataset holds is removed.
    Each record keeps the span it came from (``origin_span_id``)."""
    name = name.strip()
    if not name:
        raise StoreError("a dataset needs a name")
    chosen = marked_records(records, marks)
    excluded = [i for i, m in marks.marks.items() if m == "excluded"]
    info = ds_store.get_dataset(store, name)
    if info is None and new_version:
        raise StoreError(f"no dataset named {name!r} to add a version to; save it as a new dataset")
    if info is not None and not new_version:
        raise StoreError(f"a dataset named {name!r} exists: save as a new version of it, or pick another name")
    if chosen.num_rows == 0 and not (new_version and excluded):
        raise StoreError("nothing to save: mark some cases failing, borderline or passing first")
    counts = marks.counts()
    note = f"builder: logs where {where or 'all'}; " + ", ".join(f"{counts[m]} {m}" for m in MARKS if counts[m])
    create = None
    if info is None:  # the dataset and its first version commit together
        create = ds_store.NewDataset(name, description=f"from logs: {where or 'all'}")
    dataset_id = info.id if info is not None else uuid.uuid4().hex
    version = ds_store.new_version(
        store,
        dataset_id,
        add=chosen if chosen.num_rows else None,
        remove=excluded if new_version else (),
        note=note,
        create=create,
    )
    rows = ds_store.versions(store, dataset_id)
    made = next((r for r in rows if r["version"] == version), None)
    return Saved(
        ds_store.require_dataset(store, name), version, made["added"] if made else 0, made["removed"] if made else 0
    )
