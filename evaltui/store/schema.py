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
    (
        "datasets and experiments",
        [
            """
            CREATE TABLE datasets (
                id          VARCHAR PRIMARY KEY,
                project     VARCHAR,
                name        VARCHAR NOT NULL UNIQUE,
                description VARCHAR,
                created     TIMESTAMP
            )
            """,
            """
            CREATE TABLE dataset_versions (
                dataset_id VARCHAR NOT NULL,
                version    INTEGER NOT NULL,   -- 1, 2, ...: every add/remove makes the next one
                created    TIMESTAMP,
                note       VARCHAR,            -- what made this version (the filter, the file...)
                added      INTEGER,
                removed    INTEGER,
                PRIMARY KEY (dataset_id, version)
            )
            """,
            # A record row is visible in versions [added_version, removed_version): older
            # versions stay readable without copying records.
            """
            CREATE TABLE dataset_records (
                dataset_id      VARCHAR NOT NULL,
                record_id       VARCHAR NOT NULL,
                added_version   INTEGER NOT NULL,
                removed_version INTEGER,
                input           JSON,
                expected        JSON,
                metadata        JSON,
                tags            VARCHAR[],
                bucket          VARCHAR,       -- failing | borderline | passing | unscored
                origin_span_id  VARCHAR,       -- the log span it came from
                created         TIMESTAMP
            )
            """,
            """
            CREATE TABLE experiments (
                id                 VARCHAR PRIMARY KEY,
                project            VARCHAR,
                name               VARCHAR NOT NULL UNIQUE,
                dataset_id         VARCHAR,
                dataset_version    INTEGER,      -- the version it ran on
                base_experiment_id VARCHAR,
                status             VARCHAR,      -- running | finished (running + no process = interrupted)
                trial_count        INTEGER,
                task               JSON,         -- code reference, prompt hash, model, params
                metadata           JSON,
                created            TIMESTAMP,
                finished           TIMESTAMP
            )
            """,
            # One row per (experiment, case, trial): the primary key makes a duplicate
            # impossible, so a resumed run can only fill the gaps.
            """
            CREATE TABLE experiment_results (
                id            VARCHAR PRIMARY KEY,  -- md5(experiment, case, trial)
                experiment_id VARCHAR NOT NULL,
                case_id       VARCHAR NOT NULL,     -- the record id, else a hash of the input
                record_id     VARCHAR,
                trial         INTEGER NOT NULL,
                input         JSON,
                expected      JSON,
                output        JSON,
                metadata      JSON,
                tags          VARCHAR[],
                bucket        VARCHAR,
                error         VARCHAR,              -- the task's traceback when it failed
                duration_s    DOUBLE,
                metrics       JSON,                 -- tokens, cost... as the task reported them
                created       TIMESTAMP
            )
            """,
            # Eval scores in long format, one row per (result, scorer); a failed scorer
            # keeps its error here and no score.
            """
            CREATE TABLE result_scores (
                result_id     VARCHAR NOT NULL,
                experiment_id VARCHAR NOT NULL,
                scorer        VARCHAR NOT NULL,
                scorer_key    VARCHAR NOT NULL,
                score         DOUBLE,
                label         VARCHAR,
                rationale     VARCHAR,
                error         VARCHAR,
                metadata      JSON
            )
            """,
        ],
    ),
    (
        "llm cache and scoring rules",
        [
            # Model replies by request hash, so an unchanged re-run makes no calls.
            # The request is model + messages + parameters: never the API key.
            """
            CREATE TABLE llm_cache (
                key               VARCHAR PRIMARY KEY,  -- sha256 of (model, messages, parameters)
                model             VARCHAR,
                request           JSON,
                response          JSON,
                prompt_tokens     INTEGER,
                completion_tokens INTEGER,
                created           TIMESTAMP
            )
            """,
            # Online scoring rules: which scorers run on which spans, how often.
            """
            CREATE TABLE scoring_rules (
                name        VARCHAR PRIMARY KEY,
                scorers     VARCHAR[] NOT NULL,
                filter      VARCHAR,            -- the filter language; NULL = every span in scope
                sample_rate DOUBLE NOT NULL DEFAULT 1.0,
                scope       VARCHAR NOT NULL DEFAULT 'auto',  -- auto | conversation | turn | all | a span name
                created     TIMESTAMP,
                updated     TIMESTAMP
            )
            """,
        ],
    ),
    (
        "embeddings and topic maps",
        [
            # Sentence embeddings by (md5 of the text, model): a text is embedded once.
            """
            CREATE TABLE embeddings (
                text_hash VARCHAR NOT NULL,   -- md5 of the UTF-8 text
                model     VARCHAR NOT NULL,
                vector    FLOAT[] NOT NULL,   -- L2-normalised
                created   TIMESTAMP
            )
            """,
            # A topic map: how it was built. One map is active: it files spans.topic.
            """
            CREATE TABLE topic_maps (
                id         INTEGER PRIMARY KEY,
                facet      VARCHAR NOT NULL,   -- the text embedded: first_message | transcript | summary
                model      VARCHAR NOT NULL,
                params     JSON,               -- min_cluster_size, seed, threshold, sample size...
                active     BOOLEAN NOT NULL DEFAULT false,
                n_spans    INTEGER,
                n_topics   INTEGER,
                created    TIMESTAMP
            )
            """,
            # key is the stable identity (what `topic = ...` matches); it survives rebuilds
            # when a new cluster matches an old one.
            """
            CREATE TABLE topics (
                map_id    INTEGER NOT NULL,
                topic_id  INTEGER NOT NULL,   -- 0..k-1 within the map
                key       VARCHAR NOT NULL,
                label     VARCHAR,            -- c-TF-IDF keywords: "password reset · locked out · login"
                name      VARCHAR,            -- an LLM-written name when an endpoint is configured
                keywords  VARCHAR[],
                size      INTEGER,            -- conversations in the topic when built
                radius    DOUBLE,             -- assignment threshold: cosine distance to the centroid
                centroid  FLOAT[],
                PRIMARY KEY (map_id, topic_id)
            )
            """,
            # Each root span's place in a map: topic_id NULL = unassigned (an outlier).
            """
            CREATE TABLE span_topics (
                map_id    INTEGER NOT NULL,
                span_id   VARCHAR NOT NULL,
                topic_id  INTEGER,
                distance  DOUBLE,             -- cosine distance to the topic's centroid
                method    VARCHAR,            -- cluster | centroid | cheap | no_text
                assigned  TIMESTAMP
            )
            """,
        ],
    ),
    (
        "re-scored eval results",
        [
            # A result's scores from the run keep scorer_version NULL; re-scoring stored
            # outputs with another judge (no task re-run) adds rows under that judge's
            # name and version, so both grades stay side by side.
            "ALTER TABLE result_scores ADD COLUMN scorer_version VARCHAR",
            "ALTER TABLE result_scores ADD COLUMN created TIMESTAMP",
        ],
    ),
    (
        "saved log views",
        [
            # A named log browser view (filter, extra columns, order), as Braintrust and
            # Langfuse keep them: saved in the file, so every process and user sees them.
            """
            CREATE TABLE saved_views (
                name        VARCHAR PRIMARY KEY,
                filter      VARCHAR NOT NULL,
                columns     VARCHAR[] NOT NULL,
                sort        VARCHAR NOT NULL,
                descending  BOOLEAN NOT NULL,
                created     TIMESTAMP NOT NULL
            )
            """,
        ],
    ),
    (
        "topic groups",
        [
            # Two levels: a map's topics fall into groups (e.g. "account" over "password
            # reset", "locked out"). spans.topic_group holds the group key as spans.topic
            # holds the topic key, so `group = KEY` filters like `topic = KEY`.
            "ALTER TABLE topics ADD COLUMN group_id INTEGER",
            """
            CREATE TABLE topic_groups (
                map_id    INTEGER NOT NULL,
                group_id  INTEGER NOT NULL,
                key       VARCHAR NOT NULL,
                label     VARCHAR,
                name      VARCHAR,
                keywords  VARCHAR[],
                size      INTEGER,
                PRIMARY KEY (map_id, group_id)
            )
            """,
            "ALTER TABLE spans ADD COLUMN topic_group VARCHAR",
        ],
    ),
    (
        "prompts and the prompt versions each experiment ran",
        [
            # A prompt's versions: 1, 2, ... in the order they were added; a version is a
            # content hash (messages, model, params), so adding the same content again
            # makes none.
            """
            CREATE TABLE prompts (
                name     VARCHAR NOT NULL,
                version  INTEGER NOT NULL,
                hash     VARCHAR NOT NULL,
                content  JSON NOT NULL,      -- {messages, model, params}
                source   VARCHAR,            -- the file it came from
                created  TIMESTAMP,
                PRIMARY KEY (name, version)
            )
            """,
            # Written with the first result that built the version (prompt.build()).
            """
            CREATE TABLE experiment_prompts (
                experiment_id VARCHAR NOT NULL,
                name          VARCHAR NOT NULL,
                version       INTEGER,
                hash          VARCHAR NOT NULL,
                PRIMARY KEY (experiment_id, name, hash)
            )
            """,
        ],
    ),
    (
        "stored scorers by slug",
        [
            # A scorer kept in the database under a slug (Braintrust's UI-defined scorers,
            # `init_function(slug=...)`): a rubric's text, or a `module:attr` reference.
            # A new content hash is a new version, as for prompts.
            """
            CREATE TABLE stored_scorers (
                slug     VARCHAR NOT NULL,
                version  INTEGER NOT NULL,
                hash     VARCHAR NOT NULL,
                kind     VARCHAR NOT NULL,   -- rubric | python
                content  VARCHAR NOT NULL,   -- the rubric file's text, or module:attr
                format   VARCHAR,            -- a rubric's file suffix: .yaml | .yml | .toml
                project  VARCHAR,
                source   VARCHAR,            -- the file it came from
                created  TIMESTAMP,
                PRIMARY KEY (slug, version)
            )
            """,
        ],
    ),
    (
        "review queues",
        [
            # A review queue: the targets (log spans or eval results) people should label
            # for one rubric, in the order that teaches the most per label. The labels
            # themselves are `scores` rows (source 'human', metadata.reviewer).
            """
            CREATE TABLE review_queues (
                name        VARCHAR PRIMARY KEY,
                scorer_key  VARCHAR NOT NULL,   -- whose labels: the rubric (brand_alignment)
                kind        VARCHAR NOT NULL,   -- span | result
                source      VARCHAR NOT NULL,   -- how it was built: the filter, or "diff BASE CANDIDATE"
                reviews     INTEGER NOT NULL,   -- labels (by distinct reviewers) each item asks for
                created     TIMESTAMP NOT NULL
            )
            """,
            """
            CREATE TABLE review_items (
                queue       VARCHAR NOT NULL,
                position    INTEGER NOT NULL,   -- 0 = the item that teaches the most
                target_id   VARCHAR NOT NULL,
                priority    DOUBLE,
                reason      VARCHAR,            -- why it is here, in words
                PRIMARY KEY (queue, target_id)
            )
            """,
            # What each reviewer did in a queue, newest last: undo takes back the last one
            # (a label is then deleted from `scores`); a skip sends the item to the end.
            """
            CREATE TABLE review_actions (
                queue       VARCHAR NOT NULL,
                target_id   VARCHAR NOT NULL,
                reviewer    VARCHAR NOT NULL,
                action      VARCHAR NOT NULL,   -- label | skip
                created     TIMESTAMP NOT NULL
            )
            """,
        ],
    ),
    (
        "pairwise judging and pairwise labels",
        [
            # One pairwise judging of CANDIDATE against BASE with one judge version and seed
            # (`evaltui pairwise`); its id is a hash of those, so running it again resumes it.
            """
            CREATE TABLE pairwise_runs (
                id             VARCHAR PRIMARY KEY,
                base_id        VARCHAR NOT NULL,   -- experiments.id
                candidate_id   VARCHAR NOT NULL,
                scorer         VARCHAR NOT NULL,   -- the rubric's name
                scorer_key     VARCHAR NOT NULL,
                scorer_version VARCHAR NOT NULL,   -- the pairwise prompt's hash + model
                model          VARCHAR,
                seed           INTEGER NOT NULL,
                created        TIMESTAMP,
                updated        TIMESTAMP
            )
            """,
            # Per matched case: the judge asked twice, the two outputs in a seeded random
            # order and then swapped; verdicts say which side won (base | candidate | tie).
            # Two verdicts that differ make a tie and consistent = false.
            """
            CREATE TABLE pairwise_results (
                run_id      VARCHAR NOT NULL,
                case_key    VARCHAR NOT NULL,   -- the diff's case key (record id or input hash, #n)
                bucket      VARCHAR,
                first_shown VARCHAR,            -- the side shown first in the first order: base | candidate
                verdict_1   VARCHAR,            -- the first order's verdict
                verdict_2   VARCHAR,            -- the swapped order's verdict
                verdict     VARCHAR,            -- base | candidate | tie; NULL when error
                consistent  BOOLEAN,
                rationale_1 VARCHAR,
                rationale_2 VARCHAR,
                error       VARCHAR,            -- why the judge could not grade this case
                created     TIMESTAMP,
                PRIMARY KEY (run_id, case_key)
            )
            """,
            # A person's mark of the better side of a case in the diff pane (<, >, =).
            """
            CREATE TABLE pairwise_labels (
                base_id      VARCHAR NOT NULL,
                candidate_id VARCHAR NOT NULL,
                case_key     VARCHAR NOT NULL,
                reviewer     VARCHAR NOT NULL,
                verdict      VARCHAR NOT NULL,  -- base | candidate | tie
                created      TIMESTAMP
            )
            """,
        ],
    ),
    (
        "trace roots",
        [
            # OpenTelemetry spans arrive in batches (`evaltui serve`), a trace's root often
            # after its children: each trace's root span, so a later batch finds it.
            "CREATE TABLE trace_roots (trace_id VARCHAR PRIMARY KEY, root_id VARCHAR NOT NULL)",
        ],
    ),
    (
        "spans' long texts compressed with zstd",
        [
            # A span's input, output and expected are its long texts (a root's input carries
            # the system prompt: 1-3 KB). DuckDB's default for text (DICT_FSST) weighs every
            # method on every segment: writing them was about half the CPU of ingesting a
            # file. With zstd the same 1M spans write in about half the CPU into a file 0.4x
            # the size, and their reads (a page, a trace, a scan) cost no more (bench/RESULTS.md).
            # The ids and the short, filtered columns keep the default. The same rows, in order.
            """
            CREATE TABLE spans_zstd (
                id          VARCHAR NOT NULL,
                root_id     VARCHAR NOT NULL,
                parent_id   VARCHAR,
                name        VARCHAR,
                span_type   VARCHAR,
                ts          TIMESTAMP,
                input       JSON USING COMPRESSION ZSTD,
                output      JSON USING COMPRESSION ZSTD,
                expected    JSON USING COMPRESSION ZSTD,
                error       VARCHAR,
                metadata    JSON,
                tags        VARCHAR[],
                metrics     JSON,
                source      VARCHAR,
                ingested_at TIMESTAMP,
                topic       VARCHAR,
                topic_group VARCHAR
            )
            """,
            "INSERT INTO spans_zstd SELECT * FROM spans",
            "DROP TABLE spans",
            "ALTER TABLE spans_zstd RENAME TO spans",
        ],
    ),
]

SCHEMA_VERSION = len(MIGRATIONS)
