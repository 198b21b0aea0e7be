from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_LOGS = ROOT / "sample_logs"

# The tests run the real CLI as a subprocess from the test venv.
EVALTUI = [sys.executable, "-m", "evaltui"]


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
