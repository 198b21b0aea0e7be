"""Log ingestion: format detection, importers, batching into the store.

>>> from evaltui.store import Store
>>> from evaltui.ingest import ingest_file
>>> report = ingest_file(Store("evaltui.duckdb"), "logs.jsonl")   # doctest: +SKIP
>>> report.kept, report.skipped, [str(b) for b in report.bad]     # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING
from collections.abc import Callable, Iterable

from evaltui.errors import EvaltuiError
from evaltui.ingest.records import BadRecord
from evaltui.model import SpanRow

if TYPE_CHECKING:
    from evaltui.store import Store
    from evaltui.store.spans import StagedFacts

# The writing half (Arrow, the store's staging SQL) is imported where it is used, so
# that naming the formats or detecting one does not pay for pyarrow.

# Detection order matters: the most specific signatures first.
FORMATS: dict[str, str] = {
    "evaltui": "evaltui.ingest.evaltui_jsonl",
    "otel": "evaltui.ingest.otel",
    "langfuse": "evaltui.ingest.langfuse",
    "braintrust": "evaltui.ingest.braintrust",
    "openai": "evaltui.ingest.openai_chat",
    "csv": "evaltui.ingest.csv_rows",
}
BATCH_SIZE = 50_000  # spans per commit on the line-by-line path; EVALTUI_INGEST_BATCH_SIZE overrides it
_SNIFF_BYTES = 64 * 1024
_MAX_FIRST_LINE = 128 * 1024 * 1024  # as evaltui_jsonl's read_json maximum_object_size

# (path, records read so far, fraction of the file done when known)
Progress = Callable[[str, int, "float | None"], None]


class IngestError(EvaltuiError):
    """A file that cannot be ingested at all (missing, unreadable, unknown format)."""


@dataclass
class IngestReport:
    path: str
    format: str
    kept: int = 0  # good records read (spans)
    added: int = 0  # new spans stored (kept minus those already present)
    scores_added: int = 0
    changed: int = 0  # spans already stored with other content (the stored copy is kept)
    bad: list[BadRecord] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        """Records not kept (a kept record's dropped score is a problem, not a skip)."""
        return sum(not b.partial for b in self.bad)

    @property
    def scores_skipped(self) -> int:
        return sum(b.partial for b in self.bad)


def importer(fmt: str) -> ModuleType:
    try:
        return importlib.import_module(FORMATS[fmt])
    except KeyError:
        raise IngestError(f"unknown format {fmt!r}; choose one of: auto, {', '.join(FORMATS)}") from None


def detect_format(path: Path) -> str:
    """Name the format of ``path`` from its first 64 KiB, or raise IngestError."""
    head = _head(path)
    if not head.strip():
        return "evaltui"  # an empty file: any line format reads it as nothing
    for fmt in FORMATS:
        if importer(fmt).sniff(head, path):
            return fmt
    # Last, because every format's records may carry an "id": spans with no field but
    # evaltui's own (only "id" is required).
    if importer("evaltui").sniff_bare(head):
        return "evaltui"
    raise IngestError(f"{path}: cannot tell the format; pass --format ({', '.join(FORMATS)})")


def _head(path: Path) -> str:
    """The file's first 64 KiB, and the rest of its first record's line when that line is
    longer (a long transcript before the keys that tell the format), up to 128 MiB.
    A UTF-8 byte-order mark is dropped."""
    with open(path, "rb") as fh:
        data = fh.read(_SNIFF_BYTES)
        start = len(data) - len(data.lstrip(b"\xef\xbb\xbf \t\r\n"))
        while data[start : start + 1] == b"{" and b"\n" not in data[start:] and len(data) < _MAX_FIRST_LINE:
            more = fh.read(1 << 20)
            if not more:
                break
            data += more
    return data.decode("utf-8-sig", errors="replace")


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise IngestError(f"{path}: no such file")
    if path.is_dir():
        raise IngestError(f"{path}: is a folder, not a file")
    if not os.access(path, os.R_OK):
        raise IngestError(f"{path}: not readable")


def ingest_file(
    store: Store,
    path: str | os.PathLike[str],
    fmt: str = "auto",
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest one file; good records are kept, bad ones reported with their line."""
    from evaltui.store.jsonl_stage import unordered_writes
    from evaltui.store.spans import create_stage, drop_stage

    path = Path(path)
    _check_readable(path)
    if fmt == "auto":
        fmt = detect_format(path)
    module = importer(fmt)
    shown = str(path)
    report = IngestReport(path=shown, format=fmt)
    con = store.con
    fast = getattr(module, "stage_fast", None)
    if fast is not None:
        with unordered_writes(store):
            with _poll_progress(con, shown, progress):
                facts = fast(store, path)
            if facts is not None:
                report.kept = facts.spans
                _merge(store, report, f"{fmt}:{path.name}", facts)
                drop_stage(store)
                return report
    create_stage(store)
    _ingest_rows(store, module.read(path), report, f"{fmt}:{path.name}", progress)
    return report


def _ingest_rows(
    store: Store,
    rows: Iterable[SpanRow | BadRecord],
    report: IngestReport,
    source: str,
    progress: Progress | None,
) -> None:
    from evaltui.ingest.writer import BatchBuilder
    from evaltui.store.spans import create_stage, drop_stage, stage_arrow

    builder = BatchBuilder()
    batch_size = batch_size_setting()
    seen: dict[str, int] = {}  # span id -> line of its first copy
    for item in rows:
        if isinstance(item, BadRecord):
            report.bad.append(BadRecord(report.path, item.line, item.reason, item.partial))
            continue
        # One rule: the first copy of an id is kept (a stored span is never replaced),
        # and each later copy is reported with its line.
        first = seen.get(item.id)
        if first is not None:
            report.bad.append(
                BadRecord(
                    report.path, item.line, f"duplicate id {item.id!r} (first at line {first}); the first copy is kept"
                )
            )
            continue
        try:
            builder.add(item)
        except (ValueError, TypeError) as exc:  # a value the Arrow batch cannot hold
            report.bad.append(BadRecord(report.path, item.line, f"span {item.id}: {exc}"))
            continue
        seen[item.id] = item.line
        report.kept += 1
        if builder.count >= batch_size:
            stage_arrow(store, *builder.take())
            _merge(store, report, source)
            create_stage(store)
            if progress:
                progress(report.path, report.kept, None)
    if builder.count:
        stage_arrow(store, *builder.take())
        _merge(store, report, source)
    drop_stage(store)
    if progress:
        progress(report.path, report.kept, 1.0)


def batch_size_setting() -> int:
    """Spans per commit: ``EVALTUI_INGEST_BATCH_SIZE`` when set (tests kill a run between
    small batches), else BATCH_SIZE."""
    value = os.environ.get("EVALTUI_INGEST_BATCH_SIZE", "")
    return int(value) if value.isdigit() and int(value) > 0 else BATCH_SIZE


def _merge(store: Store, report: IngestReport, source: str, facts: StagedFacts | None = None) -> None:
    from evaltui.store.spans import merge_stage

    result = merge_stage(store, source, facts=facts)
    report.added += result.spans_added
    report.scores_added += result.scores_added
    report.changed += result.spans_changed


class _poll_progress:
    """Report DuckDB's own progress on a long read_json from a side thread."""

    def __init__(self, con, path: str, progress: Progress | None) -> None:
        self.con, self.path, self.progress = con, path, progress
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def __enter__(self) -> None:
        progress = self.progress
        if progress is None:
            return

        def run() -> None:
            while not self.stop.wait(0.2):
                try:
                    pct = self.con.query_progress()
                except Exception:  # progress is best-effort
                    return
                if pct and pct > 0:
                    progress(self.path, 0, min(pct, 100.0) / 100)

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        if self.progress is not None:
            self.progress(self.path, 0, 1.0)


def follow_file(
    store: Store | Callable[[], Store],
    path: str | os.PathLike[str],
    fmt: str = "auto",
    *,
    stop: threading.Event,
    poll_seconds: float = 0.5,
    on_report: Callable[[IngestReport], None] | None = None,
) -> list[IngestReport]:
    """Ingest ``path`` and keep ingesting lines appended to it until ``stop`` is set.

    ``store`` is a Store, or a function that opens one: then the file is opened for each
    chunk of new lines and closed again, so the app and other commands are not locked
    out between chunks (docs/live-capture.md).
    Only whole lines are read, so a writer caught mid-line is picked up next poll.
    JSON-array formats cannot be followed; CSV keeps its header for later chunks.
    """
    path = Path(path)
    _check_readable(path)
    if fmt == "auto":
        fmt = detect_format(path)
    module = importer(fmt)
    if fmt != "csv" and not _one_record_per_line(path):
        raise IngestError(f"{path}: --follow needs one JSON record per line; this file is one JSON document")
    header = b""
    offset, lineno = 0, 0
    reports = []
    while True:
        with open(path, "rb") as fh:
            fh.seek(offset)
            chunk = fh.read()
        end = chunk.rfind(b"\n") + 1
        if end:
            chunk = chunk[:end]
            if fmt == "csv" and offset == 0:
                header = chunk.split(b"\n", 1)[0] + b"\n"
            body = _in_place(chunk, lineno, header)
            if callable(store):
                opened = store()
                try:
                    report = _ingest_chunk(opened, module, fmt, body, str(path))
                finally:
                    opened.close()
            else:
                report = _ingest_chunk(store, module, fmt, body, str(path))
            reports.append(report)
            if on_report:
                on_report(report)
            offset += end
            lineno += chunk.count(b"\n")
        if stop.wait(poll_seconds):
            return reports


def _one_record_per_line(path: Path) -> bool:
    first = next((ln.strip() for ln in _head(path).splitlines() if ln.strip()), "")
    return not first or (first.startswith("{") and first.endswith("}"))


def _in_place(chunk: bytes, lines_before: int, header: bytes) -> bytes:
    """The new lines, preceded by blank lines (and the CSV header) so that every
    record keeps the line number, and so the id, it has in the whole file."""
    if not lines_before:
        return chunk
    if header:
        return header + b"\n" * (lines_before - 1) + chunk
    return b"\n" * lines_before + chunk


def _ingest_chunk(store: Store, module: ModuleType, fmt: str, body: bytes, shown: str) -> IngestReport:
    suffix = ".csv" if fmt == "csv" else ".jsonl"
    with tempfile.NamedTemporaryFile("wb", suffix=suffix, delete=False) as tmp:
        tmp.write(body)
    from evaltui.store.spans import create_stage

    try:
        report = IngestReport(path=shown, format=fmt)
        create_stage(store)
        _ingest_rows(store, module.read(Path(tmp.name)), report, f"{fmt}:{Path(shown).name}", None)
        return report
    finally:
        os.unlink(tmp.name)


__all__ = ["FORMATS", "IngestError", "IngestReport", "detect_format", "follow_file", "ingest_file"]
