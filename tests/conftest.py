"""Fixtures for every folder of tests (unit, tui, reliability); what tests import instead
(paths, the `evaltui` command, builders) is in tests/helpers.py."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from tests.helpers import EVALTUI, ROOT

# Tests send SIGINT to the CLI (Ctrl-C) and expect it to stop. A test run started in the
# background by a non-interactive shell (`sh -c '... &'`, nohup) ignores SIGINT, and an
# ignored signal stays ignored in every process it starts: the CLI would never see the
# Ctrl-C. A handler (unlike "ignore") is reset to the default in a started process.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, list[str]]:
    """`evaltui demo --json` as a user runs it, on a reduced sample, built once per test run:
    (database, the JSON outcome, the steps it printed). Tests that change the database copy it."""
    import json
    import subprocess

    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    result = subprocess.run(
        [*EVALTUI, "demo", "--json", "--conversations", "600", "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1  # one JSON object, the steps go to stderr
    return db, json.loads(result.stdout), result.stderr.splitlines()


@pytest.fixture(scope="module")
def twins_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding tui.duckdb, the database of twin names (tests/twins.py)."""
    from tests.twins import build_twins

    folder = tmp_path_factory.mktemp("twins")
    asyncio.run(build_twins(folder))
    return folder


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"


@pytest.fixture
def store(db_path: Path):
    from evaltui.store import Store

    with Store(db_path) as s:
        yield s


@pytest.fixture(autouse=True)
def _no_ambient_db(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVALTUI_DB", raising=False)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture
def review_db(tmp_path: Path) -> Path:
    """A store with the review tests' logs (tests/review_data.py)."""
    from tests.helpers import write_jsonl
    from tests.review_data import review_rows

    from evaltui.ingest import ingest_file
    from evaltui.store import Store

    db = tmp_path / "review.duckdb"
    with Store(db) as store:
        ingest_file(store, write_jsonl(tmp_path / "spans.jsonl", review_rows()))
    return db
