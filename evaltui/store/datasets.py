"""Datasets: named, versioned sets of records (input, expected, metadata, bucket, origin).

A version is a change set: adding or removing records makes the next version, and a
record row is visible in the versions ``[added_version, removed_version)``, so every
older version stays readable without copying a record. Replacing a record (same id,
new content) removes the old row and adds the new one in the same version.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from collections.abc import Iterable

import pyarrow as pa

from evaltui.store.db import Store, StoreError

RECORDS_ARROW_SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),
        ("input", pa.string()),  # JSON text
        ("expected", pa.string()),  # JSON text or null
        ("metadata", pa.string()),  # JSON text
        ("tags", pa.list_(pa.string())),
        ("bucket", pa.string()),
        ("origin_span_id", pa.string()),
    ]
)
RECORD_COLUMNS = "record_id, input, expected, metadata, tags, bucket, origin_span_id"


@dataclass(frozen=True)
class DatasetInfo:
    id: str
    name: str
    project: str | None
    description: str | None
    created: datetime | None
    version: int  # the latest version (0: no records ever added)
    records: int  # records in the latest version


def get_dataset(store: Store, name: str) -> DatasetInfo | None:
    rows = store.con.execute(
        """
        SELECT d.id, d.name, d.project, d.description, d.created,
               coalesce((SELECT max(version) FROM dataset_versions v WHERE v.dataset_id = d.id), 0)
        FROM datasets d WHERE d.name = ?
        """,
        [name],
    ).fetchall()
    if not rows:
        return None
    id_, name, project, description, created, version = rows[0]
    return DatasetInfo(id_, name, project, description, created, version, count_records(store, id_, version))


def dataset_name(store: Store, dataset_id: str) -> str | None:
    """The name of the dataset with this id (an experiment keeps the id), if it exists."""
    rows = store.con.execute("SELECT name FROM datasets WHERE id = ?", [dataset_id]).fetchall()
    return rows[0][0] if rows else None


def require_dataset(store: Store, name: str) -> DatasetInfo:
    info = get_dataset(store, name)
    if info is None:
        known = [d.name for d in list_datasets(store)]
        hint = f" (datasets: {', '.join(known[:8])})" if known else " (there are none yet: `evaltui datasets create`)"
        raise StoreError(f"no dataset named {name!r}{hint}")
    return info


@dataclass(frozen=True)
class NewDataset:
    """A dataset to create together with its first version (``new_version(create=...)``)."""

    name: str
    project: str | None = None
    description: str | None = None


def _insert_header(store: Store, dataset_id: str, new: NewDataset) -> None:
    if not new.name or not new.name.strip():
        raise StoreError("a dataset needs a name")
    if get_dataset(store, new.name) is not None:
        raise StoreError(f"a dataset named {new.name!r} exists: pick another name, or add records to it")
    store.con.execute(
        "INSERT INTO datasets (id, name, project, description, created) VALUES (?, ?, ?, ?, now()::TIMESTAMP)",
        [dataset_id, new.name, new.project, new.description],
    )


def create_dataset(
    store: Store, name: str, *, project: str | None = None, description: str | None = None
) -> DatasetInfo:
    """An empty dataset (version 0), as ``init_dataset`` makes before its inserts; to
    create one with records, use ``new_version(create=...)``, which commits both at once."""
    _insert_header(store, uuid.uuid4().hex, NewDataset(name, project, description))
    info = get_dataset(store, name)
    assert info is not None
    return info


def get_or_create_dataset(store: Store, name: str, *, project: str | None = None) -> DatasetInfo:
    return get_dataset(store, name) or create_dataset(store, name, project=project)


def list_datasets(store: Store) -> list[DatasetInfo]:
    names = [r[0] for r in store.con.execute("SELECT name FROM datasets ORDER BY created, name").fetchall()]
    return [info for n in names if (info := get_dataset(store, n)) is not None]


def versions(store: Store, dataset_id: str) -> list[dict[str, Any]]:
    rows = store.con.execute(
        "SELECT version, created, note, added, removed FROM dataset_versions WHERE dataset_id = ? ORDER BY version",
        [dataset_id],
    ).fetchall()
    out = []
    for version, created, note, added, removed in rows:
        out.append(
            {
                "version": version,
                "created": created,
                "note": note,
                "added": added,
                "removed": removed,
                "records": count_records(store, dataset_id, version),
            }
        )
    return out


def _visible(version_param: str = "?") -> str:
    return f"added_version <= {version_param} AND (removed_version IS NULL OR removed_version > {version_param})"


def count_records(store: Store, dataset_id: str, version: int) -> int:
    return store.con.execute(
        f"SELECT count(*) FROM dataset_records WHERE dataset_id = $id AND {_visible('$v')}",
        {"id": dataset_id, "v": version},
    ).fetchall()[0][0]


def read_records(store: Store, dataset_id: str, version: int) -> pa.Table:
    """The records of one version, in the order they were added (RECORDS_ARROW_SCHEMA)."""
    return store.con.sql(
        f"""
        SELECT {RECORD_COLUMNS} FROM dataset_records
        WHERE dataset_id = $id AND {_visible("$v")}
        ORDER BY added_version, created, rowid
        """,
        params={"id": dataset_id, "v": version},
    ).to_arrow_table()


def check_version(info: DatasetInfo, version: int | None) -> int:
    if version is None:
        return info.version
    if not 1 <= version <= max(info.version, 0):
        raise StoreError(f"dataset {info.name!r} has versions 1..{info.version}, not {version}")
    return version


def new_version(
    store: Store,
    dataset_id: str,
    *,
    add: pa.Table | None = None,
    remove: Iterable[str] = (),
    note: str | None = None,
    create: NewDataset | None = None,
) -> int | None:
    """Add records (replacing any with the same id) and remove ids, as one new version.

    Returns the new version, or None when nothing changed (no version is made).
    With ``create``, the dataset ``dataset_id`` is made in the same transaction: a crash
    leaves the dataset with its first version or no dataset, never an empty one, and
    nothing to add makes nothing.
    """
    con = store.con
    remove = sorted(set(remove))
    if add is not None:
        add = add.select(RECORDS_ARROW_SCHEMA.names).cast(RECORDS_ARROW_SCHEMA)
        ids = add.column("record_id").to_pylist()
        if len(set(ids)) != len(ids):
            raise StoreError("records to add have duplicate ids")
    con.execute("BEGIN TRANSACTION")
    try:
        if create is not None:
            _insert_header(store, dataset_id, create)
        latest = con.execute(
            "SELECT coalesce(max(version), 0) FROM dataset_versions WHERE dataset_id = ?", [dataset_id]
        ).fetchall()[0][0]
        version = latest + 1
        con.execute("CREATE OR REPLACE TEMP TABLE _remove_ids (record_id VARCHAR)")
        if remove:
            con.register("_remove_arrow", pa.table({"record_id": pa.array(remove, pa.string())}))
            con.execute("INSERT INTO _remove_ids SELECT record_id FROM _remove_arrow")
            con.unregister("_remove_arrow")
        added = 0
        if add is not None and add.num_rows:
            con.register("_add_arrow", add)
            # An identical record already in the latest version is not re-added.
            con.execute(
                """
                CREATE OR REPLACE TEMP TABLE _add AS
                SELECT a.* FROM _add_arrow a
                WHERE NOT EXISTS (
                    SELECT 1 FROM dataset_records r
                    WHERE r.dataset_id = ? AND r.removed_version IS NULL AND r.record_id = a.record_id
                      AND r.input IS NOT DISTINCT FROM a.input::JSON
                      AND r.expected IS NOT DISTINCT FROM a.expected::JSON
                      AND r.metadata IS NOT DISTINCT FROM a.metadata::JSON
                      AND r.bucket IS NOT DISTINCT FROM a.bucket
                      AND coalesce(r.tags, []) = coalesce(a.tags, [])
                )
                """,
                [dataset_id],
            )
            con.unregister("_add_arrow")
            con.execute("INSERT INTO _remove_ids SELECT record_id FROM _add")
            added = con.execute("SELECT count(*) FROM _add").fetchall()[0][0]
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _add_ids AS SELECT record_id FROM _add"
            if added
            else "CREATE OR REPLACE TEMP TABLE _add_ids (record_id VARCHAR)"
        )
        removed = con.execute(
            """
            SELECT count(*) FROM dataset_records
            WHERE dataset_id = ? AND removed_version IS NULL
              AND record_id IN (SELECT record_id FROM _remove_ids)
              AND record_id NOT IN (SELECT record_id FROM _add_ids)
            """,
            [dataset_id],
        ).fetchall()[0][0]
        con.execute(
            """
            UPDATE dataset_records SET removed_version = ?
            WHERE dataset_id = ? AND removed_version IS NULL AND record_id IN (SELECT record_id FROM _remove_ids)
            """,
            [version, dataset_id],
        ).fetchall()
        if not added and not removed:
            con.execute("ROLLBACK")
            return None
        if added:
            con.execute(
                """
                INSERT INTO dataset_records
                    (dataset_id, record_id, added_version, removed_version, input, expected, metadata,
                     tags, bucket, origin_span_id, created)
                SELECT ?, record_id, ?, NULL, input::JSON, expected::JSON, coalesce(metadata, '{{}}')::JSON,
                       coalesce(tags, []), bucket, origin_span_id, now()::TIMESTAMP
                FROM _add
                """,
                [dataset_id, version],
            )
        con.execute(
            "INSERT INTO dataset_versions VALUES (?, ?, now()::TIMESTAMP, ?, ?, ?)",
            [dataset_id, version, note, added, removed],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("DROP TABLE IF EXISTS _remove_ids")
        con.execute("DROP TABLE IF EXISTS _add")
        con.execute("DROP TABLE IF EXISTS _add_ids")
    return version


def origin_topics(store: Store, name: str) -> list[str]:
    """The topic of the span each record of dataset ``name`` came from (every version's
    records; records whose span has no topic are left out)."""
    return [
        t
        for (t,) in store.con.execute(
            "SELECT s.topic FROM dataset_records r JOIN datasets d ON d.id = r.dataset_id "
            "JOIN spans s ON s.id = r.origin_span_id WHERE d.name = ? AND s.topic IS NOT NULL",
            [name],
        ).fetchall()
    ]
