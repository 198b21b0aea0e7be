"""One exit-code scheme for every command (README "Exit codes"): 0 all done, 1 nothing
done (every case, span or line failed), 2 a user error, 3 some failed and the rest
stored, 130 interrupted."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.helpers import EVALTUI, ROOT
from tests.helpers import span, write_jsonl

EVAL_FILE = ROOT / "tests" / "fixtures" / "exit_codes" / "eval_file.py"
SCORERS = "tests.fixtures.exit_codes.scorers"


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*EVALTUI, *args], capture_output=True, text=True, timeout=120, cwd=ROOT, env={**os.environ, **env}
    )


@pytest.fixture
def db(tmp_path):
    rows = [span(f"c{i}", name="conversation", input=f"q{i}", output=f"answer {i}") for i in range(4)]
    path = tmp_path / "x.duckdb"
    assert run("ingest", str(write_jsonl(tmp_path / "logs.jsonl", rows)), "--db", str(path)).returncode == 0
    return str(path)


@pytest.mark.parametrize("fail, code", [("none", 0), ("some", 3), ("all", 1)])
def test_eval_exits_by_how_many_cases_failed(db, fail, code):
    out = run("eval", str(EVAL_FILE), "--db", db, EVALTUI_TEST_FAIL=fail)
    assert out.returncode == code, out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    "scorer, code", [("exact_match", 0), (f"{SCORERS}:fails_on_odd", 3), (f"{SCORERS}:always_fails", 1)]
)
def test_score_and_rescore_exit_by_how_many_spans_failed(db, scorer, code):
    out = run("score", "--scorer", scorer, "--scope", "conversation", "--db", db)
    assert out.returncode == code, (out.stdout, out.stderr)
    assert run("eval", str(EVAL_FILE), "--db", db).returncode == 0
    out = run("rescore", "exits-none", "--scorer", scorer, "--db", db)
    assert out.returncode == code, (out.stdout, out.stderr)


def test_ingest_exits_3_when_some_lines_are_bad_and_1_when_all_are(tmp_path):
    some = write_jsonl(tmp_path / "some.jsonl", [span("a"), "{oops", span("b")])
    none = write_jsonl(tmp_path / "none.jsonl", [span("a"), span("b")])
    none.write_text("{oops\n[1, 2\n")
    db = str(tmp_path / "x.duckdb")
    assert run("ingest", str(some), "--db", db).returncode == 3
    assert run("ingest", "--format", "evaltui", str(none), "--db", db).returncode == 1


def test_a_user_error_exits_2(db):
    assert run("logs", "--where", "colour = red", "--db", db).returncode == 2
    assert run("eval", "no_such_file.py", "--db", db).returncode == 2
