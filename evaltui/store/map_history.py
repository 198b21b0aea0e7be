"""Topic maps over time: how the active map fares on conversations added since it was built,
and how a new map's topics overlap the previous map's (both stay in the database)."""

from __future__ import annotations

from evaltui.store.db import Store


def unassigned_since_build(store: Store, map_id: int) -> dict[str, int]:
    """Conversations with text in map ``map_id``, filed when it was built vs added since, and
    how many of each no topic took. Build-time rows carry the map's own creation time (one
    transaction); rows added by ``assign_new_spans`` come later."""
    con = store.con
    row = con.execute(
        """
        SELECT count(*) FILTER (WHERE st.assigned <= m.created),
               count(*) FILTER (WHERE st.assigned <= m.created AND st.topic_id IS NULL),
               count(*) FILTER (WHERE st.assigned > m.created),
               count(*) FILTER (WHERE st.assigned > m.created AND st.topic_id IS NULL)
        FROM span_topics st JOIN topic_maps m ON m.id = st.map_id
        WHERE st.map_id = ? AND coalesce(st.method, '') <> 'no_text'
        """,
        [map_id],
    ).fetchall()[0]
    return {"built": row[0], "built_unassigned": row[1], "new": row[2], "new_unassigned": row[3]}


def previous_map_id(store: Store, map_id: int) -> int | None:
    """The map built just before ``map_id``, if any."""
    con = store.con
    row = con.execute("SELECT max(id) FROM topic_maps WHERE id < ?", [map_id]).fetchall()[0][0]
    return row


def topic_overlap(store: Store, old_map: int, new_map: int) -> list[tuple[str | None, str | None, int]]:
    """(old topic key, new topic key, conversations) over every conversation in either map;
    None for unassigned or absent."""
    con = store.con
    rows = con.execute(
        """
        WITH o AS (SELECT st.span_id, t.key FROM span_topics st
                   LEFT JOIN topics t ON t.map_id = st.map_id AND t.topic_id = st.topic_id WHERE st.map_id = ?),
             n AS (SELECT st.span_id, t.key FROM span_topics st
                   LEFT JOIN topics t ON t.map_id = st.map_id AND t.topic_id = st.topic_id WHERE st.map_id = ?)
        SELECT o.key, n.key, count(*) FROM o FULL OUTER JOIN n ON o.span_id = n.span_id
        GROUP BY ALL ORDER BY 1 NULLS LAST, 2 NULLS LAST
        """,
        [old_map, new_map],
    ).fetchall()
    return [(r[0], r[1], int(r[2])) for r in rows]


def map_keys(store: Store, map_id: int) -> list[str]:
    con = store.con
    return [r[0] for r in con.execute("SELECT key FROM topics WHERE map_id = ? ORDER BY topic_id", [map_id]).fetchall()]
