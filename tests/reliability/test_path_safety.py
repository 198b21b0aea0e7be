"""Paths a user gives are paths: no glob is expanded, no file name is built from a
dataset name. Each check runs the real `evaltui` command on real files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb

from tests.helpers import EVALTUI
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


def test_datasets_export_without_o_writes_stdout_and_never_a_file_named_after_the_dataset(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    victim = tmp_path / "victim.jsonl"
    victim.write_text("precious\n")
    absolute = tmp_path / "abs"
    rows = write_jsonl(tmp_path / "rows.jsonl", [{"id": "r1", "input": "hello", "expected": "hi"}])
    db = tmp_path / "x.duckdb"
    for name in ("../victim", str(absolute)):
        out = run("datasets", "import", name, str(rows), "--db", str(db))
        assert out.returncode == 0, out.stderr

        out = run("datasets", "export", name, "--format", "jsonl", "--db", str(db), cwd=work)
        assert out.returncode == 0, out.stderr
        assert len(out.stdout.splitlines()) == 1 and '"r1"' in out.stdout
        out = run("datasets", "export", name, "--format", "csv", "--db", str(db), cwd=work)
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines()[0].startswith('"id"') and "r1" in out.stdout

    assert victim.read_text() == "precious\n"
    assert not list(tmp_path.glob("abs*"))
    assert list(work.iterdir()) == []


def test_datasets_export_with_o_writes_that_file_and_parquet_goes_to_a_pipe(tmp_path):
    import io

    import pyarrow.parquet as pq

    rows = write_jsonl(tmp_path / "rows.jsonl", [{"id": "r1", "input": "hello"}, {"id": "r2", "input": "bye"}])
    db = tmp_path / "x.duckdb"
    assert run("datasets", "import", "d", str(rows), "--db", str(db)).returncode == 0
    target = tmp_path / "out.jsonl"
    out = run("datasets", "export", "d", "--format", "jsonl", "-o", str(target), "--db", str(db))
    assert out.returncode == 0 and out.stdout == ""
    assert len(target.read_text().splitlines()) == 2

    piped = subprocess.run(
        [*EVALTUI, "datasets", "export", "d", "--format", "parquet", "--db", str(db)], capture_output=True, timeout=120
    )
    assert piped.returncode == 0, piped.stderr
    assert sorted(pq.read_table(io.BytesIO(piped.stdout)).column("id").to_pylist()) == ["r1", "r2"]
