"""Datasets from logs: buckets, seeded stratified samples, versions, import/export, init_dataset."""

from __future__ import annotations

import json
import subprocess

import pytest

from evaltui.config import settings
from evaltui.curation.buckets import bucket_of, classify
from tests.helpers import EVALTUI
from tests.helpers import conversation, write_jsonl


def run(*args: str):
    """The `evaltui` command in this process (fast); test_cli_as_a_process runs the real one."""
    from click.testing import CliRunner

    from evaltui.cli import main

    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    result.returncode = result.exit_code
    return result


def test_cli_as_a_process(logs_db):
    out = subprocess.run(
        [
            *EVALTUI,
            "datasets",
            "create",
            "p",
            "--where",
            "topic = account_and_login",
            "--failing",
            "1",
            "--db",
            str(logs_db),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0 and "version 1: failing 1 of 10" in out.stdout
    out = subprocess.run([*EVALTUI, "datasets", "show", "nope", "--db", str(logs_db)], capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.startswith("error: no dataset named 'nope'")


def test_buckets_from_thresholds():
    # defaults: threshold .5, margin .25 -> [0, .25) failing, [.25, .75) borderline, [.75, 1] passing
    assert [classify(s, 0.5, 0.25) for s in (0.0, 0.24, 0.25, 0.5, 0.74, 0.75, 1.0)] == [
        "failing",
        "failing",
        "borderline",
        "borderline",
        "borderline",
        "passing",
        "passing",
    ]
    s = settings(fail_threshold={"default": 0.5, "brand_alignment": 0.9}, borderline_margin=0.0)
    assert bucket_of({"brand_alignment": 0.8, "other": 1.0}, s) == "failing"  # the worst scorer decides
    assert bucket_of({"other": 0.6}, s) == "passing"
    assert bucket_of({"other": [1.0, 0.0, 1.0]}, settings()) == "borderline"  # grades flip across trials
    assert bucket_of({}, s) == "unscored"


@pytest.fixture
def logs_db(tmp_path):
    from evaltui.ingest import ingest_file
    from evaltui.store import Store

    rows = []
    for i in range(30):  # 10 failing (C), 10 borderline (B), 10 passing (A) account conversations
        rows += conversation(i, "account_and_login", [0.0, 0.5, 1.0][i % 3], text=f"login problem {i}")
    rows += conversation(99, "billing_and_payments", 0.0, text="refund")
    path = write_jsonl(tmp_path / "logs.jsonl", rows)
    db = tmp_path / "d.duckdb"
    with Store(db) as store:
        ingest_file(store, path)
    return db


def test_create_from_logs_stratified_seeded_sample(logs_db):
    out = run(
        "datasets",
        "create",
        "login",
        "--where",
        "topic = account_and_login",
        "--failing",
        "4",
        "--borderline",
        "2",
        "--passing",
        "1",
        "--seed",
        "7",
        "--db",
        str(logs_db),
    )
    assert out.returncode == 0, out.stderr
    assert "version 1: failing 4 of 10, borderline 2 of 10, passing 1 of 10" in out.stdout
    records = [
        json.loads(x) for x in run("datasets", "show", "login", "--json", "--db", str(logs_db)).stdout.splitlines()
    ]
    assert [r["bucket"] for r in records] == ["failing"] * 4 + ["borderline"] * 2 + ["passing"]
    first = records[0]
    assert first["origin_span_id"] == first["id"] and first["expected"] is None
    assert (
        first["input"][0]["content"].startswith("login problem") and first["metadata"]["topic"] == "account_and_login"
    )
    # same seed, same sample; another seed, another sample
    run(
        "datasets",
        "create",
        "again",
        "--where",
        "topic = account_and_login",
        "--failing",
        "4",
        "--borderline",
        "2",
        "--passing",
        "1",
        "--seed",
        "7",
        "--db",
        str(logs_db),
    )
    run(
        "datasets",
        "create",
        "other",
        "--where",
        "topic = account_and_login",
        "--failing",
        "4",
        "--seed",
        "8",
        "--expected-from-output",
        "--db",
        str(logs_db),
    )
    again = [
        json.loads(x)["id"]
        for x in run("datasets", "show", "again", "--json", "--db", str(logs_db)).stdout.splitlines()
    ]
    other = [
        json.loads(x) for x in run("datasets", "show", "other", "--json", "--db", str(logs_db)).stdout.splitlines()
    ]
    assert again == [r["id"] for r in records]
    assert [r["id"] for r in other] != again[:4] and all(r["expected"] == "ok" for r in other)
    out = run("datasets", "create", "login", "--where", "", "--db", str(logs_db))
    assert out.returncode == 2 and "exists" in out.stderr
    listed = [json.loads(x) for x in run("datasets", "list", "--json", "--db", str(logs_db)).stdout.splitlines()]
    assert [(d["name"], d["version"], d["records"]) for d in listed] == [
        ("login", 1, 7),
        ("again", 1, 7),
        ("other", 1, 4),
    ]


def test_versions_keep_older_records_readable(logs_db):
    from evaltui.store import Store

    run("datasets", "create", "v", "--where", "topic = billing_and_payments", "--db", str(logs_db))
    out = run("datasets", "add", "v", "--where", "topic = account_and_login", "--failing", "2", "--db", str(logs_db))
    assert "version 2" in out.stdout
    out = run("datasets", "add", "v", "--where", "topic = billing_and_payments", "--db", str(logs_db))
    assert "no change" in out.stdout  # the same records again make no version
    out = run("datasets", "remove", "v", "c99", "--db", str(logs_db))
    assert "version 3" in out.stdout

    def ids(version):
        lines = run(
            "datasets", "show", "v", "--version", str(version), "--json", "--db", str(logs_db)
        ).stdout.splitlines()
        return sorted(json.loads(x)["id"] for x in lines)

    assert ids(1) == ["c99"] and len(ids(2)) == 3 and "c99" in ids(2) and "c99" not in ids(3) and len(ids(3)) == 2
    out = run("datasets", "show", "v", "--version", "9", "--db", str(logs_db))
    assert out.returncode == 2 and "versions 1..3" in out.stderr

    from evaltui import init_dataset

    ds = init_dataset("proj", "v", db=logs_db)
    ds.insert(input="new question", expected="answer", id="n1")
    ds.delete(ids(3)[0])
    assert ds.flush() == 4 and sorted(r["id"] for r in ds) == sorted([ids(3)[1], "n1"])
    old = init_dataset("proj", "v", version=1, db=logs_db)
    assert [r["id"] for r in old] == ["c99"]
    with Store(logs_db) as store:
        from evaltui.store.datasets import versions

        info = store.con.execute("SELECT id FROM datasets WHERE name = 'v'").fetchall()[0][0]
        assert [(h["version"], h["added"], h["removed"], h["records"]) for h in versions(store, info)] == [
            (1, 1, 0, 1),
            (2, 2, 0, 3),
            (3, 0, 1, 2),
            (4, 1, 1, 2),
        ]


@pytest.mark.parametrize(
    "fmt,suffix", [("jsonl", "jsonl"), ("csv", "csv"), ("parquet", "parquet"), ("braintrust", "json")]
)
def test_export_import_round_trip(logs_db, tmp_path, fmt, suffix):
    run(
        "datasets",
        "create",
        "src",
        "--where",
        "topic = account_and_login",
        "--failing",
        "3",
        "--passing",
        "2",
        "--expected-from-output",
        "--db",
        str(logs_db),
    )
    path = tmp_path / f"out.{suffix}"
    out = run("datasets", "export", "src", "--format", fmt, "-o", str(path), "--db", str(logs_db))
    assert out.returncode == 0, out.stderr
    out = run("datasets", "import", "dst", str(path), "--format", fmt, "--db", str(logs_db))
    assert out.returncode == 0, out.stderr
    assert "kept 5, skipped 0" in out.stdout

    def records(name):
        return [
            json.loads(x) for x in run("datasets", "show", name, "--json", "--db", str(logs_db)).stdout.splitlines()
        ]

    assert records("dst") == records("src")
    if fmt == "braintrust":
        row = json.loads(path.read_text().splitlines()[0])
        assert set(row) == {"id", "input", "expected", "metadata", "tags"}
        assert row["metadata"]["evaltui"]["bucket"] == "failing"


def test_import_reports_bad_lines_and_keeps_good_ones(logs_db, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(
        '{"input": "a", "expected": "A"}\nnot json\n{"expected": "no input"}\n{"id": "x", "input": {"q": 1}}\n'
    )
    out = run("datasets", "import", "imp", str(path), "--db", str(logs_db))
    assert out.returncode == 3  # some lines bad, the rest kept
    assert f"{path}:2: not valid JSON" in out.stderr and f"{path}:3: no 'input'" in out.stderr
    assert "kept 2, skipped 2" in out.stdout
    csv = tmp_path / "in.csv"
    csv.write_text('input,expected,topic\nhello,"""HELLO""",greet\n')
    assert run("datasets", "import", "imp", str(csv), "--db", str(logs_db)).returncode == 0
    rows = [json.loads(x) for x in run("datasets", "show", "imp", "--json", "--db", str(logs_db)).stdout.splitlines()]
    assert {"id": "x", "input": {"q": 1}}.items() <= rows[1].items()
    assert rows[2]["input"] == "hello" and rows[2]["expected"] == "HELLO"


def test_import_of_a_csv_with_one_bad_row_keeps_the_other_rows_and_their_unknown_columns(logs_db, tmp_path):
    path = tmp_path / "complaints.csv"
    lines = ["id,input,output,severity"] + [
        f'c{i},"parcel {i} arrived late, box crushed",sorry {i},{i % 3}' for i in range(1, 16)
    ]
    lines.append("c16,refund never came, charged twice, still waiting,sorry 16,2")  # unquoted commas
    path.write_text("\n".join(lines) + "\n")
    out = run("datasets", "import", "complaints", str(path), "--db", str(logs_db))
    assert out.returncode == 3  # partly done
    assert f"{path}:17: expected 4 columns, got 6" in out.stderr
    assert "kept 15, skipped 1" in out.stdout
    rows = {
        r["id"]: r
        for r in (
            json.loads(x)
            for x in run("datasets", "show", "complaints", "--json", "--db", str(logs_db)).stdout.splitlines()
        )
    }
    assert sorted(rows) == sorted(f"c{i}" for i in range(1, 16))
    assert rows["c4"]["input"] == "parcel 4 arrived late, box crushed"
    assert rows["c4"]["metadata"] == {"output": "sorry 4", "severity": 1}

    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text('{"id": "j1", "input": "q", "output": "a", "metadata": {"k": 1}}\n')
    assert run("datasets", "import", "j", str(jsonl), "--db", str(logs_db)).returncode == 0
    row = json.loads(run("datasets", "show", "j", "--json", "--db", str(logs_db)).stdout)
    assert row["metadata"] == {"output": "a", "k": 1}


def test_import_keeps_the_first_copy_of_a_repeated_id_and_reports_each_later_copy_with_its_line(logs_db, tmp_path):
    path = tmp_path / "dups.jsonl"
    path.write_text(
        '{"id": "a", "input": "first"}\n{"id": "b", "input": "b"}\n{"id": "a", "input": "second"}\n'
        '{"input": "same"}\n{"input": "same"}\n'
    )
    out = run("datasets", "import", "dups", str(path), "--db", str(logs_db))
    assert out.returncode == 3  # partly done
    assert f"{path}:3: duplicate id 'a' (first at line 1); skipped" in out.stderr
    assert f"{path}:5: duplicate id 'rec-" in out.stderr and "(first at line 4); skipped" in out.stderr
    assert "kept 3, skipped 2" in out.stdout
    rows = {
        r["id"]: r
        for r in (
            json.loads(x) for x in run("datasets", "show", "dups", "--json", "--db", str(logs_db)).stdout.splitlines()
        )
    }
    assert rows["a"]["input"] == "first" and len(rows) == 3

    csv = tmp_path / "dups.csv"
    csv.write_text("id,input\nx,one\ny,two\nx,three\n")
    out = run("datasets", "import", "dups-csv", str(csv), "--db", str(logs_db))
    assert f"{csv}:4: duplicate id 'x' (first at line 2); skipped" in out.stderr and "kept 2, skipped 1" in out.stdout


def test_an_experiment_pins_the_dataset_version_it_ran_on(logs_db):
    from evaltui import Eval, init_dataset

    run("datasets", "create", "pin", "--where", "topic = account_and_login", "--failing", "2", "--db", str(logs_db))
    result = Eval(
        "pinproj",
        data=init_dataset("pinproj", "pin", db=logs_db),
        task=lambda messages: "ok",
        scores=[lambda output: 1.0],
        experiment_name="pinned",
        db=logs_db,
        quiet=True,
    )
    assert result.summary.dataset == "pin" and result.summary.dataset_version == 1 and result.summary.results == 2
    run("datasets", "add", "pin", "--where", "topic = billing_and_payments", "--db", str(logs_db))
    listed = [json.loads(x) for x in run("experiments", "list", "--json", "--db", str(logs_db)).stdout.splitlines()]
    assert (listed[0]["dataset"], listed[0]["dataset_version"]) == ("pin", 1)
    shown = json.loads(run("experiments", "show", "pinned", "--json", "--db", str(logs_db)).stdout)
    assert {c["bucket"] for c in shown["cases"]} == {"failing"}


def test_every_list_of_buckets_comes_worst_first_in_one_order():
    from evaltui.model import Bucket, bucket_order

    names = ["(none)", "passing", "unscored", "failing", "zzz", "borderline"]
    assert sorted(names, key=bucket_order) == ["failing", "borderline", "passing", "unscored", "(none)", "zzz"]
    assert [b.value for b in Bucket] == ["failing", "borderline", "passing", "unscored"]
