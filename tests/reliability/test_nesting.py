"""Deeply nested records: ingest reports each as FILE:LINE: nested too deep and keeps
every other line, in every format; and a record stored before that check (by an older
evaltui, or any other writer) cannot break a read."""

from __future__ import annotations

import json
import subprocess

import pytest

from evaltui.jsondepth import MAX_DEPTH
from evaltui.store import Store
from tests.helpers import EVALTUI
from tests.helpers import conversation, write_jsonl


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*EVALTUI, *args], capture_output=True, text=True, timeout=120)


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def _deep_span(span_id: str, levels: int) -> str:
    return f'{{"id":"{span_id}","root_id":"{span_id}","span_type":"conversation","input":{deep(levels)}}}'


def _spans(db) -> set[str]:
    with Store(db, read_only=True) as store:
        return {r[0] for r in store.con.execute("SELECT id FROM spans").fetchall()}


@pytest.mark.parametrize("levels", [10_000, 1_100, MAX_DEPTH + 1])
def test_a_deep_span_is_reported_with_its_line_and_the_rest_kept(tmp_path, levels):
    good = conversation(1, "billing", 1.0) + conversation(2, "billing", 0.0)
    # first line: format detection must survive it too
    path = write_jsonl(
        tmp_path / "deep.jsonl", [_deep_span("d", levels), *good[:2], _deep_span("e", levels), *good[2:]]
    )
    db = tmp_path / "x.duckdb"
    out = run("ingest", str(path), "--db", str(db))
    assert "Traceback" not in out.stderr and out.returncode == 3, out.stderr
    assert out.stderr.splitlines() == [f"{path}:1: nested too deep", f"{path}:4: nested too deep"]
    assert "kept 4, skipped 2" in out.stdout
    assert _spans(db) == {"c1", "c1-t1", "c2", "c2-t1"}


def test_nesting_up_to_the_limit_is_kept(tmp_path):
    path = write_jsonl(tmp_path / "ok.jsonl", [_deep_span("d", MAX_DEPTH - 1)])
    db = tmp_path / "x.duckdb"
    out = run("ingest", str(path), "--db", str(db))
    assert out.returncode == 0, out.stderr
    line = run("logs", "--json", "--db", str(db)).stdout.strip()
    assert json.loads(line)["input"] == json.loads(deep(MAX_DEPTH - 1))


def test_deep_records_in_chat_and_array_files_are_reported_not_raised(tmp_path):
    chat = tmp_path / "chat.jsonl"
    ok = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    chat.write_text(
        "\n".join(
            [
                '{"messages":[{"role":"user","content":' + deep(5000) + "}]}",
                json.dumps(ok),
                '{"messages":[{"role":"user","content":' + deep(300) + "}]}",
                json.dumps(ok),
            ]
        )
        + "\n"
    )
    out = run("ingest", str(chat), "--db", str(tmp_path / "a.duckdb"))
    assert "Traceback" not in out.stderr, out.stderr
    assert out.stderr.splitlines() == [f"{chat}:1: nested too deep", f"{chat}:3: nested too deep"]
    assert "(openai): kept 4, skipped 2" in out.stdout  # each good chat: a conversation and a turn

    rows = [{"id": "a", "input": "x", "output": "y"}, "DEEP", {"id": "c", "input": "z", "output": "w"}]
    text = json.dumps(rows, indent=2).replace('"DEEP"', '{"id": "b", "input": ' + deep(3000) + "}")
    array = tmp_path / "bt.json"
    array.write_text(text)
    out = run("ingest", "--format", "braintrust", str(array), "--db", str(tmp_path / "b.duckdb"))
    assert "Traceback" not in out.stderr, out.stderr
    assert out.stderr.splitlines() == [f"{array}:7: nested too deep"]
    assert "kept 2, skipped 1" in out.stdout


def test_a_deep_record_stored_by_another_writer_breaks_no_read(tmp_path):
    good = write_jsonl(tmp_path / "good.jsonl", conversation(1, "billing", 1.0))
    db = tmp_path / "x.duckdb"
    assert run("ingest", str(good), "--db", str(db)).returncode == 0
    with Store(db) as store:  # as an older evaltui stored it: DuckDB itself reads any depth
        store.con.execute(
            "INSERT INTO spans (id, root_id, name, span_type, ts, input, output, metadata, tags, metrics, source) "
            "SELECT 'deep', 'deep', 'conversation', 'conversation', TIMESTAMP '2026-11-02 10:00', ?::JSON, ?::JSON, "
            "'{\"topic\": \"billing\"}'::JSON, [], '{}'::JSON, 'test'",
            [deep(2000), deep(300)],
        )
    for args in (["logs"], ["logs", "--json"], ["logs", "--all-spans", "--json"]):
        out = run(*args, "--db", str(db))
        assert out.returncode == 0 and "Traceback" not in out.stderr, (args, out.stderr)
    lines = [json.loads(line) for line in run("logs", "--json", "--db", str(db)).stdout.splitlines()]
    shown = {row["id"]: row for row in lines}
    assert shown["deep"]["input"] == deep(2000)  # its text, not a crash
    assert shown["c1"]["input"] == [{"role": "user", "content": "hello"}]

    out = run("datasets", "create", "everything", "--db", str(db))
    assert out.returncode == 0, out.stderr
    for args in (
        ["datasets", "show", "everything", "--json"],
        ["datasets", "show", "everything"],
        ["datasets", "export", "everything", "--format", "jsonl", "-o", "-"],
        ["datasets", "export", "everything", "--format", "braintrust", "-o", "-"],
        ["datasets", "export", "everything", "--format", "csv", "-o", str(tmp_path / "e.csv")],
    ):
        out = run(*args, "--db", str(db))
        assert out.returncode == 0 and "Traceback" not in out.stderr, (args, out.stderr)
    records = [
        json.loads(line)
        for line in run("datasets", "show", "everything", "--json", "--db", str(db)).stdout.splitlines()
    ]
    assert {r["id"] for r in records} == {"c1", "deep"}
