"""The DuckDB store: one file holds spans, scores, topic maps, datasets and experiments.

``Store`` and the rest load on first use, so a module of this package that needs no
DuckDB (``overview``) imports without it.

One rule for the functions of its modules: the first parameter is the open ``Store``,
named ``store``, never its DuckDB connection. Callers hold a Store (``connections.reading``
and ``writing`` yield one, the CLI opens one); a function that needs the connection reads
``store.con``. Exceptions: ``db.migrate``, which runs while a Store is being opened, and
private helpers handed the connection their caller already holds (``_run``, ``_rows``,
``_insert_assignments``).
"""

from evaltui.dbpath import DEFAULT_DB, resolve_db_path
from evaltui.errors import StoreError

_LAZY = {"Store": "evaltui.store.db", "SCHEMA_VERSION": "evaltui.store.schema"}

__all__ = ["DEFAULT_DB", "SCHEMA_VERSION", "Store", "StoreError", "resolve_db_path"]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'evaltui.store' has no attribute {name!r}")
