"""The committer of `evaltui serve` on a real spool and database: spool records are Arrow
columns built on the receive path; a record of the earlier JSON format (left by a crash
before an upgrade) is replayed the same way; children spooled before their root, in
another record, end up under it."""

from __future__ import annotations

import dataclasses

import orjson
import pytest

from evaltui.collect import otlp
from evaltui.collect.committer import Committer, decode_record, encode_spans
from evaltui.collect.spool import Spool
from evaltui.store import Store
from tests.serving import chat_spans, otlp_json, stored

ROWS = "SELECT id, root_id, parent_id, span_type, input IS NOT NULL FROM spans ORDER BY id"


def _mapped(trace: int, turns: int = 2):
    return otlp.decode(orjson.dumps(otlp_json(chat_spans(trace, turns))), "application/json").spans


def _legacy(spans) -> bytes:
    """A spool record as the first version of serve wrote it: JSON rows."""
    return orjson.dumps([[dataclasses.asdict(s.row), s.trace_id, s.is_root] for s in spans], default=str)


@pytest.mark.parametrize("process", [False, True], ids=["in-process", "commit-process"])
def test_arrow_and_legacy_records_commit_the_same_rows_and_children_find_their_root(tmp_path, process):
    arrow_db, legacy_db = tmp_path / "arrow.duckdb", tmp_path / "legacy.duckdb"
    for db, encode in ((arrow_db, lambda s: encode_spans(s).payload), (legacy_db, _legacy)):
        Store(db).close()
        spool = Spool(tmp_path / f"{db.stem}.spool")
        one = _mapped(1)
        spool.append(encode([s for s in one if not s.is_root]), 2)  # the children first ...
        spool.append(encode([s for s in one if s.is_root]), 1)  # ... their root in a later request
        spool.append(encode(_mapped(2)), 3)
        committer = Committer(db, spool, process=process)
        try:
            assert committer.commit_once() == 6
        finally:
            committer.close()
        assert spool.pending_bytes == 0
        assert committer.stats.spans_committed == 6 and committer.stats.last_hold_s > 0
        spool.close()
    assert stored(arrow_db, "SELECT count(*) FROM spans") == stored(legacy_db, "SELECT count(*) FROM spans") == 6
    with Store(arrow_db) as a, Store(legacy_db) as b:
        assert a.con.execute(ROWS).fetchall() == b.con.execute(ROWS).fetchall()
        roots = a.con.execute("SELECT DISTINCT root_id FROM spans ORDER BY 1").fetchall()
    assert roots == [(f"{1:012x}0000",), (f"{2:012x}0000",)]  # no span left under its trace id


def test_a_span_arrow_cannot_hold_is_reported_and_its_siblings_kept():
    spans = _mapped(3, turns=1)
    spans[1].row.metadata["huge"] = 1 << 70  # JSON cannot write an integer this large
    encoded = encode_spans(spans)
    assert encoded.spans == 1 and len(encoded.unstorable) == 1 and spans[1].row.id in encoded.unstorable[0]
    table, scores = decode_record(encoded.payload)
    assert table.column("id").to_pylist() == [spans[0].row.id]


def test_children_committed_before_their_root_take_its_id_topic_and_score_rollup(tmp_path):
    """A trace whose children (one with a score) are committed in one batch and whose root,
    with a topic, comes in a later batch: the stored children, their score and its roll-up
    move under the root span's id, and the children take the root's topic."""
    db = tmp_path / "live.duckdb"
    Store(db).close()
    spool = Spool(tmp_path / "spool")
    committer = Committer(db, spool)
    spans = chat_spans(7, turns=2)
    spans[1]["events"] = [
        {
            "name": "gen_ai.evaluation.result",
            "attributes": [
                {"key": "gen_ai.evaluation.name", "value": {"stringValue": "Helpfulness"}},
                {"key": "gen_ai.evaluation.score.value", "value": {"doubleValue": 0.25}},
            ],
        }
    ]
    spans[0]["attributes"].append({"key": "topic", "value": {"stringValue": "shipping"}})
    other = chat_spans(8, turns=1)  # a whole trace in the first batch too
    first = otlp.decode(orjson.dumps(otlp_json(spans[1:] + other)), "application/json").spans
    second = otlp.decode(orjson.dumps(otlp_json(spans[:1])), "application/json").spans
    trace, root = f"{7:032x}", f"{7:012x}0000"
    spool.append(encode_spans(first).payload, len(first))
    assert committer.commit_once() == 4
    with Store(db) as store:
        assert store.con.execute(f"SELECT DISTINCT root_id FROM spans WHERE id LIKE '{7:012x}%'").fetchall() == [
            (trace,)
        ]
        assert store.con.execute("SELECT root_id FROM scores").fetchall() == [(trace,)]
    spool.append(encode_spans(second).payload, len(second))
    assert committer.commit_once() == 1
    spool.close()
    with Store(db) as store:
        rows = store.con.execute(
            f"SELECT id, root_id, topic FROM spans WHERE id LIKE '{7:012x}%' ORDER BY id"
        ).fetchall()
        assert rows == [
            (root, root, "shipping"),
            (f"{7:012x}0001", root, "shipping"),
            (f"{7:012x}0002", root, "shipping"),
        ]
        assert store.con.execute("SELECT root_id, score FROM scores").fetchall() == [(root, 0.25)]
        rollup = store.con.execute("SELECT span_id, root_id, score FROM score_rollup ORDER BY span_id").fetchall()
        assert rollup == [(root, root, 0.25), (f"{7:012x}0001", root, 0.25)]
        assert store.con.execute("SELECT count(*) FROM spans WHERE root_id = ?", [trace]).fetchall() == [(0,)]
        assert store.con.execute(f"SELECT DISTINCT topic FROM spans WHERE id LIKE '{8:012x}%'").fetchall() == [(None,)]
