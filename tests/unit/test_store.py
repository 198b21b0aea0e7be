"""The database file: schema versions, migrations, refusal of newer files, round trips."""

from __future__ import annotations

import re

import duckdb
import pytest

from evaltui.ingest import ingest_file
from evaltui.store import SCHEMA_VERSION, Store, StoreError
from evaltui.store import logs
from evaltui.store.db import migrate
from tests.helpers import conversation, span, write_jsonl


def test_new_file_is_at_current_schema(db_path):
    with Store(db_path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        tables = {r[0] for r in store.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert {"spans", "scores", "score_rollup", "evaltui_meta"} <= tables


def test_older_file_is_migrated_and_keeps_its_rows(db_path):
    # A file as the first release wrote it: schema 1, with a span in it.
    con = duckdb.connect(str(db_path))
    con.execute("CREATE TABLE evaltui_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO evaltui_meta VALUES ('schema_version', '0')")
    migrate(con, 0, 1)
    con.execute(
        "INSERT INTO spans (id, root_id, name, span_type, ts, metadata) "
        "VALUES ('old', 'old', 'conversation', 'conversation', TIMESTAMP '2026-01-01', '{\"topic\": \"billing\"}')"
    )
    con.close()
    with Store(db_path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.con.execute("SELECT id FROM spans").fetchall() == [("old",)]
        columns = {r[0] for r in store.con.execute("DESCRIBE spans").fetchall()}
        assert "topic" in columns


def test_spans_long_texts_move_to_zstd_keeping_every_row(db_path, tmp_path):
    # A file at the schema before the spans' long texts were stored with zstd, holding spans
    # (long texts among them, nulls, topics, tags) as an ingest wrote them there.
    long_text = "You are Juno, the support assistant. " * 60
    rows = conversation(1, "billing", 0.5, cq=1.0) + conversation(2, "refunds", 0.0)
    rows.append(
        span(
            "c3",
            input=[{"role": "system", "content": long_text}, {"role": "user", "content": "hi"}],
            output=long_text,
            expected={"answer": long_text},
            ts="2026-11-02T10:00:00Z",
            metadata={"topic": "billing", "nested": {"a": [1, 2]}},
            tags=["production"],
        )
    )
    new_db = tmp_path / "new.duckdb"
    with Store(new_db) as store:
        assert ingest_file(store, write_jsonl(tmp_path / "a.jsonl", rows)).added == 5
    con = duckdb.connect(str(db_path))
    con.execute("CREATE TABLE evaltui_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO evaltui_meta VALUES ('schema_version', '0')")
    migrate(con, 0, SCHEMA_VERSION - 1)
    before_sql = con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'spans'").fetchone()[0]
    assert "ZSTD" not in before_sql
    con.execute(f"ATTACH '{new_db}' AS new (READ_ONLY)")
    con.execute("INSERT INTO spans SELECT * FROM new.spans ORDER BY ts, id")
    everything = "SELECT *, rowid FROM spans ORDER BY rowid"
    stored = con.execute(everything).fetchall()
    described = con.execute("DESCRIBE spans").fetchall()
    con.close()
    with Store(db_path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        # The same rows in the same order, the same columns, types and constraints.
        assert store.con.execute(everything).fetchall() == stored
        assert store.con.execute("DESCRIBE spans").fetchall() == described
        after_sql = store.con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'spans'").fetchone()[0]
        assert after_sql.replace(" USING COMPRESSION ZSTD", "") == before_sql
        assert re.findall(r'"?(\w+)"? JSON USING COMPRESSION ZSTD', after_sql) == ["input", "output", "expected"]
        store.con.execute("CHECKPOINT")
        methods = dict(
            store.con.execute(
                "SELECT column_name, list(DISTINCT compression) FROM pragma_storage_info('spans') "
                "WHERE segment_type IN ('VARCHAR', 'JSON') GROUP BY column_name"
            ).fetchall()
        )
        assert "ZSTD" in methods["input"] and "ZSTD" in methods["output"]
        assert "ZSTD" not in methods["id"] and "ZSTD" not in methods["root_id"]


def test_newer_file_is_refused_with_one_line(db_path):
    with Store(db_path) as store:
        store.con.execute("UPDATE evaltui_meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(StoreError) as info:
        Store(db_path)
    message = str(info.value)
    assert "newer evaltui" in message and "999" in message and "\n" not in message


def test_foreign_duckdb_file_is_refused(db_path):
    con = duckdb.connect(str(db_path))
    con.execute("CREATE TABLE something_else (x INT)")
    con.close()
    with pytest.raises(StoreError, match="not an evaltui database"):
        Store(db_path)


def test_not_a_database_file(tmp_path):
    bogus = tmp_path / "notes.duckdb"
    bogus.write_text("this is not a database\n" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        Store(bogus)


def test_read_only_needs_an_existing_file(tmp_path):
    with pytest.raises(StoreError, match="no database"):
        Store(tmp_path / "missing.duckdb", read_only=True)


def test_env_var_and_default_path(tmp_path, monkeypatch):
    from evaltui.store import resolve_db_path

    monkeypatch.setenv("EVALTUI_DB", str(tmp_path / "env.duckdb"))
    assert resolve_db_path(None) == tmp_path / "env.duckdb"
    assert resolve_db_path(tmp_path / "flag.duckdb") == tmp_path / "flag.duckdb"
    monkeypatch.delenv("EVALTUI_DB")
    assert str(resolve_db_path(None)) == "evaltui.duckdb"


def test_round_trip_keeps_trace_tree_scores_and_rollup(store, tmp_path):
    rows = conversation(1, "billing", 0.5, cq=1.0) + [
        span(
            "c1-llm",
            "c1",
            "c1-t1",
            name="chat gpt-4o",
            span_type="llm",
            ts="2026-11-01T10:01:00Z",
            input=[{"role": "user", "content": "hello"}],
            output={"role": "assistant", "content": "ok"},
            metrics={"prompt_tokens": 12, "completion_tokens": 3, "latency_s": 0.4},
        ),
    ]
    f = write_jsonl(tmp_path / "a.jsonl", rows)
    report = ingest_file(store, f)
    assert (report.kept, report.added, report.skipped) == (3, 3, 0)
    tree = store.con.execute("SELECT id, root_id, parent_id, topic FROM spans ORDER BY id").fetchall()
    assert tree == [
        ("c1", "c1", None, "billing"),
        ("c1-llm", "c1", "c1-t1", "billing"),
        ("c1-t1", "c1", "c1", "billing"),
    ]
    scores = store.con.execute(
        "SELECT target_id, scorer, scorer_key, score, label, source FROM scores ORDER BY target_id"
    ).fetchall()
    assert scores == [
        ("c1", "Conversation Quality", "conversation_quality", 1.0, "Y", "online"),
        ("c1-t1", "Brand Alignment", "brand_alignment", 0.5, "B", "online"),
    ]
    # The root has no Brand Alignment of its own: it takes its trace's mean.
    page = logs.query_page(store).to_pylist()
    assert dict(page[0]["scores"]) == {"brand_alignment": 0.5, "conversation_quality": 1.0}
    (metrics,) = store.con.execute("SELECT metrics->>'prompt_tokens' FROM spans WHERE id = 'c1-llm'").fetchone()
    assert metrics == "12"


def test_human_labels_do_not_change_production_scores(store, tmp_path):
    rows = conversation(1, "billing", 0.0)
    rows[1]["scores"].append(
        {"name": "Brand Alignment", "score": 1.0, "label": "A", "source": "human", "scorer_version": "human"}
    )
    ingest_file(store, write_jsonl(tmp_path / "a.jsonl", rows))
    assert logs.count(store, "scores.brand_alignment = 0") == 1
    assert store.con.execute("SELECT count(*) FROM scores WHERE source = 'human'").fetchone()[0] == 1


def test_reingest_adds_nothing_twice(store, tmp_path):
    f = write_jsonl(tmp_path / "a.jsonl", conversation(1, "billing", 1.0, cq=1.0) + conversation(2, "refunds", 0.0))
    first = ingest_file(store, f)
    second = ingest_file(store, f)
    assert (first.added, second.added, second.scores_added) == (4, 0, 0)
    assert store.con.execute("SELECT count(*) FROM spans").fetchone()[0] == 4
    assert store.con.execute("SELECT count(*) FROM scores").fetchone()[0] == 3
    assert store.con.execute("SELECT count(*) FROM score_rollup").fetchone()[0] == 5


def test_duplicate_ids_within_one_file_are_stored_once(store, tmp_path):
    rows = conversation(1, "billing", 1.0)
    f = write_jsonl(tmp_path / "a.jsonl", rows + rows)
    report = ingest_file(store, f)
    assert report.added == 2
    assert store.con.execute("SELECT count(*) FROM spans").fetchone()[0] == 2


def test_child_ingested_before_its_root_takes_the_root_topic(store, tmp_path):
    root, turn = conversation(1, "billing", 1.0)
    ingest_file(store, write_jsonl(tmp_path / "children.jsonl", [turn]))
    assert store.con.execute("SELECT topic FROM spans WHERE id = 'c1-t1'").fetchone() == (None,)
    ingest_file(store, write_jsonl(tmp_path / "roots.jsonl", [root]))
    assert store.con.execute("SELECT topic FROM spans WHERE id = 'c1-t1'").fetchone() == ("billing",)
    assert logs.count(store, "scores.brand_alignment = 1") == 1


def test_keyset_pages_cover_everything_once(store, tmp_path):
    rows = [r for i in range(1, 58) for r in conversation(i, "billing", 1.0, day=1 + i % 20)]
    ingest_file(store, write_jsonl(tmp_path / "a.jsonl", rows))
    seen, cursor = [], None
    while True:
        page = logs.query_page(store, limit=10, after=cursor)
        if page.num_rows == 0:
            break
        seen += page.column("id").to_pylist()
        cursor = logs.next_cursor(page)
    assert len(seen) == 57 and len(set(seen)) == 57
    ts = [
        r[0]
        for r in store.con.execute("SELECT ts FROM spans WHERE parent_id IS NULL ORDER BY ts DESC, id DESC").fetchall()
    ]
    assert len(ts) == 57


def test_a_file_killed_before_its_version_row_migrates_once_and_stays_current(db_path):
    # evaltui_meta created but its row never written (a kill between the two statements)
    con = duckdb.connect(str(db_path))
    con.execute("CREATE TABLE evaltui_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.close()
    with Store(db_path) as store:
        assert store.schema_version() == SCHEMA_VERSION
    with Store(db_path) as store:  # the second open finds it current, migrates nothing
        assert store.schema_version() == SCHEMA_VERSION
        assert store.con.execute("SELECT count(*) FROM evaltui_meta").fetchall()[0][0] == 1


def test_the_store_functions_take_the_store_first():
    """The rule in store/__init__.py: a public function or method of the store's modules
    takes the open Store first, never its DuckDB connection (db.migrate runs while a Store
    is being opened; private helpers may be handed the connection their caller holds)."""
    import ast

    from tests.helpers import ROOT

    taking_con = []
    for path in sorted((ROOT / "evaltui" / "store").glob("*.py")):
        tree = ast.parse(path.read_text())
        defs = [(n, False) for n in tree.body if isinstance(n, ast.FunctionDef)]
        defs += [
            (m, True)
            for c in tree.body
            if isinstance(c, ast.ClassDef)
            for m in c.body
            if isinstance(m, ast.FunctionDef)
        ]
        for fn, method in defs:
            params = fn.args.args[1:] if method else fn.args.args
            if fn.name.startswith("_") or not params or (path.stem, fn.name) == ("db", "migrate"):
                continue
            first = params[0]
            if first.arg in ("con", "conn", "cur") or "DuckDBPyConnection" in ast.unparse(
                first.annotation or ast.Constant("")
            ):
                taking_con.append(f"{path.stem}.{fn.name}")
    assert taking_con == []


def test_an_arrow_stage_whose_scores_leave_version_or_source_out_stores_each_id_once(store):
    """A score with no version or source has the id of one with '' and 'online' (what the
    store fills in): the merge's check that the staged scores are plain sees them as one,
    so one copy is stored and the roll-up holds one row per span and scorer."""
    from datetime import datetime

    import pyarrow as pa

    from evaltui.store.scores import refresh_rollup
    from evaltui.store.spans import SCORES_ARROW_SCHEMA, SPANS_ARROW_SCHEMA, create_stage, merge_stage, stage_arrow

    ts = datetime(2026, 11, 1, 10)
    spans = pa.Table.from_pylist(
        [{"id": "r", "root_id": "r", "name": "conversation", "span_type": "conversation", "ts": ts}],
        schema=SPANS_ARROW_SCHEMA,
    )
    score = {"target_id": "r", "root_id": "r", "scorer": "Quality", "score": 1.0, "created": ts}
    scores = pa.Table.from_pylist(
        [
            {**score, "scorer_version": None, "source": None},
            {**score, "scorer_version": "", "source": "online"},
            {**score, "scorer_version": "v2", "source": None, "score": 0.0, "created": datetime(2026, 11, 1, 11)},
        ],
        schema=SCORES_ARROW_SCHEMA,
    )
    create_stage(store)
    stage_arrow(store, spans, scores)
    result = merge_stage(store, "test")
    assert result.scores_added == 2
    assert store.con.execute("SELECT count(DISTINCT id), count(*) FROM scores").fetchall() == [(2, 2)]
    kept = store.con.execute("SELECT * FROM score_rollup ORDER BY ALL").fetchall()
    assert kept == [("r", "r", "quality", 0.0, None)]  # the later of the two machine scores
    refresh_rollup(store)
    assert store.con.execute("SELECT * FROM score_rollup ORDER BY ALL").fetchall() == kept
