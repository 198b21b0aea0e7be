"""The ids `serve`'s committer knows are stored (``KnownIds``): a batch none of whose
ids they hold is proved new without reading the tables (its queries are
``evaltui.store.known``'s)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evaltui.store.db import FileHost


class KnownIds:
    """What `serve`'s committer knows is stored, so that most commits need not read the
    whole ``spans`` table to prove their spans new (docs/live-capture.md, "The commit").

    A sorted array of 64-bit hashes (DuckDB's ``hash``) of every stored span's id and
    root id and of every trace in ``trace_roots``: a batch none of whose ids, root ids and
    roots' traces hash into it is new (no span stored, none rooted under a stored span, no
    trace known), and is merged without reading ``spans`` or ``trace_roots``; any hit (a
    retry, a replay, children before their root, or a 64-bit collision) takes the exact
    path, as before. The array is only a proof of absence, so it must hold every stored
    id: it is read from the file at the first commit (about 0.1-0.2 s a million spans,
    once) and again whenever the tables' row counts are not what this process left them
    at (another process ingested spans: nothing in evaltui deletes spans or trace roots),
    grown after each commit that succeeded, and dropped when a commit fails in any way.
    Exactly-once across kill -9 needs nothing more: a restarted process reads it anew.
    """

    def __init__(self) -> None:
        self._base: Any = None  # numpy uint64, sorted; None: not read yet (or dropped)
        self._recent: Any = None  # added since the base was read or last merged, sorted
        self.counts: tuple[int, int] | None = None  # (spans, trace_roots) rows it is in step with
        self.reads = 0  # times read whole from the file
        self.proved = 0  # commits merged without reading the tables

    def hashes(self, table: Any, host: FileHost) -> tuple[Any, bool]:
        """(hashes of a batch's ids, root ids and roots' traces; whether its ids are
        distinct and its roots one per trace), computed on the host's connection before
        the file is held."""
        import numpy as np

        from evaltui.store.known import batch_hashes

        ids, roots, traces = (np.asarray(a, np.uint64) for a in batch_hashes(host, table))
        distinct = len(np.unique(ids)) == len(ids) and len(np.unique(traces)) == len(traces)
        # Sorted here, before the file is held: ``any_known`` looks sorted hashes up in the
        # sorted array in cache order (random ones cost a cache miss a level: about 14 ms
        # a commit of 20,000 spans at 400k stored, in the hold), and ``add`` merges them.
        return np.sort(np.concatenate([ids, roots, traces])), distinct

    def read(self, store: Any) -> None:
        """Read every stored id, root id and known trace from the file (its holder)."""
        import numpy as np

        from evaltui.store.known import stored_id_hashes

        self._recent = None
        self._base = np.sort(np.asarray(stored_id_hashes(store), np.uint64))
        self.reads += 1

    @staticmethod
    def row_counts(store: Any) -> tuple[int, int]:
        from evaltui.store.known import span_row_counts

        return span_row_counts(store)

    def any_known(self, hashes: Any) -> bool:
        """Whether any of these hashes is of a stored id, root id or known trace (or the
        ids are not read: then nothing is proved)."""
        import numpy as np

        if self._base is None:
            return True
        for known in (self._base, self._recent):
            if known is None or not len(known):
                continue
            at = np.searchsorted(known, hashes)
            at[at == len(known)] = 0
            if bool((known[at] == hashes).any()):
                return True
        return False

    def add(self, hashes: Any, counts: tuple[int, int]) -> None:
        """A commit of these hashes succeeded; the tables now have ``counts`` rows."""
        import numpy as np

        recent: Any = (
            np.sort(hashes) if self._recent is None else np.sort(np.concatenate([self._recent, hashes]), kind="stable")
        )
        if len(recent) > max(65_536, len(self._base) // 8):  # merged: two sorted runs, so a linear merge
            self._base, recent = np.sort(np.concatenate([self._base, recent]), kind="stable"), None
        self._recent = recent
        self.counts = counts

    def drop(self) -> None:
        """A commit failed (perhaps after its data was written): read again next time."""
        self._base = self._recent = self.counts = None
