"""Paths a user gives are paths: no glob is expanded, no file name is built from a
dataset name. Each check runs the real `evaltui` command on real files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb

from tests.conftest import EVALTUI
from tests.helpers import span, write_jsonl


def run(*args: str, cwd: Path | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*EVALTUI, *args], capture_output=True, text=True, timeout=120, cwd=cwd, input=input)


def span_ids(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return sorted(r[0] for r in con.execute("SELECT id FROM spans").fetchall())
    finally:
        con.close()


def test_ingest_reads_a_file_named_like_a_glob_and_only_that_file(tmp_path):
    write_jsonl(tmp_path / "st*.jsonl", [span("star", name="conversation")])
    write_jsonl(tmp_path / "stX.jsonl", [span("other", name="conversation")])
    write_jsonl(tmp_path / "q?[1].jsonl", [span("brackets", name="conversation")])
    write_jsonl(tmp_path / "qa1.jsonl", [span("lookalike", name="conversation")])
    db = tmp_path / "x.duckdb"

    out = run("ingest", str(tmp_path / "st*.jsonl"), "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert span_ids(db) == ["star"]

    out = run("ingest", str(tmp_path / "q?[1].jsonl"), "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert span_ids(db) == ["brackets", "star"]
