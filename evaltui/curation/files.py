"""Import and export dataset records: JSONL, CSV, Parquet and Braintrust dataset rows.

- ``jsonl``: one ``{"id", "input", "expected", "metadata", "tags", "bucket", "origin_span_id"}``
  per line (a JSON array is read too).
- ``braintrust``: Braintrust dataset rows ``{"id", "input", "expected", "metadata", "tags"}``;
  bucket and origin travel in ``metadata["evaltui"]`` so a round trip keeps them.
- ``csv``: a header with at least ``input``; cells of input, expected, metadata and tags
  are JSON (a cell that is not JSON is read as a string).
- ``parquet``: the same columns, input/expected/metadata as JSON text, tags a list.

Any other field or column (``output``, say) is kept in the record's metadata, as ``ingest`` does.

A bad line or row is reported as ``FILE:LINE: reason`` and skipped; every good one is kept.
A repeated id keeps its first copy; each later one is reported with its line and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import pyarrow as pa

from evaltui.curation.records import content_id, dumps, from_table, loads, to_table
from evaltui.store.db import StoreError

FORMATS = ("jsonl", "csv", "parquet", "braintrust")
RECORD_FIELDS = ("id", "input", "expected", "tags", "bucket", "origin_span_id")
BRAINTRUST_SYSTEM_FIELDS = frozenset({"created", "dataset_id", "project_id", "span_id", "root_span_id", "is_root"})


@dataclass
class ImportReport:
    path: Path
    format: str
    records: list[dict[str, Any]] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    first_seen: dict[str, str] = field(default_factory=dict)  # record id -> where its first copy is


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    return "jsonl"


def _normalise(obj: Any, where: str, report: ImportReport, braintrust: bool) -> None:
    if not isinstance(obj, dict):
        report.bad.append(f"{where}: expected a JSON object, found {type(obj).__name__}")
        return
    if "input" not in obj:
        report.bad.append(f"{where}: no 'input'")
        return
    metadata = obj.get("metadata") or {}
    if not isinstance(metadata, dict):
        report.bad.append(f"{where}: 'metadata' is not an object")
        return
    rec = {k: obj.get(k) for k in RECORD_FIELDS}
    extra = metadata.get("evaltui") if isinstance(metadata.get("evaltui"), dict) else None
    if extra is not None:
        metadata = {k: v for k, v in metadata.items() if k != "evaltui"}
        rec["bucket"] = rec["bucket"] or extra.get("bucket")
        rec["origin_span_id"] = rec["origin_span_id"] or extra.get("origin_span_id")
    # Other fields (an `output` column, say) are kept in metadata, as `ingest` keeps them;
    # Braintrust's own bookkeeping fields are not the user's data.
    others = {
        k: v
        for k, v in obj.items()
        if k not in RECORD_FIELDS
        and k != "metadata"
        and v is not None
        and not (braintrust and (k.startswith("_") or k in BRAINTRUST_SYSTEM_FIELDS))
    }
    if others:
        metadata = {**others, **metadata}
    rec["metadata"] = metadata
    if rec["tags"] is not None and not isinstance(rec["tags"], list):
        report.bad.append(f"{where}: 'tags' is not a list")
        return
    # One rule, as `ingest` has: the first copy of an id is kept, each later one reported.
    rid = str(rec["id"]) if rec["id"] is not None else content_id(rec["input"], rec["expected"])
    first = report.first_seen.setdefault(rid, where)
    if first != where:
        at = first.rpartition(":")[2]
        report.bad.append(f"{where}: duplicate id {rid!r} (first at {'line ' + at if at.isdigit() else at}); skipped")
        return
    report.records.append(rec)


def read_records(path: Path, fmt: str = "auto") -> ImportReport:
    path = Path(path)
    if not path.exists():
        raise StoreError(f"no file at {path}")
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt not in FORMATS:
        raise StoreError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    report = ImportReport(path, fmt)
    if fmt in ("jsonl", "braintrust"):
        text = path.read_bytes()
        if text.lstrip()[:1] == b"[":
            try:
                rows = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                raise StoreError(f"{path}: not valid JSON ({exc})") from None
            for i, obj in enumerate(rows, 1):
                _normalise(obj, f"{path}:item {i}", report, fmt == "braintrust")
            return report
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                report.bad.append(f"{path}:{lineno}: not valid JSON ({str(exc).split(':')[0]})")
                continue
            _normalise(obj, f"{path}:{lineno}", report, fmt == "braintrust")
        return report
    if fmt == "csv":
        _read_csv(path, report)
        return report
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise StoreError(f"{path}: not a Parquet file ({str(exc).splitlines()[0]})") from None
    if "input" not in table.column_names:
        raise StoreError(f"{path}: a dataset Parquet file needs an 'input' column")
    for i, row in enumerate(table.to_pylist(), 1):
        obj = {
            k: (_json_cell(v) if k in ("input", "expected", "metadata") and isinstance(v, str) else v)
            for k, v in row.items()
        }
        if "record_id" in obj and "id" not in obj:
            obj["id"] = obj.pop("record_id")
        _normalise(obj, f"{path}:row {i}", report, False)
    return report


def _read_csv(path: Path, report: ImportReport) -> None:
    """CSV rows the way `ingest` reads them: a bad row is reported and skipped, the rest kept."""
    from evaltui.ingest.csv_rows import iter_csv
    from evaltui.ingest.records import BadRecord

    opened = iter_csv(path)
    if opened is None:
        return
    if isinstance(opened, BadRecord):
        raise StoreError(str(opened))
    columns, rows = opened
    if "input" not in columns:
        raise StoreError(f"{path}: a dataset CSV needs an 'input' column; columns are: {', '.join(columns)}")
    for row in rows:
        if isinstance(row, BadRecord):
            report.bad.append(str(row))
            continue
        obj = {k: _cell(k, v) for k, v in zip(columns, row.cells) if v != ""}
        obj.setdefault("input", "")
        _normalise(obj, f"{path}:{row.line}", report, False)


def _json_cell(value: str) -> Any:
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return value


def _cell(column: str, value: str) -> Any:
    if column in ("input", "expected", "metadata", "tags"):
        return _json_cell(value)
    if column in RECORD_FIELDS:
        return value
    from evaltui.ingest.csv_rows import number

    return number(value)  # another column goes to metadata, numbers as numbers, as `ingest` does


def write_records(records: list[dict[str, Any]], out: Path | BinaryIO, fmt: str) -> int:
    """Write records (as ``records.from_table`` gives them) to ``out``, a file name or an
    open binary stream such as stdout; returns the count."""
    if fmt not in FORMATS:
        raise StoreError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if isinstance(out, (str, Path)):
        with open(out, "wb") as fh:
            return write_records(records, fh, fmt)
    if fmt in ("jsonl", "braintrust"):
        for rec in records:
            if fmt == "braintrust":
                meta = dict(rec["metadata"] or {})
                if rec.get("bucket") or rec.get("origin_span_id"):
                    meta["evaltui"] = {"bucket": rec.get("bucket"), "origin_span_id": rec.get("origin_span_id")}
                row = {
                    "id": rec["id"],
                    "input": rec["input"],
                    "expected": rec["expected"],
                    "metadata": meta,
                    "tags": rec["tags"],
                }
            else:
                row = rec
            out.write(orjson.dumps(row, option=orjson.OPT_NON_STR_KEYS, default=str) + b"\n")
        return len(records)
    columns = {
        "id": [r["id"] for r in records],
        "input": [dumps(r["input"]) for r in records],
        "expected": [None if r["expected"] is None else dumps(r["expected"]) for r in records],
        "metadata": [dumps(r["metadata"]) for r in records],
        "bucket": [r["bucket"] for r in records],
        "origin_span_id": [r["origin_span_id"] for r in records],
    }
    if fmt == "csv":
        import pyarrow.csv as pacsv

        columns["tags"] = [dumps(r["tags"]) for r in records]
        pacsv.write_csv(pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()}), out)
        return len(records)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        table = pa.table(
            {
                **{k: pa.array(v, pa.string()) for k, v in columns.items()},
                "tags": pa.array([r["tags"] for r in records], pa.list_(pa.string())),
            }
        )
        pq.write_table(table, out)
    return len(records)


__all__ = [
    "FORMATS",
    "ImportReport",
    "detect_format",
    "read_records",
    "write_records",
    "to_table",
    "from_table",
    "loads",
]
