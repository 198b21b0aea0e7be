"""The embedding cache: one vector per (text hash, model), so a rebuild embeds only new
texts. Arrow in and out; the caller turns vectors into arrays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from evaltui.store.db import Store

if TYPE_CHECKING:
    import pyarrow as pa


def cached_embeddings(store: Store, hashes: Sequence[str], model: str) -> pa.Table:
    """(text_hash, vector) of the cached vectors among ``hashes`` for ``model``."""
    import pyarrow as pa

    store.con.register("_wanted_hashes", pa.table({"text_hash": pa.array(list(hashes), pa.string())}))
    try:
        return store.con.sql(
            "SELECT e.text_hash, e.vector FROM embeddings e "
            "WHERE e.model = ? AND e.text_hash IN (SELECT text_hash FROM _wanted_hashes)",
            params=[model],
        ).to_arrow_table()
    finally:
        store.con.unregister("_wanted_hashes")


def add_embeddings(store: Store, batch: pa.Table, model: str) -> None:
    """Cache ``batch``'s (text_hash, vector) rows for ``model``; a hash already cached stays."""
    store.con.register("_new_embeddings", batch)
    try:
        store.con.execute(
            "INSERT INTO embeddings SELECT n.text_hash, ?, n.vector, now()::TIMESTAMP FROM _new_embeddings n "
            "WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.model = ? AND e.text_hash = n.text_hash)",
            [model, model],
        ).fetchall()
    finally:
        store.con.unregister("_new_embeddings")
