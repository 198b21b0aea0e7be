"""`serve`'s commits with the ids the committer knows are stored (``KnownIds``): a batch it
proves new is merged without reading ``spans`` or ``trace_roots``; the stored rows are the
same as the exact path's, for new traces, exporter retries, children before their root
(in another commit, or in another record of the same commit), topics and scores; spans
another process ingested meanwhile are not stored twice; a new process (a restart after
kill -9) replaying a committed segment stores nothing twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from evaltui.collect import otlp
from evaltui.collect.committer import decode_record, encode_spans, store_batch
from evaltui.collect.known_ids import KnownIds
from evaltui.store import Store
from tests.serving import chat_spans, otlp_json

TABLES = {
    "spans": "SELECT * EXCLUDE (ingested_at) FROM spans ORDER BY id",
    "scores": "SELECT * EXCLUDE (created) FROM scores ORDER BY id",
    "score_rollup": "SELECT * FROM score_rollup ORDER BY ALL",
    "trace_roots": "SELECT * FROM trace_roots ORDER BY ALL",
}


def _record(spans: list[dict[str, Any]]) -> bytes:
    return encode_spans(otlp.decode(orjson.dumps(otlp_json(spans)), "application/json").spans).payload


def _traces(first: int, n: int, turns: int = 2) -> list[dict[str, Any]]:
    return [s for t in range(first, first + n) for s in chat_spans(t, turns)]


def _scored_with_topic(trace: int) -> list[dict[str, Any]]:
    spans = chat_spans(trace, turns=2)
    spans[0]["attributes"].append({"key": "topic", "value": {"stringValue": "shipping"}})
    spans[1]["events"] = [
        {
            "name": "gen_ai.evaluation.result",
            "attributes": [
                {"key": "gen_ai.evaluation.name", "value": {"stringValue": "Helpfulness"}},
                {"key": "gen_ai.evaluation.score.value", "value": {"doubleValue": 0.5}},
            ],
        }
    ]
    return spans


def _commit(db: Path, records: list[bytes], known: KnownIds | None) -> tuple[int, int]:
    tables = [decode_record(r) for r in records]
    added, present, _ = store_batch(db, [t[0] for t in tables], [t[1] for t in tables], known)
    return added, present


def _rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    with Store(db) as store:
        return {name: store.con.execute(sql).fetchall() for name, sql in TABLES.items()}


def test_commits_proved_new_store_the_rows_of_the_exact_path(tmp_path):
    orphans = _scored_with_topic(60)  # children first, their root (with a topic) in a later commit
    late = chat_spans(90, turns=2)  # children and root in two records of one commit
    batches = [
        [_record(_traces(1, 5)), _record(_scored_with_topic(6))],
        [_record(orphans[1:])],
        [_record(orphans[:1] + _traces(7, 2))],
        [_record(_traces(1, 5))],  # an exporter's retry of an acknowledged request
        [_record(late[1:]), _record(late[:1])],
        [_record(_traces(20, 3)), _record(_traces(20, 3))],  # the same request twice in one commit
        [_record(_traces(30, 4))],
    ]
    results = {}
    proved = []
    for name, known in (("exact", None), ("known", KnownIds())):
        db = tmp_path / f"{name}.duckdb"
        Store(db).close()
        outcomes = []
        for records in batches:
            before = known.proved if known is not None else 0
            outcomes.append(_commit(db, records, known))
            if known is not None:
                proved.append(known.proved > before)
        results[name] = (outcomes, _rows(db))
    assert results["known"] == results["exact"]
    outcomes, rows = results["exact"]
    assert outcomes[3] == (0, 15) and outcomes[5] == (9, 9)
    assert len(rows["spans"]) == len({r[0] for r in rows["spans"]}) == 5 * 3 + 3 + 3 + 2 * 3 + 3 + 3 * 3 + 4 * 3
    assert rows["trace_roots"] == sorted(rows["trace_roots"])
    # New traces are proved new; a retry, a root whose children are stored, a batch with
    # one id twice are not (they take the exact path).
    assert proved == [True, True, False, False, True, False, True]


def test_spans_another_process_ingested_are_not_stored_twice(tmp_path):
    db = tmp_path / "live.duckdb"
    Store(db).close()
    known = KnownIds()
    assert _commit(db, [_record(_traces(1, 4))], known) == (12, 0)
    assert known.reads == 1
    # Another process (the exact path, no KnownIds) stores spans serve has not seen ...
    assert _commit(db, [_record(_traces(100, 3))], None) == (9, 0)
    # ... which then arrive at serve, with new ones: the counts tell the committer to read again.
    assert _commit(db, [_record(_traces(100, 5))], known) == (6, 9)
    assert known.reads == 2
    with Store(db) as store:
        assert store.con.execute("SELECT count(*), count(DISTINCT id) FROM spans").fetchall() == [(27, 27)]


def test_a_new_process_replaying_committed_records_stores_nothing_twice(tmp_path):
    db = tmp_path / "live.duckdb"
    Store(db).close()
    records = [_record(_traces(1, 10)), _record(_traces(11, 10))]
    assert _commit(db, records, KnownIds()) == (60, 0)
    restarted = KnownIds()  # serve killed after the commit, before the segment was deleted
    assert _commit(db, records + [_record(_traces(21, 1))], restarted) == (3, 60)
    assert restarted.reads == 1 and restarted.proved == 0
    assert _commit(db, [_record(_traces(30, 2))], restarted) == (6, 0)
    assert restarted.proved == 1 and restarted.reads == 1
    with Store(db) as store:
        assert store.con.execute("SELECT count(*), count(DISTINCT id) FROM spans").fetchall() == [(69, 69)]
