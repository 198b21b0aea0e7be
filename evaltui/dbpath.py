"""Where the database is, without importing DuckDB (the terminal app resolves it before
Textual and DuckDB load)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = "evaltui.duckdb"


def resolve_db_path(path: str | os.PathLike[str] | None = None) -> Path:
    """``--db PATH`` wins, then ``EVALTUI_DB``, then ``./evaltui.duckdb``."""
    if path:
        return Path(path)
    return Path(os.environ.get("EVALTUI_DB") or DEFAULT_DB)
