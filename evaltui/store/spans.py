"""Writing spans and the scores logged on them.

Every importer fills two staging tables, ``_stage_spans`` and ``_stage_scores``
(from Arrow, or straight from ``read_json`` for evaltui's own format); ``merge_stage``
then moves what is new into ``spans`` and ``scores`` in one transaction. Ids are
stable, so a re-ingested file adds nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

import pyarrow as pa

from evaltui.store.db import Store
from evaltui.store.scores import SCORE_ID_SQL, SCORER_KEY_SQL, add_rollup, refresh_rollup

STAGE_SPANS_COLUMNS = (
    "id VARCHAR, root_id VARCHAR, parent_id VARCHAR, name VARCHAR, span_type VARCHAR, "
    "ts TIMESTAMP, input JSON, output JSON, expected JSON, error VARCHAR, metadata JSON, "
    "tags VARCHAR[], metrics JSON"
)
STAGE_SCORES_COLUMNS = (
    "target_id VARCHAR, root_id VARCHAR, scorer VARCHAR, scorer_version VARCHAR, score DOUBLE, "
    "label VARCHAR, rationale VARCHAR, source VARCHAR, created TIMESTAMP, metadata JSON"
)

SPANS_ARROW_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("root_id", pa.string()),
        ("parent_id", pa.string()),
        ("name", pa.string()),
        ("span_type", pa.string()),
        ("ts", pa.timestamp("us")),
        ("input", pa.string()),
        ("output", pa.string()),
        ("expected", pa.string()),
        ("error", pa.string()),
        ("metadata", pa.string()),
        ("tags", pa.list_(pa.string())),
        ("metrics", pa.string()),
    ]
)
SCORES_ARROW_SCHEMA = pa.schema(
    [
        ("target_id", pa.string()),
        ("root_id", pa.string()),
        ("scorer", pa.string()),
        ("scorer_version", pa.string()),
        ("score", pa.float64()),
        ("label", pa.string()),
        ("rationale", pa.string()),
        ("source", pa.string()),
        ("created", pa.timestamp("us")),
        ("metadata", pa.string()),
    ]
)


@dataclass(frozen=True)
class StagedFacts:
    """What a stage's own checks proved, so the merge need not find it out again.

    spans: how many spans are staged, no two with one id. scores_plain: every staged score
    names its trace, no span's list holds two scores of one (scorer, version, source,
    time) nor two machine scores of one scorer name, and no span id holds chr(31) (a
    score's id joins its values with it; the merge looks at the scorers' names, versions
    and sources): so no two staged scores share an id, and each machine score is its
    span's only one of its scorer name."""

    spans: int
    scores_plain: bool


@dataclass
class MergeResult:
    spans_added: int
    spans_already_present: int
    scores_added: int
    spans_changed: int = 0  # already stored with other content: the stored copy is kept


def create_stage(store: Store, fresh: bool = False) -> None:
    """The stage's tables; ``fresh``: the connection is new, so there is no stage to drop
    (three statements fewer in each of `serve`'s commits)."""
    con = store.con
    if not fresh:
        drop_stage(store)
    con.execute(f"CREATE TEMP TABLE _stage_spans ({STAGE_SPANS_COLUMNS})")
    con.execute(f"CREATE TEMP TABLE _stage_scores ({STAGE_SCORES_COLUMNS})")


def drop_stage(store: Store) -> None:
    """Drop the stage, whether it is tables (Arrow batches) or views over a raw read."""
    drop_temp(store, "_stage_spans", "_stage_scores", "_raw")


def drop_temp(store: Store, *names: str) -> None:
    """Drop temp tables or views by name, whichever each is, if it exists."""
    con = store.con
    # Which are views: those this Store made (``store.temp_views``, which
    # ``Store.create_temp_view`` keeps). Asking DuckDB's catalog (duckdb_views(), 1-2 ms a query;
    # information_schema took several) ran six times in each of `serve`'s commits; any
    # other name is dropped as a table if it exists (DROP TABLE IF EXISTS on a view is an
    # error, and aborts a transaction; DROP VIEW IF EXISTS of a view rolled back is not).
    views = store.temp_views
    for name in names:
        if name in views:
            con.execute(f"DROP VIEW IF EXISTS temp.main.{name}")
            views.discard(name)
        else:
            con.execute(f"DROP TABLE IF EXISTS temp.main.{name}")


def stage_arrow(store: Store, spans: pa.Table, scores: pa.Table | None) -> None:
    """Append Arrow batches (SPANS_ARROW_SCHEMA / SCORES_ARROW_SCHEMA; no scores: None) to
    the stage."""
    con = store.con
    con.register("_arrow_spans", spans)
    try:
        con.execute("INSERT INTO _stage_spans BY NAME SELECT * FROM _arrow_spans")
    finally:
        con.unregister("_arrow_spans")
    if scores is not None:
        con.register("_arrow_scores", scores)
        try:
            con.execute("INSERT INTO _stage_scores BY NAME SELECT * FROM _arrow_scores")
        finally:
            con.unregister("_arrow_scores")


def _topic_sql(metadata: str) -> str:
    """SQL for the ``topic`` of a span's metadata JSON; the JSON is parsed only when its
    text names a topic (most spans have none: parsing every span's metadata was a good part
    of a commit's merge in `evaltui serve`)."""
    return f"CASE WHEN contains({metadata}::VARCHAR, '\"topic\"') THEN json_extract_string({metadata}, '$.topic') END"


def merge_stage(
    store: Store,
    source: str,
    prepare: Callable[[Store], None] | None = None,
    facts: StagedFacts | None = None,
    new: int | None = None,
) -> MergeResult:
    """Move new staged spans and scores into the store, in one transaction (which
    ``prepare`` opens, to adjust the stage or the store first). ``facts``: what the stage's
    checks proved (``prepare`` must then leave the stage as it is). ``new``: the caller
    proved (`serve`'s committer, from the ids it knows are stored) that the stage holds
    ``new`` spans, no two with one id, none stored, none whose root is a stored span, and
    no stored span under the trace of a staged root: then nothing here reads ``spans``
    (each of those reads scanned the whole table, so a commit grew with it)."""
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        if prepare is not None:
            prepare(store)
        # How many spans are staged, and whether a root brings a topic (only then may stored
        # children take it, below; with ``facts``, that is asked only when spans are stored).
        topic_roots: bool | None = None
        if new is not None:
            staged = distinct = new
            topic_roots = False  # no stored span is under a staged root's trace (``new``)
        elif facts is not None:
            staged = distinct = facts.spans
        else:
            staged, distinct, topic_roots = con.execute(
                "SELECT count(*), count(DISTINCT id), "
                f"count(*) FILTER (WHERE parent_id IS NULL AND {_topic_sql('metadata')} IS NOT NULL) > 0 "
                "FROM _stage_spans"
            ).fetchall()[0]
        # With ``new``, the stored spans are as good as none to this merge: none is staged
        # again, none is the root of a staged span.
        stored_any = new is None and con.execute("SELECT EXISTS (SELECT 1 FROM spans)").fetchall()[0][0]
        present = (
            con.execute(
                "SELECT count(*) FROM _stage_spans s WHERE EXISTS (SELECT 1 FROM spans t WHERE t.id = s.id)"
            ).fetchall()[0][0]
            if stored_any
            else 0
        )
        changed = _count_changed(store) if present else 0
        drop_temp(store, "_new_spans")
        if staged == distinct and not present:
            # The common case, a new file: everything staged is new, no copy needed.
            store.create_temp_view("_new_spans", "SELECT * FROM _stage_spans")
        else:
            # First occurrence of each id, and not already stored.
            con.execute(
                """
                CREATE TEMP TABLE _new_spans AS
                SELECT DISTINCT ON (s.id) s.*
                FROM _stage_spans s
                WHERE NOT EXISTS (SELECT 1 FROM spans t WHERE t.id = s.id)
                """
            )
        # A span is filed under its own topic tag, else its root's (arrived now, or stored).
        stored_roots = (
            """
                UNION ALL
                SELECT id, topic FROM spans
                WHERE parent_id IS NULL AND id IN (SELECT DISTINCT root_id FROM _new_spans)"""
            if stored_any
            else ""
        )
        con.execute(
            f"""
            INSERT INTO spans BY NAME
            WITH root_topics AS (
                SELECT id, {_topic_sql("metadata")} AS topic
                FROM _new_spans WHERE parent_id IS NULL{stored_roots}
            )
            SELECT n.id, n.root_id, n.parent_id, n.name, n.span_type,
                   coalesce(n.ts, now()::TIMESTAMP) AS ts,
                   n.input, n.output, n.expected, n.error,
                   coalesce(n.metadata, '{{}}') AS metadata, coalesce(n.tags, []) AS tags,
                   coalesce(n.metrics, '{{}}') AS metrics,
                   coalesce({_topic_sql("n.metadata")}, r.topic) AS topic,
                   ? AS source, now()::TIMESTAMP AS ingested_at
            FROM _new_spans n LEFT JOIN root_topics r ON r.id = n.root_id
            """,
            [source],
        )
        added = (
            staged
            if staged == distinct and not present  # the view: every staged span is new
            else con.execute("SELECT count(*) FROM _new_spans").fetchall()[0][0]
        )
        # Children stored before their root arrived take the root's topic now (a scan of
        # `spans`: skipped when no new root has a topic, as in most of `serve`'s commits).
        if stored_any and topic_roots is None:
            topic_roots = con.execute(
                "SELECT EXISTS (SELECT 1 FROM _stage_spans "
                f"WHERE parent_id IS NULL AND {_topic_sql('metadata')} IS NOT NULL)"
            ).fetchall()[0][0]
        if stored_any and topic_roots:
            con.execute(
                """
                UPDATE spans SET topic = json_extract_string(r.metadata, '$.topic')
                FROM _new_spans r
                WHERE r.parent_id IS NULL AND spans.root_id = r.id AND spans.id <> r.id
                  AND spans.topic IS NULL AND json_extract_string(r.metadata, '$.topic') IS NOT NULL
                  AND spans.id NOT IN (SELECT id FROM _new_spans)
                """
            )
        scores_added = _merge_scores(store, proved=facts is not None and facts.scores_plain)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        drop_temp(store, "_new_spans")
    return MergeResult(added, staged - added, scores_added, changed)


def _count_changed(store: Store) -> int:
    con = store.con
    """Staged spans whose id is stored with other content (compared as minified JSON)."""
    return con.execute(
        """
        SELECT count(DISTINCT s.id) FROM _stage_spans s JOIN spans t ON t.id = s.id
        WHERE json(s.input) IS DISTINCT FROM json(t.input) OR json(s.output) IS DISTINCT FROM json(t.output)
           OR json(s.expected) IS DISTINCT FROM json(t.expected) OR s.error IS DISTINCT FROM t.error
           OR json(coalesce(s.metadata, '{}')) IS DISTINCT FROM json(t.metadata)
           OR s.parent_id IS DISTINCT FROM t.parent_id
        """
    ).fetchall()[0][0]


def _merge_scores(store: Store, proved: bool = False) -> int:
    """Move the staged scores that are new into ``scores`` and roll them up. ``proved``: the
    stage's checks proved its scores plain, but for the scorers' names (``StagedFacts``)."""
    con = store.con
    if not con.execute("SELECT EXISTS (SELECT 1 FROM _stage_scores)").fetchall()[0][0]:
        return 0  # no scores (most of `serve`'s commits): nothing to add, nothing to roll up
    drop_temp(store, "_scored", "_new_scores", "_scorer_keys")
    # The scores are plain when no two staged scores share an id, each machine score is its
    # span's only one of its scorer, and no two names share a key: then each is its span's
    # latest (no "latest of" in the roll-up). The pass that computes each scorer's key once
    # per name tells it: whether a name, version or source holds chr(31) (which an id joins
    # its values with), from one row per scorer, version and source when the stage proved
    # the rest; else counted per scorer, by hashes (a collision only sends the scores the
    # longer way): no two scores share their span, version and source, no two machine
    # scores their span, and no span id holds chr(31).
    key = SCORER_KEY_SQL.format(col="scorer")
    version, origin = "coalesce(scorer_version, '')", "coalesce(source, 'online')"
    if proved:
        con.execute(
            f"""
            CREATE TEMP TABLE _scorer_keys AS
            SELECT scorer, {key} AS scorer_key, sum(n) AS n, 0 AS unrooted,
                   bool_or(contains(concat(scorer, scorer_version, source), chr(31))) AS odd,
                   true AS each_once
            FROM (SELECT scorer, scorer_version, source, count(*) AS n FROM _stage_scores GROUP BY ALL)
            GROUP BY scorer
            """
        )
    else:
        con.execute(
            f"""
            CREATE TEMP TABLE _scorer_keys AS
            SELECT scorer, {key} AS scorer_key, count(*) AS n, count(*) FILTER (WHERE root_id IS NULL) AS unrooted,
                   coalesce(bool_or(contains(concat(target_id, scorer_version, source), chr(31))), false)
                     OR contains(scorer, chr(31)) AS odd,
                   count(DISTINCT hash(target_id, {version}, {origin})) = count(*)
                     AND count(DISTINCT hash(target_id)) FILTER (WHERE {origin} <> 'human')
                         = count(*) FILTER (WHERE {origin} <> 'human') AS each_once
            FROM _stage_scores GROUP BY scorer
            """
        )
    staged, unrooted, plain = con.execute(
        "SELECT coalesce(sum(n), 0), coalesce(sum(unrooted), 0), "
        "coalesce(bool_and(each_once AND NOT odd), true) AND count(DISTINCT scorer_key) = count(*) "
        "FROM _scorer_keys"
    ).fetchall()[0]
    if not staged:
        drop_temp(store, "_scorer_keys")
        return 0
    # The trace of each score: given by the importer, else looked up from its span.
    trace = "coalesce(s.root_id, sp.root_id)" if unrooted else "s.root_id"
    lookup = "LEFT JOIN spans sp ON sp.id = s.target_id" if unrooted else ""
    scored = f"""
        SELECT {SCORE_ID_SQL} AS id, s.target_id, {trace} AS root_id, s.scorer, k.scorer_key,
               coalesce(s.scorer_version, '') AS scorer_version, s.score, s.label, s.rationale,
               coalesce(s.source, 'online') AS source, coalesce(s.created, now()::TIMESTAMP) AS created,
               s.metadata
        FROM _stage_scores s {lookup} LEFT JOIN _scorer_keys k ON k.scorer = s.scorer
    """
    # Plain scores that all carry their trace, none stored on these spans or under these
    # traces (a new file): from the stage into `scores` in one pass (each id computed once,
    # by the insert), and their roll-up from them alone.
    if plain and not unrooted:
        touched = (
            con.execute("SELECT EXISTS (SELECT 1 FROM scores)").fetchall()[0][0]
            and (
                con.execute(
                    "SELECT EXISTS (SELECT 1 FROM scores WHERE root_id IN (SELECT root_id FROM _stage_scores) "
                    "OR target_id IN (SELECT target_id FROM _stage_scores))"
                ).fetchall()[0][0]
            )
        )
        if not touched:
            store.create_temp_view("_scored", scored)
            con.execute("INSERT INTO scores BY NAME SELECT * FROM _scored")
            add_rollup(store, "_scored", one_each=True)
            drop_temp(store, "_scored", "_scorer_keys")
            return int(staged)
    # Otherwise each id once, then only the first copy of each id not stored yet.
    con.execute(f"CREATE TEMP TABLE _scored AS {scored}")
    # one_each: no span has two machine scores of one scorer here (the roll-up then needs no
    # "latest of" per span); true of any subset too, so of the deduplicated rows.
    one_each = con.execute(
        """
        SELECT count(*) FILTER (WHERE source <> 'human' AND root_id IS NOT NULL)
                 = count(DISTINCT (target_id, root_id, scorer_key)) FILTER (WHERE source <> 'human' AND root_id IS NOT NULL)
        FROM _scored
        """
    ).fetchall()[0][0]
    fresh = not con.execute(
        "SELECT EXISTS (SELECT 1 FROM scores WHERE root_id IN (SELECT root_id FROM _scored))"
    ).fetchall()[0][0]
    con.execute(
        "CREATE TEMP TABLE _new_scores AS SELECT DISTINCT ON (st.id) st.* FROM _scored st "
        "WHERE NOT EXISTS (SELECT 1 FROM scores t WHERE t.id = st.id)"
    )
    con.execute("INSERT INTO scores BY NAME SELECT * FROM _new_scores")
    added = con.execute("SELECT count(*) FROM _new_scores").fetchall()[0][0]
    if added and fresh:
        add_rollup(store, "_new_scores", one_each=one_each)
    elif added:
        refresh_rollup(store, "SELECT DISTINCT root_id FROM _new_scores WHERE root_id IS NOT NULL")
    drop_temp(store, "_new_scores", "_scored", "_scorer_keys")
    return added


def span_metadata_value(store: Store, span_id: str, path: str) -> tuple[str | None] | None:
    """(value at JSON ``path``, e.g. ``$.reply_quality``, of span ``span_id``'s metadata,) or None
    when there is no such span."""
    rows = store.con.execute(
        "SELECT json_extract_string(metadata, ?) FROM spans WHERE id = ?", [path, span_id]
    ).fetchall()
    return (rows[0][0],) if rows else None
