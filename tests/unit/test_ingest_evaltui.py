"""evaltui's own span JSONL: the fast path and the line-by-line path agree; bad lines are
reported with their numbers while every good line is kept."""

from __future__ import annotations

import threading
import time

import pytest

from evaltui.ingest import detect_format, follow_file, ingest_file
from evaltui.store import logs
from tests.helpers import conversation, span, write_jsonl


def test_fast_path_and_line_path_store_the_same_rows(tmp_path):
    from evaltui.ingest import evaltui_jsonl
    from evaltui.store import Store

    rows = conversation(1, "billing", 0.5, cq=1.0) + conversation(2, "refunds", 1.0, text="ünïcødé ✓")
    f = write_jsonl(tmp_path / "a.jsonl", rows)
    with Store(tmp_path / "fast.duckdb") as fast:
        ingest_file(fast, f)
        fast_rows = fast.con.execute("SELECT * EXCLUDE (ingested_at) FROM spans ORDER BY id").fetchall()
        fast_scores = fast.con.execute("SELECT * EXCLUDE (id) FROM scores ORDER BY target_id, scorer").fetchall()
        fast_rollup = fast.con.execute("SELECT * FROM score_rollup ORDER BY ALL").fetchall()
    with Store(tmp_path / "slow.duckdb") as slow:
        # Forcing the Python path: hide stage_fast for this one call.
        saved = evaltui_jsonl.stage_fast
        del evaltui_jsonl.stage_fast
        try:
            ingest_file(slow, f)
        finally:
            evaltui_jsonl.stage_fast = saved
        slow_rows = slow.con.execute("SELECT * EXCLUDE (ingested_at) FROM spans ORDER BY id").fetchall()
        slow_scores = slow.con.execute("SELECT * EXCLUDE (id) FROM scores ORDER BY target_id, scorer").fetchall()
        slow_rollup = slow.con.execute("SELECT * FROM score_rollup ORDER BY ALL").fetchall()
    assert fast_rows == slow_rows
    assert fast_scores == slow_scores
    assert fast_rollup == slow_rollup and len(fast_rollup) == 5  # 3 own scores, 2 trace means


def test_scores_that_do_not_fit_their_type_are_reported_with_their_line(store, tmp_path):
    """A score that is an object, or a score time that is no time, is a bad line (the fast
    read, which types scores, leaves such a file to the line reader)."""
    good = conversation(1, "billing", 1.0)
    lines = [
        good[0],
        span("objscore", scores=[{"name": "X", "score": {"value": 1}}]),
        span("badcreated", scores=[{"name": "X", "score": 1, "created": "last tuesday"}]),
        good[1],
    ]
    report = ingest_file(store, write_jsonl(tmp_path / "odd.jsonl", lines))
    assert report.added == 2
    assert [(b.line, b.reason) for b in report.bad] == [
        (2, "score {'value': 1} is not a number"),
        (3, report.bad[1].reason),
    ]
    assert "not an ISO-8601 timestamp" in report.bad[1].reason


def test_the_roll_up_after_files_that_share_traces_is_a_full_recompute(tmp_path):
    """The first file's traces get their roll-up from the new rows alone (a span scored twice
    by one scorer included); a second file that adds turns and scores to those traces
    recomputes theirs from everything stored."""
    from evaltui.store import Store
    from evaltui.store.scores import refresh_rollup

    twice = [  # one scorer twice on one span: the later one counts
        {"name": "Conversation Quality", "score": 1.0, "created": "2026-11-01T12:00:00Z"},
        {"name": "Conversation Quality", "score": 0.0, "created": "2026-11-01T11:00:00Z"},
    ]
    first = conversation(1, "billing", 1.0, cq=1.0) + conversation(2, "refunds", 0.0)
    first.append(span("c4", name="conversation", ts="2026-11-01T10:00:00Z", scores=twice))
    more = [
        span(
            "c1-t2",
            "c1",
            "c1",
            name="turn",
            ts="2026-11-01T10:05:00Z",
            scores=[{"name": "Brand Alignment", "score": 0.0, "label": "C"}],
        ),
        span(
            "c3",
            name="conversation",
            ts="2026-11-01T11:00:00Z",
            scores=[{"name": "Conversation Quality", "score": 0.5}],
        ),
    ]
    with Store(tmp_path / "a.duckdb") as store:
        ingest_file(store, write_jsonl(tmp_path / "first.jsonl", first))
        ingest_file(store, write_jsonl(tmp_path / "more.jsonl", more))
        kept = store.con.execute("SELECT * FROM score_rollup ORDER BY ALL").fetchall()
        refresh_rollup(store)
        assert kept == store.con.execute("SELECT * FROM score_rollup ORDER BY ALL").fetchall()
    means = {(r[0], r[2]): r[3] for r in kept}
    assert means[("c1", "brand_alignment")] == 0.5 and means[("c1", "conversation_quality")] == 1.0
    assert means[("c3", "conversation_quality")] == 0.5 and means[("c4", "conversation_quality")] == 1.0


def test_bad_lines_are_reported_and_good_lines_kept(store, tmp_path):
    good = conversation(1, "billing", 1.0) + conversation(2, "refunds", 0.0)
    lines = [
        good[0],  # 1
        '{"id": "broken", "root_id": ',  # 2 invalid JSON
        good[1],  # 3
        "[1, 2, 3]",  # 4 not an object
        span("noscore", scores=[{"name": "X", "score": 7}]),  # 5 score out of range
        "",  # 6 blank: ignored
        span("badts", ts="last tuesday"),  # 7 bad timestamp
        good[2],  # 8
        {"root_id": "r", "parent_id": "r"},  # 9 no id
        {"id": "orphan", "parent_id": "p"},  # 10 child without root_id
        span("meta", metadata=["not", "an", "object"]),  # 11 metadata must be an object
        good[3],  # 12
    ]
    f = write_jsonl(tmp_path / "mixed.jsonl", lines)
    with open(f, "a") as fh:
        fh.write('{"id": "truncated", "root_id": "trunc')  # 13 truncated last line
    report = ingest_file(store, f)
    assert report.kept == 4 and report.added == 4
    assert [(b.line, b.reason.split(":")[0]) for b in report.bad] == [
        (2, "invalid JSON"),
        (4, "a span must be a JSON object"),
        (5, "score 7 is not in 0..1"),
        (7, "not an ISO-8601 timestamp"),
        (9, 'missing "id"'),
        (10, 'a child span needs "root_id"'),
        (11, '"metadata" must be an object'),
        (13, "invalid JSON"),
    ]
    assert all(str(b).startswith(f"{f}:{b.line}: ") for b in report.bad)
    assert logs.count(store) == 2 and logs.count(store, roots_only=False) == 4


def test_empty_file_adds_nothing(store, tmp_path):
    f = tmp_path / "empty.jsonl"
    f.write_text("")
    report = ingest_file(store, f)
    assert (report.kept, report.skipped) == (0, 0)


def test_detects_own_format(tmp_path):
    f = write_jsonl(tmp_path / "a.jsonl", conversation(1, "billing", 1.0))
    assert detect_format(f) == "evaltui"


def test_follow_picks_up_appended_lines(store, tmp_path):
    f = write_jsonl(tmp_path / "live.jsonl", conversation(1, "billing", 1.0))
    stop = threading.Event()
    seen = []
    worker = threading.Thread(
        target=follow_file, args=(store, f), kwargs={"stop": stop, "poll_seconds": 0.05, "on_report": seen.append}
    )
    worker.start()
    try:
        _wait(lambda: sum(r.added for r in seen) == 2)
        extra = conversation(2, "refunds", 0.0)
        with open(f, "a") as fh:
            import json

            fh.write(json.dumps(extra[0]) + "\n")
            fh.write("not json\n")
            fh.write(json.dumps(extra[1])[:20])  # a writer caught mid-line
        _wait(lambda: sum(r.added for r in seen) == 3)
        with open(f, "a") as fh:
            fh.write(json.dumps(extra[1])[20:] + "\n")
        _wait(lambda: sum(r.added for r in seen) == 4)
    finally:
        stop.set()
        worker.join(5)
    bad = [b for r in seen for b in r.bad]
    assert [(b.line, b.reason.split(":")[0]) for b in bad] == [(4, "invalid JSON")]


def _wait(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _cli(*args: str):
    import subprocess

    from tests.helpers import EVALTUI

    return subprocess.run([*EVALTUI, *args], capture_output=True, text=True, timeout=120)


def test_a_repeated_id_keeps_the_first_copy_and_each_later_copy_is_reported_with_its_line(tmp_path):
    import duckdb

    f = write_jsonl(
        tmp_path / "dups.jsonl", [span("a", input="first"), span("b", input="b"), span("a", input="second")]
    )
    csv = tmp_path / "dups.csv"
    csv.write_text("id,input\nx,one\ny,two\nx,three\n")
    db = tmp_path / "x.duckdb"
    out = _cli("ingest", str(f), str(csv), "--db", str(db))
    assert out.returncode == 3  # partly done
    assert f"{f}:3: duplicate id 'a' (first at line 1); the first copy is kept" in out.stderr
    assert f"{csv}:4: duplicate id 'x' (first at line 2); the first copy is kept" in out.stderr
    assert f"{f} (evaltui): kept 2, skipped 1" in out.stdout and f"{csv} (csv): kept 2, skipped 1" in out.stdout
    con = duckdb.connect(str(db), read_only=True)
    stored = dict(con.execute("SELECT id, input::VARCHAR FROM spans").fetchall())
    con.close()
    assert stored["a"] == '"first"' and "three" not in stored["x"]


def test_re_ingesting_changed_spans_says_the_stored_copies_are_kept_and_an_unchanged_file_says_nothing(tmp_path):
    rows = conversation(1, "billing", 0.5, cq=1.0) + conversation(2, "refunds", 1.0)
    f = write_jsonl(tmp_path / "a.jsonl", rows)
    db = tmp_path / "x.duckdb"
    assert _cli("ingest", str(f), "--db", str(db)).returncode == 0  # the fast path
    with open(f, "a") as fh:
        fh.write("not json\n")  # the line path now, on the same spans
    out = _cli("ingest", str(f), "--db", str(db))
    assert out.returncode == 3 and "already stored" not in out.stderr and "new spans 0" in out.stdout

    rows[0]["output"] = "a different reply"
    rows[3]["metadata"] = {"turn_index": 7}
    write_jsonl(f, rows)
    out = _cli("ingest", str(f), "--db", str(db))
    assert out.returncode == 0
    assert f"{f}: 2 spans were already stored with other content; the stored copies are kept" in out.stderr


def test_format_detection_reads_a_byte_order_mark_bare_id_spans_and_an_id_after_a_long_field(tmp_path):
    import json

    from evaltui.store import Store

    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(
        b"\xef\xbb\xbf"
        + json.dumps(span("b1", input="hi")).encode()
        + b"\nnot json\n"
        + json.dumps(span("b2")).encode()
        + b"\n"
    )
    chat = tmp_path / "bom-chat.jsonl"
    chat.write_bytes(
        b"\xef\xbb\xbf"
        + json.dumps(
            {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
        ).encode()
        + b"\n"
    )
    bare = write_jsonl(tmp_path / "bare.jsonl", [{"id": "only-1"}, {"id": "only-2", "output": "x"}])
    long = write_jsonl(
        tmp_path / "long.jsonl",
        [{"input": "x" * 100_000, "id": "l1", "root_id": "l1", "span_type": "conversation"}, span("l2")],
    )
    assert [detect_format(p) for p in (bom, chat, bare, long)] == ["evaltui", "openai", "evaltui", "evaltui"]
    with Store(tmp_path / "x.duckdb") as store:
        report = ingest_file(store, bom)
        assert (report.kept, [(b.line, b.reason[:12]) for b in report.bad]) == (2, [(2, "invalid JSON")])
        assert ingest_file(store, chat).kept == 2
        assert ingest_file(store, bare).kept == 2 and ingest_file(store, long).kept == 2
        ids = [r[0] for r in store.con.execute("SELECT id FROM spans ORDER BY id").fetchall()]
    assert {"b1", "b2", "only-1", "only-2", "l1", "l2"} <= set(ids) and len(ids) == 8


def _twice(name: str, *, source: str = "online", **other: object) -> list[dict[str, object]]:
    return [
        {"name": "Conversation Quality", "score": 1.0, "created": "2026-11-01T12:00:00Z"},
        {"name": name, "score": 0.0, "created": "2026-11-01T11:00:00Z", "source": source, **other},
    ]


@pytest.mark.parametrize(
    "scores",
    [
        pytest.param(None, id="plain"),
        pytest.param(_twice("Conversation Quality"), id="one-scorer-twice"),
        pytest.param(_twice("conversation quality"), id="two-names-one-key"),
        pytest.param(_twice("Conversation Quality", source="human"), id="human-beside-machine"),
        pytest.param(_twice("Conversation Quality", created="2026-11-01T12:00:00Z", score=1.0), id="same-score-twice"),
        pytest.param(_twice("Conversation\x1fQuality"), id="unit-separator-in-a-name"),
    ],
)
def test_the_fast_merge_stores_what_the_line_reader_stores(tmp_path, scores):
    """Whichever way the fast path takes a file's scores (straight from the stage when its
    checks prove them plain, else each id once and the first copy), the scores, their ids
    and the roll-up are the line reader's, and the roll-up is a full recompute's."""
    from evaltui.ingest import evaltui_jsonl
    from evaltui.store import Store
    from evaltui.store.scores import refresh_rollup

    rows = conversation(1, "billing", 1.0, cq=1.0) + conversation(2, "refunds", 0.0)
    if scores is not None:
        rows.append(span("c4", name="conversation", ts="2026-11-01T10:00:00Z", scores=scores))
    f = write_jsonl(tmp_path / "a.jsonl", rows)

    def stored(store):
        return (
            store.con.execute("SELECT * FROM scores ORDER BY id").fetchall(),
            store.con.execute("SELECT * FROM score_rollup ORDER BY ALL").fetchall(),
        )

    with Store(tmp_path / "fast.duckdb") as fast:
        report = ingest_file(fast, f)
        fast_scores, fast_rollup = stored(fast)
        refresh_rollup(fast)
        assert stored(fast)[1] == fast_rollup
    with Store(tmp_path / "slow.duckdb") as slow:
        saved = evaltui_jsonl.stage_fast
        del evaltui_jsonl.stage_fast
        try:
            slow_report = ingest_file(slow, f)
        finally:
            evaltui_jsonl.stage_fast = saved
        assert stored(slow) == (fast_scores, fast_rollup)
        refresh_rollup(slow)
        assert stored(slow)[1] == fast_rollup
    assert report.scores_added == slow_report.scores_added == len(fast_scores)
