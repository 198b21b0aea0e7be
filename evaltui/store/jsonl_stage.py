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
from evaltui.store.spans import StagedFacts


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


def stage_jsonl(
    store: Store, path: str, columns: Mapping[str, str], json_columns: Sequence[str], max_depth: int
) -> tuple[int, int, int, StagedFacts]:
    """Read the JSONL file at ``path`` (already literal, no globs) into the stage.

    ``columns`` types every column, so DuckDB infers nothing; ``scores`` is a typed
    ``STRUCT(...)[]``, unnested as read (no JSON text kept and parsed again). Returns
    (spans, scores) that need a line-numbered report, and how many spans or scores may
    nest deeper than ``max_depth`` (``json_columns`` of the spans, a score's metadata
    inside its two levels of list and object; ``maybe_too_deep`` fetches them); a count
    of spans, not scores, for the scores: only whether it is 0 matters; and what the
    checks prove for the merge (``StagedFacts``, good when the first two are 0). Raises
    ``duckdb.Error`` when DuckDB cannot read the file or a value cannot take its type."""
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
    store.create_temp_view(
        "_stage_spans",
        f"""
        SELECT id, coalesce(root_id, id) AS root_id, parent_id, coalesce(name, 'span') AS name,
               coalesce(span_type, 'span') AS span_type,
               {utc("ts")} AS ts, input, output, expected, error, metadata, tags, metrics
        FROM _raw
        """,
    )
    # A view too: the merge reads the scores from the list they were read into.
    store.create_temp_view(
        "_stage_scores",
        f"""
        SELECT target_id, root_id, sc.name AS scorer, coalesce(sc.scorer_version, '') AS scorer_version,
               sc.score, sc.label, sc.rationale, coalesce(sc.source, 'online') AS source,
               coalesce({utc("sc.created")}, ts) AS created, sc.metadata
        FROM (
            SELECT id AS target_id, coalesce(root_id, id) AS root_id, {utc("ts")} AS ts,
                   unnest(scores) AS sc
            FROM _raw WHERE len(scores) > 0
        )
        """,
    )
    # Records that need a line-numbered report go the slow way; so does a repeated id,
    # reported with its lines, which only the line reader knows. One pass over the read,
    # the scores checked in their lists. (read_json writes a JSON value minified: an
    # object's text starts with its brace.)
    bad_score = "s.name IS NULL OR NOT coalesce(s.score BETWEEN 0 AND 1, true)"
    deep_score = _maybe_deep(["s.metadata"], max_depth - 2)
    # Plain scores (StagedFacts): within each span's list (span ids are checked distinct),
    # no two scores of one id's values and no two machine scores of one name; no chr(31) in
    # a span's id (the merge looks for it in the scorers' names, versions and sources).
    machine = "list_filter(scores, lambda s: coalesce(s.source, 'online') <> 'human')"
    score_key = (
        "concat_ws(chr(31), s.name, coalesce(s.scorer_version, ''), coalesce(s.source, 'online'), "
        "coalesce(s.created, ts)::VARCHAR)"
    )
    unplain = f"""
        contains(id, chr(31))
        OR CASE WHEN len(scores) > 1 THEN
                len(list_distinct(list_transform(scores, lambda s: {score_key}))) < len(scores)
                OR len(list_distinct(list_transform({machine}, lambda s: s.name))) < len({machine})
           ELSE false END"""
    n_spans, bad_spans, bad_scores, maybe_deep, unplain_spans = con.execute(
        f"""
        SELECT count(*),
               count(*) FILTER (
                   WHERE id IS NULL OR (parent_id IS NOT NULL AND root_id IS NULL)
                      OR NOT starts_with(coalesce(metadata, '{{}}')::VARCHAR, '{{')
                      OR NOT starts_with(coalesce(metrics, '{{}}')::VARCHAR, '{{'))
               + count(*) - count(DISTINCT id),
               count(*) FILTER (WHERE list_bool_or(list_transform(scores, lambda s: {bad_score}))),
               count(*) FILTER (
                   WHERE {_maybe_deep(json_columns, max_depth)}
                      OR list_bool_or(list_transform(scores, lambda s: {deep_score}))),
               count(*) FILTER (WHERE len(scores) > 0 AND coalesce({unplain}, true))
        FROM _raw
        """
    ).fetchall()[0]
    return bad_spans, bad_scores, maybe_deep, StagedFacts(spans=n_spans, scores_plain=not unplain_spans)


def utc(ts: str) -> str:
    """SQL: the TIMESTAMPTZ ``ts`` as a UTC TIMESTAMP. Both count microseconds since the
    epoch, so a finite value is taken over as it is: ``timezone('UTC', ts)`` goes through
    ICU's calendar for each value (about 0.15 us: 0.3 s of CPU per million spans and their
    scores); infinities still take it (``epoch_us`` has no value for them)."""
    return f"CASE WHEN isfinite({ts}) THEN make_timestamp(epoch_us({ts})) ELSE timezone('UTC', {ts}) END"


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


def maybe_too_deep(store: Store, json_columns: Sequence[str], max_depth: int) -> list[str]:
    """The staged JSON texts that may nest deeper than ``max_depth`` (as ``stage_jsonl``
    counts them), each with the depth it may reach: the spans' ``json_columns``, and each
    score's metadata (two levels inside the span's ``scores``) with ``max_depth - 2``.

    Counting brackets with replace() is cheap (a few % of a read); the caller measures
    these rare values exactly."""
    con = store.con
    texts = [
        text
        for row in con.execute(
            f"SELECT {', '.join(json_columns)} FROM _raw WHERE {_maybe_deep(json_columns, max_depth)}"
        ).fetchall()
        for text in row
    ]
    scores = con.execute(
        f"SELECT '[{{\"metadata\": ' || metadata || '}}]' FROM _stage_scores WHERE {_maybe_deep(['metadata'], max_depth - 2)}"
    ).fetchall()
    return [t for t in texts if t is not None] + [row[0] for row in scores]
