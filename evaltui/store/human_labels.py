"""Human labels as the browser shows them: a target's latest label per scorer, many
targets at once, and which spans of a trace a label of each scorer attaches to."""

from __future__ import annotations

from evaltui.store.db import Store


def human_labels_of(store: Store, target_ids: list[str]) -> dict[str, dict[str, str | None]]:
    """``human_labels`` for many targets in one query: target id -> scorer key -> label."""
    out: dict[str, dict[str, str | None]] = {}
    if not target_ids:
        return out
    rows = store.con.execute(
        "SELECT target_id, scorer_key, arg_max(coalesce(label, CAST(score AS VARCHAR)), created) FROM scores "
        "WHERE list_contains(?, target_id) AND source = 'human' GROUP BY target_id, scorer_key "
        "ORDER BY target_id, scorer_key",
        [target_ids],
    ).fetchall()
    for target, key, label in rows:
        out.setdefault(target, {})[key] = label
    return out


def human_labels(store: Store, target_id: str) -> dict[str, str | None]:
    """A target's latest human label per scorer key."""
    rows = store.con.execute(
        "SELECT scorer_key, arg_max(coalesce(label, CAST(score AS VARCHAR)), created) FROM scores "
        "WHERE target_id = ? AND source = 'human' GROUP BY scorer_key ORDER BY scorer_key",
        [target_id],
    ).fetchall()
    return dict(rows)


def trace_label_targets(store: Store, root_id: str) -> dict[str, list[str]]:
    """Per machine scorer key: the spans of this trace it scored (what a human label of
    that scorer attaches to), in time order."""
    rows = store.con.execute(
        "SELECT sc.scorer_key, sc.target_id FROM scores sc JOIN spans sp ON sp.id = sc.target_id "
        "WHERE sc.root_id = ? AND sc.source <> 'human' GROUP BY sc.scorer_key, sc.target_id "
        "ORDER BY sc.scorer_key, min(sp.ts), sc.target_id",
        [root_id],
    ).fetchall()
    out: dict[str, list[str]] = {}
    for key, target in rows:
        out.setdefault(key, []).append(target)
    return out


def count_human_labels(store: Store) -> int:
    """How many human labels the file holds (every scorer, every target)."""
    return store.con.execute("SELECT count(*) FROM scores WHERE source = 'human'").fetchall()[0][0]
