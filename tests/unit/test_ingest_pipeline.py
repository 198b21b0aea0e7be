"""Every importer through the whole pipeline: detection, the store, re-ingest, follow."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from evaltui.ingest import IngestError, detect_format, follow_file, importer, ingest_file
from evaltui.ingest.records import BadRecord
from evaltui.store import logs
from tests.helpers import EVALTUI

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ingest"

GOOD = {
    "openai": "openai_chat.jsonl",
    "braintrust": "braintrust_export.json",
    "langfuse": "langfuse_traces.json",
    "otel": "otel_genai.json",
    "csv": "support_logs.csv",
    "evaltui": "evaltui_spans.jsonl",
}
BROKEN = {
    "openai": "openai_chat_broken.jsonl",
    "braintrust": "braintrust_broken.jsonl",
    "langfuse": "langfuse_broken.json",
    "otel": "otel_broken.jsonl",
    "csv": "support_logs_broken.csv",
}


def _expected(path: Path) -> tuple[set[str], list[int], int]:
    """What the importer alone reads: span ids, bad line numbers, scores."""
    rows = list(importer(detect_format(path)).read(path))
    spans = {r.id for r in rows if not isinstance(r, BadRecord)}
    scores = sum(len(r.scores) for r in rows if not isinstance(r, BadRecord))
    return spans, sorted(r.line for r in rows if isinstance(r, BadRecord)), scores


@pytest.mark.parametrize("fmt", sorted(GOOD))
def test_each_format_is_detected_and_stored_once(store, fmt):
    path = FIXTURES / GOOD[fmt]
    assert detect_format(path) == fmt
    ids, bad_lines, n_scores = _expected(path)
    first = ingest_file(store, path)
    assert first.format == fmt and first.bad == [] and first.added == len(ids)
    stored = {r[0] for r in store.con.execute("SELECT id FROM spans").fetchall()}
    assert stored == ids
    # Every span hangs off a root that is in the same trace.
    orphans = store.con.execute(
        "SELECT count(*) FROM spans c WHERE c.parent_id IS NOT NULL AND c.root_id = c.id"
    ).fetchall()[0][0]
    assert orphans == 0
    assert store.con.execute("SELECT count(*) FROM scores").fetchall()[0][0] <= n_scores
    again = ingest_file(store, path)
    assert (again.added, again.scores_added) == (0, 0)
    assert logs.count(store, roots_only=False) == len(ids)


@pytest.mark.parametrize("fmt", sorted(BROKEN))
def test_broken_files_keep_good_records_and_report_lines(store, fmt):
    path = FIXTURES / BROKEN[fmt]
    ids, bad_lines, _ = _expected(path)
    assert bad_lines, "the broken fixture should hold bad records"
    report = ingest_file(store, path, fmt)
    assert sorted(b.line for b in report.bad) == bad_lines
    assert all(str(b).startswith(f"{path}:{b.line}: ") for b in report.bad)
    assert {r[0] for r in store.con.execute("SELECT id FROM spans").fetchall()} == ids


def test_cli_reports_bad_records_of_every_format(tmp_path):
    db = str(tmp_path / "x.duckdb")
    files = [str(FIXTURES / f) for f in BROKEN.values()]
    out = subprocess.run([*EVALTUI, "ingest", *files, "--db", db], capture_output=True, text=True, timeout=120)
    assert out.returncode == 3  # some records bad, the rest kept
    reported = [line for line in out.stderr.splitlines() if line.split(":")[0] in files]
    expected = sum(len(_expected(Path(f))[1]) for f in files)
    assert len(reported) == expected
    assert "total: kept" in out.stdout


def test_scores_keep_their_exported_names(store):
    ingest_file(store, FIXTURES / GOOD["braintrust"])
    names = {r[0] for r in store.con.execute("SELECT scorer FROM scores").fetchall()}
    assert any(" " in n for n in names), names  # e.g. "Brand Alignment", verbatim


@pytest.mark.parametrize("fmt", ["openai", "csv"])
def test_follow_gives_the_same_ids_as_a_whole_file_ingest(tmp_path, fmt):
    """Formats without ids hash the line number: a followed file must give the same ids."""
    from evaltui.store import Store

    source = FIXTURES / GOOD[fmt]
    lines = source.read_bytes().splitlines(keepends=True)
    cut = 2 if fmt == "csv" else 1  # header + one row, or one line
    live = tmp_path / f"live{source.suffix}"
    live.write_bytes(b"".join(lines[:cut]))
    with Store(tmp_path / "follow.duckdb") as followed:
        stop = threading.Event()
        reports = []
        worker = threading.Thread(
            target=follow_file,
            args=(followed, live),
            kwargs={"fmt": fmt, "stop": stop, "poll_seconds": 0.05, "on_report": reports.append},
        )
        worker.start()
        try:
            deadline = time.monotonic() + 30
            while not reports:  # the first part is stored before the rest is written: two reads, not one
                assert time.monotonic() < deadline and worker.is_alive(), "follow did not read the first part"
                time.sleep(0.02)
            first_part = reports[0].added
            with open(live, "ab") as fh:
                fh.write(b"".join(lines[cut:]))
            deadline = time.monotonic() + 10
            whole_ids, _, _ = _expected(source)
            reader = followed.con.cursor()  # the follower thread owns followed.con
            # the rows are visible a moment before their chunk's report is handed over
            while {r[0] for r in reader.execute("SELECT id FROM spans").fetchall()} != whole_ids or sum(
                r.added for r in reports
            ) < len(whole_ids):
                assert time.monotonic() < deadline, "follow did not catch up"
                time.sleep(0.05)
            assert 0 < first_part < len(whole_ids) and sum(r.added for r in reports) == len(whole_ids)
        finally:
            stop.set()
            worker.join(5)


def test_follow_refuses_a_json_document(store, tmp_path):
    import json

    doc = tmp_path / "otel.json"
    doc.write_text(json.dumps(json.loads((FIXTURES / GOOD["otel"]).read_text()), indent=2))  # pretty: one document
    with pytest.raises(IngestError, match="one JSON record per line"):
        follow_file(store, doc, stop=threading.Event())
