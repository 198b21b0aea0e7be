"""Words a filter bar can complete: fields, scorer and label names, metadata keys, topics."""

from __future__ import annotations

from evaltui.store.db import Store
from evaltui.store.filters import field_names
from evaltui.store.pages import scorers


def completion_words(store: Store) -> list[str]:
    """Words a filter bar can complete: fields, scorer and label names, metadata keys."""
    keys = scorers(store)
    words = [w for w in field_names() if not w.endswith(".")]
    words += [f"scores.{k}" for k in keys] + [f"labels.{k}" for k in keys]
    meta = store.con.execute(
        """
        SELECT DISTINCT unnest(json_keys(metadata)) AS k
        FROM (SELECT metadata FROM spans WHERE parent_id IS NULL AND metadata IS NOT NULL LIMIT 2000)
        ORDER BY k
        """
    ).fetchall()
    words += [f"metadata.{k}" for (k,) in meta if k and k.replace("_", "").isalnum()]
    words += ["and", "or", "not", "in", "is null", "is not null"]
    return words


def topic_names(store: Store, limit: int = 500) -> list[str]:
    rows = store.con.execute(
        "SELECT topic FROM spans WHERE parent_id IS NULL AND topic IS NOT NULL "
        "GROUP BY topic ORDER BY count(*) DESC LIMIT ?",
        [limit],
    ).fetchall()
    return [t for (t,) in rows]
