"""The DuckDB store: one file holds spans, scores, topic maps, datasets and experiments."""

from evaltui.store.db import DEFAULT_DB, Store, StoreError, resolve_db_path
from evaltui.store.schema import SCHEMA_VERSION

__all__ = ["DEFAULT_DB", "SCHEMA_VERSION", "Store", "StoreError", "resolve_db_path"]
