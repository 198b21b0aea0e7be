"""Staging evaltui's span JSONL straight from DuckDB's ``read_json`` (the ingest fast path).

The stage is a pair of views over one raw read (``_raw``), so the file is parsed once
and its rows are copied once more, into the store (``evaltui.store.spans.merge_stage``).
``evaltui.ingest.evaltui_jsonl`` decides, from the counts here, whether the file must
be read again line by line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from evaltui.store.db import Store


@contextmanager
def unordered_writes(store: Store) -> Iterator[None]:
    """Let DuckDB write the rows of the statements inside in any order (each thread its
    own row groups, no merging them back into the file's order): about a tenth less CPU
    for the stage and the copy of a big file. Nothing reads spans or scores in insertion
    order; the stage's checks count rows and look for repeated ids, in any order."""
    con = store.con
    before = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if before else 'false'}")


def stage_jsonl(store: Store, path: str, columns: Mapping[str, str], score_struct: str) -> tuple[int, int]:
    """Read the JSONL file at ``path`` (already literal, no globs) into the stage; returns
    (spans, scores) that need a line-numbered report. Raises ``duckdb.Error`` when DuckDB
    cannot read the file."""
    con = store.con
    cols = "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"
    con.execute(
        f"""
        CREATE TEMP TABLE _raw AS
        SELECT * FROM read_json(?, format = 'newline_delimited', columns = {cols},
                                maximum_object_size = 134217728)
        """,
        [path],
    )
    con.execute(
        """
        CREATE TEMP VIEW _stage_spans AS
        SELECT id, coalesce(root_id, id) AS root_id, parent_id, coalesce(name, 'span') AS name,
               coalesce(span_type, 'span') AS span_type,
               timezone('UTC', ts) AS ts, input, output, expected, error, metadata, tags, metrics
        FROM _raw
        """
    )
    con.execute(
        f"""
        CREATE TEMP TABLE _stage_scores AS
        SELECT target_id, root_id, sc.name AS scorer, coalesce(sc.scorer_version, '') AS scorer_version,
               sc.score, sc.label, sc.rationale, coalesce(sc.source, 'online') AS source,
               coalesce(timezone('UTC', sc.created), ts) AS created, sc.metadata
        FROM (
            SELECT id AS target_id, coalesce(root_id, id) AS root_id, timezone('UTC', ts) AS ts,
                   unnest(from_json(scores, '{score_struct}')) AS sc
            FROM _raw WHERE scores IS NOT NULL
        )
        """
    )
    # Records that need a line-numbered report go the slow way; so does a repeated id,
    # reported with its lines, which only the line reader knows. One pass over the read.
    bad_spans = con.execute(
        """
        SELECT count(*) FILTER (
                   WHERE id IS NULL OR (parent_id IS NOT NULL AND root_id IS NULL)
                      OR (metadata IS NOT NULL AND json_type(metadata) <> 'OBJECT')
                      OR (metrics IS NOT NULL AND json_type(metrics) <> 'OBJECT')
                      OR (scores IS NOT NULL AND json_type(scores) <> 'ARRAY'))
               + count(*) - count(DISTINCT id)
        FROM _raw
        """
    ).fetchall()[0][0]
    bad_scores = con.execute(
        "SELECT count(*) FROM _stage_scores WHERE scorer IS NULL OR NOT (score BETWEEN 0 AND 1)"
    ).fetchall()[0][0]
    return bad_spans, bad_scores


def _maybe_deep(columns: Sequence[str], max_depth: int) -> str:
    """SQL, true where one of ``columns`` holds more than ``max_depth`` ``[`` and ``{``.
    A JSON value nested deeper has that many openers and as many closers, so a text
    shorter than 2 * (max_depth + 1) is not counted (most are: the count is the cost)."""
    shortest = 2 * (max_depth + 1)
    return " OR ".join(
        f"coalesce(CASE WHEN strlen({c}) >= {shortest} "
        f"THEN strlen({c}) - strlen(replace(replace({c}, '[', ''), '{{', '')) > {max_depth} END, false)"
        for c in columns
    )


def maybe_too_deep(store: Store, json_columns: Sequence[str], max_depth: int) -> list[tuple[str | None, ...]]:
    """The raw rows' ``json_columns`` where one of them holds more than ``max_depth`` openers.

    Counting brackets with replace() is cheap (a few % of a read); the caller measures
    these rare values exactly."""
    return store.con.execute(
        f"SELECT {', '.join(json_columns)} FROM _raw WHERE {_maybe_deep(json_columns, max_depth)}"
    ).fetchall()


def staged_span_count(store: Store) -> int:
    """How many spans the stage holds."""
    return int(store.con.execute("SELECT count(*) FROM _stage_spans").fetchall()[0][0])
