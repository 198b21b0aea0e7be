"""CSV logs: one row per logged call, with at least an ``input`` column.

Optional columns: ``output``, ``expected``, ``id``, ``ts``/``timestamp``, ``tags`` (split
on commas or semicolons) and ``score.<Name>``/``scores.<Name>`` (0..1). Every other
column goes to metadata, numbers parsed as numbers. Line numbers are physical file
lines, so a quoted field spanning lines does not shift the ones after it.
"""

from __future__ import annotations

import csv
import json
import pathlib
import re
from dataclasses import dataclass
from typing import Any
from collections.abc import Iterator

from evaltui.ingest.jsonlines import is_chat, looks_like_json, physical_lines, read_text
from evaltui.ingest.records import BadRecord, skip_reason, coerce_score, stable_id
from evaltui.model import RecordError, ScoreRow, SpanRow, parse_ts

_DELIMITERS = (",", "\t", ";")
_SCORE_COLUMN = re.compile(r"^scores?\.(.+)$", re.IGNORECASE)
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_TAG_SPLIT = re.compile(r"[;,]")

csv.field_size_limit(1 << 30)  # long transcripts in one cell


def _delimiter(header_line: str, path: pathlib.Path) -> str:
    if path.suffix.lower() == ".tsv":
        return "\t"
    return max(_DELIMITERS, key=header_line.count) if any(d in header_line for d in _DELIMITERS) else ","


def _header(head: str, path: pathlib.Path) -> list[str]:
    first = next(iter(head.lstrip("\ufeff").splitlines()), "")
    try:
        return next(csv.reader([first], delimiter=_delimiter(first, path)))
    except (csv.Error, StopIteration):
        return []


def sniff(head: str, path: pathlib.Path) -> bool:
    """Not JSON, and a header row with an ``input`` column (or a .csv/.tsv name)."""
    head = head.lstrip("\ufeff")
    if not head.strip() or looks_like_json(head):
        return False
    columns = [c.strip().lower() for c in _header(head, path)]
    return "input" in columns or (path.suffix.lower() in (".csv", ".tsv") and len(columns) > 1)


@dataclass(slots=True)
class CsvRow:
    """A data row: its first physical line, its raw text and its cells (one per column)."""

    line: int
    raw: str
    cells: list[str]


def iter_csv(path: pathlib.Path) -> tuple[list[str], Iterator[CsvRow | BadRecord]] | BadRecord | None:
    """The header's column names and the data rows, each good row whole and each bad one
    as a BadRecord with its line (a bad row never stops the rows after it); None for an
    empty file. Shared by log ingest and dataset import, so both read CSV alike."""
    text = read_text(path)
    if not text.strip():
        return None
    lines = physical_lines(text)
    reader = csv.reader(iter(lines), delimiter=_delimiter(lines[0], path))
    try:
        header = next(reader)
    except csv.Error as exc:
        return BadRecord(str(path), 1, f"unreadable CSV header: {exc}")
    columns = [c.strip() for c in header]

    def rows() -> Iterator[CsvRow | BadRecord]:
        prev_end = reader.line_num
        while True:
            start = prev_end + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                # An unterminated quote swallows the rest of the file: nothing more to read.
                yield BadRecord(str(path), start, f"unreadable CSV row: {exc}")
                return
            end = reader.line_num
            prev_end = end
            if not row or all(not c.strip() for c in row):
                continue
            raw = "".join(lines[start - 1 : end]).rstrip("\r\n")
            if end == len(lines) and raw.count('"') % 2:  # the reader ran to EOF inside quotes
                yield BadRecord(str(path), start, "unclosed quoted field (truncated file?)")
                continue
            if len(row) != len(columns):
                yield BadRecord(str(path), start, f"expected {len(columns)} columns, got {len(row)}")
                continue
            yield CsvRow(start, raw, row)

    return columns, rows()


def read(path: pathlib.Path) -> Iterator[SpanRow | BadRecord]:
    opened = iter_csv(path)
    if opened is None:
        return
    if isinstance(opened, BadRecord):
        yield opened
        return
    columns, rows = opened
    lower = [c.lower() for c in columns]
    if "input" not in lower:
        yield BadRecord(str(path), 1, f"no input column; columns are: {', '.join(columns)}")
        return
    roles = _roles(columns, lower)
    for row in rows:
        if isinstance(row, BadRecord):
            yield row
            continue
        problems: list[str] = []
        try:
            span = _span(dict(zip(roles, row.cells)), row.line, row.raw, problems)
            span.line = row.line
            yield span
        except Exception as exc:
            yield BadRecord(str(path), row.line, skip_reason(exc, "row"))
            continue
        for reason in problems:
            yield BadRecord(str(path), row.line, reason, partial=True)


def _roles(columns: list[str], lower: list[str]) -> list[tuple[str, str]]:
    """(role, name) per column: role is a known field, "score" or "meta"."""
    roles = []
    for col, low in zip(columns, lower):
        m = _SCORE_COLUMN.match(col)
        if low in ("input", "output", "expected", "id", "tags"):
            roles.append((low, col))
        elif low in ("ts", "timestamp"):
            roles.append(("ts", col))
        elif m:
            roles.append(("score", m.group(1)))
        else:
            roles.append(("meta", col))
    return roles


def _span(cells: dict[tuple[str, str], str], line: int, raw: str, problems: list[str]) -> SpanRow:
    fields: dict[str, str] = {}
    metadata: dict[str, Any] = {}
    scores: list[ScoreRow] = []
    for (role, name), value in cells.items():
        if role == "meta":
            if value != "":
                metadata[name] = number(value)
        elif role == "score":
            if value.strip() == "":
                continue
            try:
                num = number(value.strip())
                if isinstance(num, str):
                    num = {"true": True, "false": False}.get(num.lower(), num)
                scores.append(ScoreRow(name=name, score=coerce_score(num), source="online"))
            except RecordError as exc:
                problems.append(f'score "{name}": {exc}')
        else:
            fields.setdefault(role, value)

    text = fields.get("input", "")
    if not text.strip():
        raise RecordError('empty "input"')
    parsed = _maybe_json(text)
    if isinstance(parsed, str):
        span_type, input_ = "conversation", [{"role": "user", "content": text}]
    elif is_chat(parsed):
        span_type, input_ = "conversation", parsed
    else:
        span_type, input_ = "task", parsed

    span_id = fields.get("id", "").strip() or stable_id(line, raw)
    tags = [t.strip() for t in _TAG_SPLIT.split(fields.get("tags", "")) if t.strip()]
    return SpanRow(
        id=span_id,
        root_id=span_id,
        parent_id=None,
        name=span_type if span_type == "conversation" else "row",
        span_type=span_type,
        ts=parse_ts(fields.get("ts", "").strip() or None),
        input=input_,
        output=fields.get("output") or None,
        expected=fields.get("expected") or None,
        metadata=metadata,
        tags=tags,
        scores=scores,
    )


def number(value: str) -> Any:
    """A cell as an int or float when it reads as one, else the text."""
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value):
        return float(value)
    return value


def _maybe_json(text: str) -> Any:
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped)
        except ValueError:
            return text
    return text
