"""Saved log views: a name for a filter, the extra columns and the order of the log
browser, kept in the database so they survive restarts and are shared by everyone who
opens the file."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from evaltui.store.db import Store, StoreError


@dataclass(frozen=True)
class SavedView:
    name: str
    where: str = ""
    columns: tuple[str, ...] = field(default_factory=tuple)
    sort: str = "ts"
    descending: bool = True

    @property
    def order(self) -> str:
        """The sort as words, e.g. ``scores.brand_alignment ascending``."""
        return f"{self.sort} {'descending' if self.descending else 'ascending'}"


def save_view(store: Store, view: SavedView) -> None:
    """Save ``view`` under its name, replacing a view of the same name."""
    name = view.name.strip()
    if not name:
        raise StoreError("a saved view needs a name")
    store.con.execute("DELETE FROM saved_views WHERE name = ?", [name])
    store.con.execute(
        "INSERT INTO saved_views VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP)",
        [name, view.where, list(view.columns), view.sort, view.descending],
    )


def saved_views(store: Store) -> list[SavedView]:
    """Every saved view, by name. A file from before views existed (opened read-only,
    so not migrated yet) has none."""
    try:
        rows = store.con.execute(
            "SELECT name, filter, columns, sort, descending FROM saved_views ORDER BY name"
        ).fetchall()
    except duckdb.CatalogException:
        return []
    return [SavedView(n, w, tuple(c or ()), s, bool(d)) for n, w, c, s, d in rows]


def delete_view(store: Store, name: str) -> bool:
    """Forget the view ``name``; whether there was one."""
    found = store.con.execute("SELECT count(*) FROM saved_views WHERE name = ?", [name]).fetchall()[0][0]
    store.con.execute("DELETE FROM saved_views WHERE name = ?", [name])
    return bool(found)
