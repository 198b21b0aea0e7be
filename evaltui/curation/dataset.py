"""Datasets as users handle them: from logs, from files, and ``init_dataset`` (Braintrust's shape)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from collections.abc import Iterator

from evaltui.curation import files
from evaltui.curation.from_logs import Suggestion, suggest
from evaltui.curation.records import from_table, to_table
from evaltui.store import datasets as ds_store
from evaltui.store.db import Store, StoreError

if TYPE_CHECKING:
    from evaltui.config import Settings


def create_from_logs(
    store: Store,
    name: str,
    where: str | None,
    *,
    failing: int | None = None,
    borderline: int | None = None,
    passing: int | None = None,
    seed: int = 0,
    scorers: list[str] | None = None,
    expected_from_output: bool = False,
    project: str | None = None,
    add: bool = False,
    settings: Settings | None = None,
) -> tuple[ds_store.DatasetInfo | None, Suggestion, int | None]:
    """Make (or, with ``add``, extend) a dataset from the conversations matching ``where``.

    Returns (dataset, suggestion, version made or None when nothing changed); a new
    dataset that nothing matched is not made (its dataset is then None).
    """
    info = ds_store.get_dataset(store, name)
    if info is not None and not add:
        raise StoreError(f"a dataset named {name!r} exists: use `evaltui datasets add` to add records to it")
    suggestion = suggest(
        store,
        where,
        failing=failing,
        borderline=borderline,
        passing=passing,
        seed=seed,
        scorers=scorers,
        expected_from_output=expected_from_output,
        settings=settings,
    )
    note = f"logs where {where or 'all'}" + (
        f" (seed {seed})" if any(x is not None for x in (failing, borderline, passing)) else ""
    )
    if info is None:  # the dataset and its first version commit together (or not at all)
        version = ds_store.new_version(
            store,
            uuid.uuid4().hex,
            add=suggestion.records,
            note=note,
            create=ds_store.NewDataset(name, project, f"from logs: {where or 'all'}"),
        )
    else:
        version = ds_store.new_version(store, info.id, add=suggestion.records, note=note)
    return ds_store.get_dataset(store, name), suggestion, version


def import_file(
    store: Store, name: str, path: Path, fmt: str = "auto", *, project: str | None = None
) -> tuple[ds_store.DatasetInfo | None, files.ImportReport, int | None]:
    """Add the records of a file to a dataset (created if missing) as one new version."""
    report = files.read_records(Path(path), fmt)
    info = ds_store.get_dataset(store, name)
    note = f"import {Path(path).name}"
    if info is None:  # the dataset and its first version commit together (or not at all)
        version = ds_store.new_version(
            store, uuid.uuid4().hex, add=to_table(report.records), note=note, create=ds_store.NewDataset(name, project)
        )
    else:
        version = ds_store.new_version(store, info.id, add=to_table(report.records), note=note)
    return ds_store.get_dataset(store, name), report, version


def export_file(store: Store, name: str, out: Path | BinaryIO, fmt: str, *, version: int | None = None) -> int:
    """Write a dataset version to ``out``, a file name or an open binary stream."""
    info = ds_store.require_dataset(store, name)
    v = ds_store.check_version(info, version)
    return files.write_records(from_table(ds_store.read_records(store, info.id, v)), out, fmt)


def load_records(
    store: Store, name: str, version: int | None = None
) -> tuple[ds_store.DatasetInfo, int, list[dict[str, Any]]]:
    info = ds_store.require_dataset(store, name)
    v = ds_store.check_version(info, version)
    return info, v, from_table(ds_store.read_records(store, info.id, v))


class Dataset:
    """A dataset handle, as Braintrust's ``init_dataset`` returns.

    Iterating yields records ``{"id", "input", "expected", "metadata", "tags", "bucket",
    "origin_span_id"}`` of the pinned version (the latest when none was given).
    ``insert`` and ``delete`` are buffered; ``flush`` (or the next read) writes them as
    one new version. Pass it as ``Eval(data=...)``: the experiment pins the version.
    """

    def __init__(
        self, project: str | None, name: str, version: int | None = None, db: str | os.PathLike[str] | None = None
    ):
        self.project, self.name, self.db = project, name, db
        self._pinned = version
        self._inserts: list[dict[str, Any]] = []
        self._deletes: list[str] = []
        with Store(db) as store:
            info = ds_store.get_dataset(store, name)
            if info is None:
                if version is not None:
                    raise StoreError(f"no dataset named {name!r}, so no version {version} of it")
                info = ds_store.create_dataset(store, name, project=project)
            ds_store.check_version(info, version)
            self.id = info.id

    @property
    def version(self) -> int:
        self.flush()
        if self._pinned is not None:
            return self._pinned
        with Store(self.db) as store:
            return ds_store.require_dataset(store, self.name).version

    def insert(
        self,
        input: Any = None,
        expected: Any = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        id: str | None = None,
        bucket: str | None = None,
    ) -> str:
        """Queue a record (replacing one with the same id); returns its id."""
        if self._pinned is not None:
            raise StoreError(
                f"dataset {self.name!r} is pinned to version {self._pinned}: open it without a version to change it"
            )
        from evaltui.curation.records import content_id

        rid = str(id) if id is not None else content_id(input, expected)
        self._inserts.append(
            {
                "id": rid,
                "input": input,
                "expected": expected,
                "metadata": metadata or {},
                "tags": tags or [],
                "bucket": bucket,
            }
        )
        return rid

    def delete(self, id: str) -> None:
        if self._pinned is not None:
            raise StoreError(f"dataset {self.name!r} is pinned to version {self._pinned}")
        self._deletes.append(str(id))

    def flush(self) -> int | None:
        """Write queued inserts and deletes as one version; returns it (None if nothing changed)."""
        if not self._inserts and not self._deletes:
            return None
        inserts, deletes = self._inserts, self._deletes
        self._inserts, self._deletes = [], []
        inserted = {r["id"] for r in inserts}
        with Store(self.db) as store:
            return ds_store.new_version(
                store,
                self.id,
                add=to_table(inserts) if inserts else None,
                remove=[d for d in deletes if d not in inserted],
                note="api",
            )

    def fetch(self, store: Store | None = None) -> tuple[int, list[dict[str, Any]]]:
        """(version, records) of the pinned version."""
        self.flush()
        if store is None:
            with Store(self.db) as own:
                return self.fetch(own)
        info = ds_store.require_dataset(store, self.name)
        v = ds_store.check_version(info, self._pinned)
        return v, from_table(ds_store.read_records(store, info.id, v))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.fetch()[1])

    def __len__(self) -> int:
        return len(self.fetch()[1])

    def close(self) -> None:
        self.flush()

    def __repr__(self) -> str:
        return f"Dataset(project={self.project!r}, name={self.name!r}, version={self._pinned!r})"


def init_dataset(
    project: str | None = None,
    name: str | None = None,
    description: str | None = None,
    *,
    version: int | str | None = None,
    db: str | os.PathLike[str] | None = None,
    dataset: str | None = None,
    **_braintrust_only: Any,
) -> Dataset:
    """Open (or create) the dataset ``name``; ``version`` pins an older one (a number, or
    its text as Braintrust passes it: ``"3"``).

    Datasets are named per database file; ``project`` is kept as a label. Braintrust's
    service options (``api_key``, ``org_name``, ``use_output``...) are accepted and ignored.
    """
    name = name or dataset
    if not name:
        raise StoreError("init_dataset needs a dataset name")
    if isinstance(version, str):
        text = version.strip().lstrip("vV")
        if not text.isdigit():
            raise StoreError(f"dataset version {version!r} is not a version number")
        version = int(text)
    from evaltui.dbpath import default_db

    return Dataset(project, name, version, db if db is not None else default_db())
