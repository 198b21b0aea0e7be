"""The database schema as an ordered list of migrations.

Migration N takes a file at schema version N-1 to version N. A file is migrated
when it is opened; a file whose version is newer than ``SCHEMA_VERSION`` is refused.
Keep SQL portable DuckDB SQL (the same statements run on MotherDuck or DuckLake).
"""

from __future__ import annotations

MIGRATIONS: list[tuple[str, list[str]]] = [
    (
        "spans and scores",
        [
            """
            CREATE TABLE spans (
                id          VARCHAR NOT NULL,   -- stable: re-ingesting adds nothing twice
                root_id     VARCHAR NOT NULL,   -- the conversation (trace) this span belongs to
                parent_id   VARCHAR,            -- NULL for a root span
                name        VARCHAR,
                span_type   VARCHAR,            -- conversation | turn | llm | tool | task | span
                ts          TIMESTAMP,          -- UTC
                input       JSON,
                output      JSON,
                expected    JSON,
                error       VARCHAR,
                metadata    JSON,
                tags        VARCHAR[],
                metrics     JSON,               -- latency_s, prompt_tokens, completion_tokens, cost_usd...
                source      VARCHAR,            -- format:file it came from
                ingested_at TIMESTAMP
            )
            """,
            """
            CREATE TABLE scores (
                id             VARCHAR NOT NULL,
                target_id      VARCHAR NOT NULL,   -- a span id (or, later, an experiment result id)
                root_id        VARCHAR,            -- the trace of the target, for roll-ups
                scorer         VARCHAR NOT NULL,   -- as logged: "Brand Alignment"
                scorer_key     VARCHAR NOT NULL,   -- normalised: brand_alignment
                scorer_version VARCHAR NOT NULL DEFAULT '',
                score          DOUBLE,             -- 0..1
                label          VARCHAR,            -- the choice: A/B/C, Y/N...
                rationale      VARCHAR,
                source         VARCHAR NOT NULL,   -- online | eval | human
                created        TIMESTAMP,
                metadata       JSON
            )
            """,
        ],
    ),
    (
        "topic per span and score roll-up",
        [
            # The topic a span is filed under: a topic map's assignment, else the
            # root span's metadata.topic tag. NULL = unassigned.
            "ALTER TABLE spans ADD COLUMN topic VARCHAR",
            # One row per (span, scorer): the span's latest machine score; for a root
            # span without its own score, the mean over its trace. Kept in step by
            # the store after every write so filters and stats are one join away.
            """
            CREATE TABLE score_rollup (
                span_id    VARCHAR NOT NULL,
                root_id    VARCHAR,
                scorer_key VARCHAR NOT NULL,
                score      DOUBLE,
                label      VARCHAR
            )
            """,
        ],
    ),
]

SCHEMA_VERSION = len(MIGRATIONS)
