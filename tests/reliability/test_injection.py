"""SQL metacharacters in dataset names, experiment names, file paths and filters never
reach SQL as code. Each attempt goes through the CLI against a real DuckDB file, with a
hash of every table's contents before and after: a read or a rejected command leaves
the file unchanged, and a write changes only the rows it is for, under the literal name.
(tests/unit/test_filters.py covers `logs --where`; this covers the other ways in.)"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from evaltui.cli import main
from evaltui.store import Store
from tests.helpers import EVALTUI
from tests.helpers import conversation, write_jsonl

PAYLOADS = [
    "x'; DROP TABLE spans; --",
    'x"; DELETE FROM scores; --',
    "a' OR '1'='1",
    "); DROP TABLE datasets; --",
    "Robert'); UPDATE experiments SET name = 'pwned'; --",
    "$1 ? %s {0} :name \\' \\\" ;",
    "x'||(SELECT string_agg(id, ',') FROM spans)||'",
    "'; ATTACH 'evil.duckdb' AS evil; COPY spans TO 'leak.csv'; --",
    "é‘’“” ‐ ;-- /* comment */ \\N",
]
FILTERS = [
    'input ~ "\'; DROP TABLE spans; --"',
    "topic = 'x'' OR 1=1 --'",
    "topic = billing; DROP TABLE spans",
    'metadata."a\'); DROP TABLE spans; --" = 1',
    'scores."x""; DELETE FROM scores; --" > 0',
    "1=1 --",
    'topic = "billing" or 1 = 1',
]
DATASET_TABLES = {"datasets", "dataset_versions", "dataset_records"}
EXPERIMENT_TABLES = {"experiments", "experiment_results", "result_scores"}


def fingerprint(db: Path) -> dict[str, str]:
    """A hash of every table's rows (in a fixed order), by table name."""
    out: dict[str, str] = {}
    with Store(db, read_only=True) as store:
        tables = [
            r[0]
            for r in store.con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY table_name"
            ).fetchall()
        ]
        for table in tables:
            rows = store.con.execute(f'SELECT * FROM "{table}" ORDER BY ALL').fetchall()
            out[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    assert set(before) == set(after), "a table appeared or disappeared"
    return {t for t in before if before[t] != after[t]}


def cli(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("inject")
    path = tmp / "inject.duckdb"
    logs = write_jsonl(
        tmp / "logs.jsonl",
        [
            s
            for i in range(12)
            for s in conversation(i, "billing" if i % 2 else "login", 1.0 if i % 3 else 0.0, 1.0, text=f"question {i}")
        ],
    )
    assert cli(path, "ingest", str(logs))[0] == 0
    assert cli(path, "datasets", "create", "base", "--where", 'topic = "billing"')[0] == 0
    eval_file = tmp / "named_eval.py"
    eval_file.write_text(
        "import os\nfrom evaltui import Eval\n"
        "Eval('proj', data=lambda: [{'input': i, 'expected': i, 'id': f'r{i}'} for i in range(3)],\n"
        "     task=lambda x: x, scores=[lambda output, expected: output == expected],\n"
        "     experiment_name=os.environ['EVALTUI_TEST_EXPERIMENT'])\n"
    )
    return path


@pytest.mark.parametrize("payload", PAYLOADS)
def test_reads_with_metacharacters_in_names_change_nothing(db, payload, tmp_path):
    before = fingerprint(db)
    for args in (
        ["datasets", "show", payload],
        ["datasets", "show", payload, "--json"],
        ["datasets", "export", payload, "--format", "jsonl", "-o", str(tmp_path / "out.jsonl")],
        ["datasets", "add", payload, "--where", "topic = billing"],
        ["datasets", "remove", "base", payload],
        ["experiments", "show", payload],
        ["diff", payload, "base"],
        ["calibrate", payload],
        ["logs", "--where", f"topic = {json.dumps(payload, ensure_ascii=False)}"],
    ):
        code, out = cli(db, *args)
        assert "Traceback" not in out
        if args[0] == "logs":
            # a literal that names no topic: said so (it would match nothing), never run as SQL
            assert code == 2 and out.startswith("error: no topic named "), out
        elif args[:2] == ["datasets", "remove"]:
            assert code == 0 and "no change" in out
        else:
            assert code == 2 and out.startswith("error: "), (args, out)
    assert changed(before, fingerprint(db)) == set()


@pytest.mark.parametrize("where", FILTERS)
def test_filters_through_datasets_create_are_values_or_rejected(db, where):
    before = fingerprint(db)
    code, out = cli(db, "datasets", "create", "from-filter", "--where", where)
    assert "Traceback" not in out
    after = fingerprint(db)
    if code == 2:  # rejected by the parser: nothing written
        assert out.startswith("error: bad filter") and changed(before, after) == set()
        return
    assert code == 0, out
    # a filter that parsed is a value comparison: at most a dataset was written, nothing else
    assert changed(before, after) <= DATASET_TABLES
    with Store(db, read_only=True) as store:
        made = store.con.execute("SELECT count(*) FROM datasets WHERE name = 'from-filter'").fetchall()[0][0]
        if made:
            store.close()
    if made:  # undo, so the next attempt starts from the same file
        with Store(db) as store:
            ids = [r[0] for r in store.con.execute("SELECT id FROM datasets WHERE name = 'from-filter'").fetchall()]
            for table in ("dataset_records", "dataset_versions"):
                store.con.execute(f"DELETE FROM {table} WHERE dataset_id IN (SELECT unnest(?))", [ids]).fetchall()
            store.con.execute("DELETE FROM datasets WHERE name = 'from-filter'").fetchall()
        assert changed(before, fingerprint(db)) == set()


def test_writes_with_metacharacters_store_the_literal_name_and_touch_nothing_else(db, tmp_path, monkeypatch):
    names: list[str] = []
    for payload in PAYLOADS[:5]:
        before = fingerprint(db)
        code, out = cli(db, "datasets", "create", payload, "--where", 'topic = "login"')
        assert code == 0, out
        assert changed(before, fingerprint(db)) <= DATASET_TABLES
        names.append(payload)

        # a dataset file whose path is full of metacharacters, imported under a payload name
        weird = tmp_path / f'it\'s "{len(names)}"; DROP TABLE spans;--.jsonl'
        write_jsonl(weird, [{"input": payload, "expected": payload, "id": f"w{len(names)}"}])
        before = fingerprint(db)
        code, out = cli(db, "datasets", "import", payload + " (imported)", str(weird))
        assert code == 0, out
        assert changed(before, fingerprint(db)) <= DATASET_TABLES
        names.append(payload + " (imported)")

        # an experiment named by the payload
        monkeypatch.setenv("EVALTUI_TEST_EXPERIMENT", payload)
        before = fingerprint(db)
        code, out = cli(db, "eval", str(db.parent / "named_eval.py"), "--jsonl")
        assert code == 0, out
        assert json.loads(out.splitlines()[-1])["experiment_name"] == payload
        assert changed(before, fingerprint(db)) <= EXPERIMENT_TABLES

    # the names round-trip literally, and what they name reads back whole
    listed = [json.loads(line)["name"] for line in cli(db, "datasets", "list", "--json")[1].splitlines()]
    assert sorted(listed) == sorted(["base", *names])
    exps = [json.loads(line)["name"] for line in cli(db, "experiments", "list", "--json")[1].splitlines()]
    assert sorted(exps) == sorted(PAYLOADS[:5])
    code, out = cli(db, "datasets", "show", PAYLOADS[1] + " (imported)", "--json")
    assert code == 0 and json.loads(out)["input"] == PAYLOADS[1]

    # a real process, an export path with metacharacters
    before = fingerprint(db)
    target = tmp_path / "out; DROP TABLE spans; '--.jsonl"
    out = subprocess.run(
        [*EVALTUI, "--db", str(db), "datasets", "export", PAYLOADS[0], "--format", "jsonl", "-o", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert len(target.read_text().splitlines()) == 6  # the six login conversations
    missing = subprocess.run(
        [*EVALTUI, "--db", str(db), "ingest", str(tmp_path / "no'; DROP TABLE spans;--.jsonl")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode != 0 and missing.stderr.startswith("error: ") and "no such file" in missing.stderr
    assert changed(before, fingerprint(db)) == set()
