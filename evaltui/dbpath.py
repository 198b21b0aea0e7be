"""Where the database is, without importing DuckDB (the terminal app resolves it before
Textual and DuckDB load)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Iterator

DEFAULT_DB = "evaltui.duckdb"


def resolve_db_path(path: str | os.PathLike[str] | None = None) -> Path:
    """``--db PATH`` wins, then ``EVALTUI_DB``, then ``./evaltui.duckdb``."""
    if path:
        return Path(path)
    return Path(os.environ.get("EVALTUI_DB") or DEFAULT_DB)


_current: str | os.PathLike[str] | None = None


def default_db() -> str | os.PathLike[str] | None:
    """The database ``Eval``/``init_dataset`` use without ``db=``: the one ``using_db``
    set (the CLI's --db while it runs an eval file), else None: the store then resolves
    $EVALTUI_DB, else ./evaltui.duckdb."""
    return _current


@contextmanager
def using_db(db: str | os.PathLike[str] | None) -> Iterator[None]:
    """Within this block, ``default_db()`` is ``db``."""
    global _current
    previous, _current = _current, db
    try:
        yield
    finally:
        _current = previous


DEMO_DB = "evaltui-demo.duckdb"


def missing_db_message(path: Path) -> str:
    """One line for a database that does not exist: the file to pass when one is next to
    it (after `evaltui demo`, the demo's own file), else how to make one."""
    folder = path.parent
    others = sorted(p.name for p in folder.glob("*.duckdb") if p.name != path.name) if folder.is_dir() else []
    if DEMO_DB in others:  # the demo's file first: it is what a new user has
        others.remove(DEMO_DB)
        others.insert(0, DEMO_DB)
    if others:
        near = folder / others[0] if str(folder) not in ("", ".") else Path(others[0])
        return f"no database at {path}; {near} exists: pass --db {near} (or set EVALTUI_DB)"
    return f"no database at {path}: run `evaltui demo` or `evaltui ingest FILE` first, or pass --db"
