"""One error hierarchy: the errors a user can cause are told apart by their type (never by
their text), and every command ends each of them with one line and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evaltui.errors import StoreBusy, StoreConfigConflict, StoreNeedsUpgrade
from evaltui.store import Store
from tests.helpers import conversation, write_jsonl


def test_a_file_another_process_holds_is_busy_until_it_lets_go(db_path: Path) -> None:
    Store(db_path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from evaltui.store import Store; s = Store(sys.argv[1]); "
            "print('open', flush=True); sys.stdin.read(); s.close()",
            str(db_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreBusy, match="in use by another process"):
            Store(db_path, lock_timeout=0.2)
    finally:
        holder.stdin.close()
        holder.wait(60)
    Store(db_path, read_only=True).close()  # let go: the next one gets in


def test_reading_while_this_process_writes_is_a_config_conflict_that_reading_shares(db_path: Path) -> None:
    from evaltui.store.connections import reading, writing

    with Store(db_path) as writer:
        writer.con.execute("INSERT INTO evaltui_meta VALUES ('probe', 'written')")
        with pytest.raises(StoreConfigConflict):
            Store(db_path, read_only=True, lock_timeout=0.1)
        with reading(db_path) as shared:  # DuckDB lets this process in with the writer's configuration
            assert shared.con.execute("SELECT value FROM evaltui_meta WHERE key = 'probe'").fetchone() == ("written",)
    with Store(db_path, read_only=True):
        with pytest.raises(StoreConfigConflict):  # retried for lock_timeout, then given up
            with writing(db_path, lock_timeout=0.2):
                pass


def test_an_older_file_opened_read_only_needs_an_upgrade(db_path: Path) -> None:
    import duckdb

    from evaltui.store.schema import SCHEMA_VERSION

    Store(db_path).close()
    con = duckdb.connect(str(db_path))
    con.execute("UPDATE evaltui_meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION - 1)])
    con.close()
    with pytest.raises(StoreNeedsUpgrade, match="open it once without read-only"):
        Store(db_path, read_only=True)


def _cli(*args: str):
    from click.testing import CliRunner

    from evaltui.cli import main

    return CliRunner().invoke(main, list(args))


@pytest.fixture
def logs_db(tmp_path: Path) -> Path:
    db = tmp_path / "logs.duckdb"
    logs = write_jsonl(tmp_path / "logs.jsonl", conversation(1, "billing", 0.0) + conversation(2, "billing", 1.0))
    assert _cli("--db", str(db), "ingest", str(logs)).exit_code == 0
    return db


def test_each_kind_of_user_error_is_one_line_and_exit_2(tmp_path: Path, logs_db: Path) -> None:
    bad_data = tmp_path / "bad_data.py"
    bad_data.write_text("from evaltui import Eval\nEval('x', data='not a list', task=lambda i: i, scores=[])\n")
    broken_rubric = tmp_path / "broken.yaml"
    broken_rubric.write_text("name: broken\n")
    cases = {
        "ScorerSetupError": (["rescore", "nope", "--scorer", "no_such_scorer"], "no_such_scorer"),
        "EvalError": (["eval", str(bad_data)], "data must be a list"),
        "RubricError": (["score", "--scorer", str(broken_rubric)], "broken.yaml"),
        "FacetError": (["--db", str(tmp_path / "empty.duckdb"), "topics", "build"], "ingest logs first"),
        "StoreError": (["--db", str(tmp_path / "none.duckdb"), "experiments", "list"], "no database at"),
    }
    for kind, (args, words) in cases.items():
        result = _cli("--db", str(logs_db), *args) if args[0] != "--db" else _cli(*args)
        assert result.exit_code == 2, (kind, result.output)
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]  # after any stage lines
        assert len(errors) == 1 and words in errors[0] and "Traceback" not in result.output, (kind, result.stderr)
