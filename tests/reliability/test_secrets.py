"""With OPENAI_API_KEY set to a marker, run what a user runs (ingest, score with an LLM
judge, eval, dataset exports, a SIGKILL mid-run, a failing eval file) against the
loopback server, which at times answers with a 401 that repeats the key. The marker
appears in no file under the database's folder, no export and no output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

from evaltui.testing import FakeOpenAI, Fault, default_responder
from tests.helpers import EVALTUI, ROOT
from tests.helpers import cells_containing, conversation, query, write_jsonl

EVAL_FILE = ROOT / "tests" / "fixtures" / "reliability" / "secrets_eval.py"
MARKER = "sk-evaltui-SECRET-MARKER-3c9d41f07e"


def leaky(request: dict) -> object:
    """A 401 that repeats the key for any prompt that says LEAK; normal replies otherwise."""
    if "LEAK" in str(request.get("messages")):
        return Fault("auth_error")
    return default_responder(request)


def assert_no_marker(where: str, data: bytes | str) -> None:
    raw = data.encode() if isinstance(data, str) else data
    for needle in (MARKER.encode(), MARKER[3:].encode(), MARKER.encode("utf-16-le")):
        assert needle not in raw, f"the API key leaked into {where}"


def test_the_api_key_is_never_written_anywhere(tmp_path):
    home = tmp_path / "project"
    home.mkdir()
    db = home / "secrets.duckdb"
    outputs: list[tuple[str, str]] = []
    with FakeOpenAI(responder=leaky) as server:
        env = {
            **os.environ,
            "OPENAI_API_KEY": MARKER,
            "OPENAI_BASE_URL": server.base_url,
            "EVALTUI_CONFIG": str(tmp_path / "none.toml"),
            "EVALTUI_LLM_MAX_RETRIES": "1",
            "EVALTUI_LLM_BACKOFF_S": "0.01",
        }

        def run(*args: str, check: int | None = 0, **extra: str) -> subprocess.CompletedProcess:
            out = subprocess.run(
                [*EVALTUI, "--db", str(db), *args],
                capture_output=True,
                text=True,
                cwd=home,
                env={**env, **extra},
                timeout=120,
            )
            outputs.append((" ".join(args), out.stdout + out.stderr))
            if check is not None:
                assert out.returncode == check, (args, out.stdout, out.stderr)
            return out

        logs = write_jsonl(
            home / "logs.jsonl",
            [
                s
                for i in range(10)
                for s in conversation(i, "billing", 1.0, 1.0, text=("LEAK " if i == 4 else "") + f"question {i}")
            ],
        )
        run("ingest", str(logs))
        server.enqueue(Fault("server_error"), Fault("malformed"), Fault("auth_error"))
        # No retries here: each queued fault fails exactly one request. The LEAK turn fails
        # with a 401 either way; whether a queued fault lands on it first depends on timing,
        # so 3 or 4 turns end with an error, each reported.
        scored = run("score", "--scorer", "brand_alignment", "--json", check=3, EVALTUI_LLM_MAX_RETRIES="0")
        usage = json.loads(scored.stdout.splitlines()[-1])["usage"]
        assert usage["errors"] in (3, 4) and usage["calls"] + usage["errors"] == 10, usage
        assert "refused the API key (401)" in scored.stdout
        run("score", "--scorer", "conversation_quality", "--json", check=3)  # the LEAK span fails

        summary = run("eval", str(EVAL_FILE), "--jsonl", check=3)  # one case fails (exit 3: partly done)
        assert '"errors": 1' in summary.stdout.replace('":1', '": 1')
        shown = run("experiments", "show", "secrets", "--json")
        assert "AuthenticationError" in shown.stdout  # the case is marked with the reason...
        run("experiments", "list")
        run("datasets", "create", "from-logs", "--where", "topic = billing")
        for fmt, ext in (("jsonl", "jsonl"), ("csv", "csv"), ("parquet", "parquet"), ("braintrust", "json")):
            run("datasets", "export", "from-logs", "--format", fmt, "-o", str(home / f"export.{ext}"))
        run("datasets", "export", "from-logs", "--format", "jsonl", "-o", "-")
        run("logs", "--all-spans", "--json")

        # a crash: SIGKILL in the middle of an eval, then its resume
        # Killed once it has committed (its journal exists), so the journal it leaves is scanned.
        wal = home / "secrets.duckdb.wal"
        assert not wal.exists()  # every command before closed the file cleanly
        proc = subprocess.Popen(
            [*EVALTUI, "--db", str(db), "eval", str(EVAL_FILE), "--jsonl"],
            cwd=home,
            env={**env, "EVALTUI_TEST_SLOW": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while not (wal.exists() and wal.stat().st_size) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the eval finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        outputs.append(("killed eval", out.decode() + err.decode()))
        assert wal.exists() and wal.stat().st_size > 0  # the kill left a journal behind
        for p in home.iterdir():  # that journal included
            if p.is_file():
                assert_no_marker(f"{p.name} (after SIGKILL)", p.read_bytes())
        run("eval", str(EVAL_FILE), "--jsonl", check=3)

        # an exception path: the eval file fails while loading, through a 401 that repeats the key
        failed = run("eval", str(EVAL_FILE), check=2, EVALTUI_TEST_FAIL_ON_LOAD="1")
        assert "failed to load" in failed.stderr and "AuthenticationError" in failed.stderr

        assert any(MARKER in r.headers.get("authorization", "") for r in server.chat_requests)  # it was used

    for where, text in outputs:
        assert_no_marker(f"the output of `evaltui {where}`", text)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    for p in files:
        assert_no_marker(str(p.relative_to(tmp_path)), p.read_bytes())
    assert {p.name for p in files} >= {"secrets.duckdb", "export.jsonl", "export.csv", "export.parquet", "export.json"}
    # DuckDB compresses what it stores, so a byte scan can miss a marker: search every column too.
    assert cells_containing(db, MARKER[3:]) == []
    stored_metadata = query(
        db, "SELECT DISTINCT json_extract_string(metadata, '$.endpoint.api_key') FROM experiment_results"
    )
    assert stored_metadata == [("***",)]  # the task put the key into hooks.metadata; it was redacted


def test_the_column_search_finds_a_marker_hidden_among_thousands_of_compressed_rows(tmp_path):
    from evaltui.store import Store

    db = tmp_path / "big.duckdb"
    with Store(db) as store:
        store.con.execute(
            "INSERT INTO spans (id, root_id, name, span_type, ts, input, metadata, tags, metrics, source, ingested_at) "
            "SELECT 's' || i, 's' || i, 'conversation', 'conversation', now()::TIMESTAMP, '\"hello\"', "
            "CASE WHEN i = 4321 THEN json_object('k', ?) ELSE '{}' END, [], '{}', 'test', now()::TIMESTAMP "
            "FROM range(5000) t(i)",
            [MARKER],
        )
    assert cells_containing(db, MARKER[3:]) == [("spans", "metadata", 1)]


def test_user_error_text_is_scrubbed_of_the_configured_key_only(monkeypatch):
    from evaltui.config import get_settings
    from evaltui.llm import redact_configured

    monkeypatch.setenv("OPENAI_API_KEY", MARKER)
    get_settings.cache_clear()
    try:
        text = redact_configured(f"openai.AuthenticationError: Incorrect API key provided: {MARKER}.")
        assert MARKER not in text and "Incorrect API key provided: ***" in text
        monkeypatch.setenv("OPENAI_API_KEY", "x")  # a placeholder for a local server: no key to hide
        get_settings.cache_clear()
        assert redact_configured("exact text, unchanged") == "exact text, unchanged"
    finally:
        get_settings.cache_clear()
