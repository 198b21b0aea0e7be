"""The CLI's words for a new user: the missing-database hint names the file that exists."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import EVALTUI


def test_after_the_demo_the_no_database_hint_points_at_the_demo_file(tmp_path: Path) -> None:
    from evaltui.store import Store

    Store(tmp_path / "evaltui-demo.duckdb").close()  # what `evaltui demo` leaves in the folder
    env = {k: v for k, v in os.environ.items() if k != "EVALTUI_DB"}
    out = subprocess.run([*EVALTUI, "logs"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip() == ("error: no database at evaltui.duckdb; evaltui-demo.duckdb exists: "
                                  "pass --db evaltui-demo.duckdb (or set EVALTUI_DB)")
    assert not (tmp_path / "evaltui.duckdb").exists()


def test_with_no_database_anywhere_the_hint_says_how_to_make_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "EVALTUI_DB"}
    out = subprocess.run([*EVALTUI, "logs"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "run `evaltui demo` or `evaltui ingest FILE` first" in out.stderr
