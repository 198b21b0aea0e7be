"""Plain-terminal rendering for the CLI: span tables, stats tables, JSON lines."""

from __future__ import annotations

from typing import Any

import orjson

from evaltui.jsondepth import loads_stored
from evaltui.text import preview


def _json_or_none(text: str | None) -> Any:
    return loads_stored(text)


def span_json(row: dict[str, Any]) -> str:
    """One span as the JSON object `evaltui logs --json` prints."""
    obj = {
        "id": row["id"],
        "root_id": row["root_id"],
        "parent_id": row["parent_id"],
        "name": row["name"],
        "span_type": row["span_type"],
        "ts": row["ts"].isoformat() + "Z" if row["ts"] else None,
        "topic": row["topic"],
        "input": _json_or_none(row["input"]),
        "output": _json_or_none(row["output"]),
        "expected": _json_or_none(row["expected"]),
        "error": row["error"],
        "metadata": _json_or_none(row["metadata"]),
        "tags": row["tags"],
        "metrics": _json_or_none(row["metrics"]),
        "scores": dict(row["scores"] or []),
    }
    return orjson.dumps(obj).decode()


def _console():
    import sys

    from rich.console import Console

    # Piped output is read by people and scripts alike: don't squeeze it to 80 columns.
    return Console() if sys.stdout.isatty() else Console(width=200)


def _fmt_score(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def print_spans_table(rows: list[dict[str, Any]], total: int) -> None:
    from rich.table import Table

    keys = sorted({k for r in rows for k, _ in (r["scores"] or [])})
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("time", no_wrap=True)
    table.add_column("id", no_wrap=True, max_width=18)
    table.add_column("topic", no_wrap=True, max_width=22)
    table.add_column("input", overflow="ellipsis", no_wrap=True, ratio=1)
    for k in keys:
        table.add_column(k, justify="right", no_wrap=True)
    for r in rows:
        scores = dict(r["scores"] or [])
        table.add_row(
            r["ts"].strftime("%Y-%m-%d %H:%M") if r["ts"] else "",
            r["id"], r["topic"] or "", preview(r["input"]),
            *(_fmt_score(scores.get(k)) for k in keys),
        )
    console = _console()
    console.print(table)
    console.print(f"{len(rows)} of {total:,} matching", style="dim")


def print_stats_table(keys: list[str], rows: list[dict[str, Any]], by: str = "topic") -> None:
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column(by)
    table.add_column("conversations", justify="right")
    for k in keys:
        table.add_column(k, justify="right")
    for r in rows:
        table.add_row(str(r["topic"]), f"{r['conversations']:,}", *(_fmt_score(r[k]) for k in keys))
    _console().print(table)
