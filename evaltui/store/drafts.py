"""Work in progress kept in the database so it survives a restart: the dataset builder's
marks until they are saved as a dataset. One JSON value per draft name, in the
key-value table ``evaltui_meta`` (no schema change)."""

from __future__ import annotations

from typing import Any

import orjson

from evaltui.store.db import Store

_PREFIX = "draft:"


def save_draft(store: Store, name: str, value: dict[str, Any]) -> None:
    store.con.execute(
        "INSERT OR REPLACE INTO evaltui_meta VALUES (?, ?)", [_PREFIX + name, orjson.dumps(value).decode()]
    ).fetchall()


def load_draft(store: Store, name: str) -> dict[str, Any] | None:
    rows = store.con.execute("SELECT value FROM evaltui_meta WHERE key = ?", [_PREFIX + name]).fetchall()
    return orjson.loads(rows[0][0]) if rows else None


def clear_draft(store: Store, name: str) -> None:
    store.con.execute("DELETE FROM evaltui_meta WHERE key = ?", [_PREFIX + name]).fetchall()
