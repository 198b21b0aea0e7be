"""The `evaltui` command as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.helpers import EVALTUI
from tests.helpers import conversation, write_jsonl


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*EVALTUI, *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture
def logfile(tmp_path):
    rows = (
        conversation(1, "account_and_login", 0.0, cq=0.0, text="locked out of my account")
        + conversation(2, "billing_and_payments", 1.0, cq=1.0, text="refund to my card")
        + conversation(3, "account_and_login", 0.5, cq=1.0, text="password reset link")
    )
    return write_jsonl(tmp_path / "logs.jsonl", rows)


def test_ingest_then_logs_json_and_stats(tmp_path, logfile):
    db = str(tmp_path / "x.duckdb")
    out = run("ingest", str(logfile), "--db", db)
    assert out.returncode == 0, out.stderr
    assert "kept 6, skipped 0, new spans 6, new scores 6" in out.stdout

    out = run("--db", db, "logs", "--json", "--where", "topic = account_and_login and scores.brand_alignment <= 0.5")
    assert out.returncode == 0, out.stderr
    spans = [json.loads(line) for line in out.stdout.splitlines()]
    assert [s["id"] for s in spans] == ["c3", "c1"]
    first = spans[0]
    assert set(first) >= {"id", "root_id", "name", "ts", "topic", "input", "output", "metadata", "scores"}
    assert first["scores"] == {"brand_alignment": 0.5, "conversation_quality": 1.0}
    assert first["input"] == [{"role": "user", "content": "password reset link"}]

    out = run("stats", "--json", "--db", db)
    stats = json.loads(out.stdout)
    by_topic = {t["topic"]: t for t in stats["topics"]}
    assert by_topic["account_and_login"]["conversations"] == 2
    assert by_topic["account_and_login"]["brand_alignment"] == pytest.approx(0.25)
    assert by_topic["billing_and_payments"]["conversation_quality"] == 1.0

    out = run("logs", "--db", db, "--where", "scores.conversation_quality = 1")
    assert out.returncode == 0
    assert "password reset link" in out.stdout and "2 of 2 matching" in out.stdout


def test_env_var_selects_the_database(tmp_path, logfile):
    import os

    env = {**os.environ, "EVALTUI_DB": str(tmp_path / "env.duckdb")}
    assert run("ingest", str(logfile), env=env).returncode == 0
    assert (tmp_path / "env.duckdb").exists()


def test_bad_lines_exit_nonzero_with_counts(tmp_path, logfile):
    lines = logfile.read_text().splitlines()
    lines.insert(1, "{oops")
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join(lines) + "\n")
    out = run("ingest", str(broken), "--db", str(tmp_path / "x.duckdb"))
    assert out.returncode == 3  # some lines bad, the rest kept
    assert f"{broken}:2: invalid JSON" in out.stderr
    assert "kept 6, skipped 1" in out.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["logs", "--where", "scores.brand_alignment <= 'high'"], "error: bad filter at column 27: expected a number"),
        (["logs", "--where", "colour = red"], "error: bad filter at column 1: unknown field 'colour'"),
        (["ingest", "does/not/exist.jsonl"], "error: does/not/exist.jsonl: no such file"),
        (["logs", "--where", "(" * 400 + "topic = x" + ")" * 400], "error: bad filter at column 65: nested too deep"),
        (["stats", "--where", "not " * 1000 + "topic = x"], "error: bad filter at column 257: nested too deep"),
        (["logs", "--json", "--where", 'metadata."" = 1'], "error: bad filter at column 10: a key cannot be empty"),
    ],
)
def test_user_errors_are_one_line_without_traceback(tmp_path, logfile, args, message):
    db = str(tmp_path / "x.duckdb")
    assert run("ingest", str(logfile), "--db", db).returncode == 0
    out = run(*args, "--db", db)
    assert out.returncode != 0
    assert out.stderr.splitlines()[0].startswith(message), out.stderr
    assert "Traceback" not in out.stderr


def test_missing_database_and_newer_schema(tmp_path, logfile):
    out = run("logs", "--db", str(tmp_path / "none.duckdb"))
    assert out.returncode == 2 and out.stderr.startswith("error: no database at")
    db = tmp_path / "x.duckdb"
    assert run("ingest", str(logfile), "--db", str(db)).returncode == 0
    import duckdb

    con = duckdb.connect(str(db))
    con.execute("UPDATE evaltui_meta SET value = '42' WHERE key = 'schema_version'")
    con.close()
    out = run("stats", "--db", str(db))
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "newer evaltui" in out.stderr


def test_unknown_format_is_a_one_line_error(tmp_path):
    odd = tmp_path / "notes.txt"
    odd.write_text("just some prose\nwith no structure\n")
    out = run("ingest", str(odd), "--db", str(tmp_path / "x.duckdb"))
    assert out.returncode == 1
    assert "cannot tell the format" in out.stderr and "Traceback" not in out.stderr


def _unprivileged() -> list[str]:
    """A command prefix that drops root (root writes into read-only folders anyway)."""
    import os
    import shutil

    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: a read-only folder cannot be made")
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run([*prefix, *EVALTUI, "--version"], capture_output=True, text=True, timeout=120, cwd="/")
    if probe.returncode != 0:  # e.g. a checkout under a 0700 folder (mktemp -d): nobody cannot import it
        pytest.skip(f"the unprivileged user cannot run evaltui from this checkout: {probe.stderr.strip()[-120:]}")
    return prefix


def test_a_writable_database_in_a_read_only_folder_is_a_one_line_error_for_ingest_and_datasets_create():
    import os
    import shutil
    import tempfile
    from pathlib import Path

    folder = tempfile.mkdtemp(prefix="evaltui-ro-")  # under /tmp, so an unprivileged user can reach it
    try:
        db = os.path.join(folder, "x.duckdb")
        logs = write_jsonl(
            Path(folder) / "logs.jsonl",
            conversation(1, "billing", 1.0, cq=1.0) + conversation(2, "billing", 0.0, cq=0.0),
        )
        assert run("ingest", str(logs), "--db", db).returncode == 0
        for name in (db, str(logs)):
            os.chmod(name, 0o666)
        os.chmod(folder, 0o555)
        for args in (["ingest", str(logs)], ["datasets", "create", "d", "--where", "topic = billing"]):
            out = subprocess.run(
                [*_unprivileged(), *EVALTUI, *args, "--db", db], capture_output=True, text=True, timeout=120, cwd=folder
            )
            assert out.returncode == 2, out.stderr
            assert out.stderr.startswith(f"error: cannot write {db}: its folder {folder} is read-only")
            assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    finally:
        os.chmod(folder, 0o755)
        shutil.rmtree(folder)


def test_a_csv_whose_rows_have_bad_scores_counts_kept_rows_and_skipped_scores_apart(tmp_path):
    rows = ["input,output,score.Helpful"] + [f"question {i},answer {i},{'high' if i < 6 else 0.5}" for i in range(7)]
    path = tmp_path / "scored.csv"
    path.write_text("\n".join(rows) + "\n")
    out = run("ingest", str(path), "--db", str(tmp_path / "x.duckdb"))
    assert out.returncode == 3  # partly done: rows kept, some scores skipped
    assert f"{path} (csv): kept 7, skipped 0, scores skipped 6, new spans 7, new scores 1" in out.stdout
    assert [line.split(":")[1] for line in out.stderr.splitlines() if line.startswith(str(path))] == [
        str(n) for n in range(2, 8)
    ]
