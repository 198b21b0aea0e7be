"""Typos that used to match nothing in silence: a misspelt scorer or topic in a filter,
and a misspelt scorer to calibrate, name what was meant."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers import EVALTUI


def run(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*EVALTUI, "--db", str(db), *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", ["logs", "stats"])
def test_a_misspelt_scorer_or_topic_in_a_filter_says_what_was_meant(twins_dir: Path, command: str) -> None:
    db = twins_dir / "tui.duckdb"
    out = run(db, command, "--where", "scores.brand_alignmnt < 0.5")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.startswith("error: no scorer named brand_alignmnt; did you mean brand_alignment?")
    out = run(db, command, "--where", "topic = passwrd_delete_account")
    assert out.returncode == 2
    assert out.stderr.startswith("error: no topic named passwrd_delete_account; did you mean password_delete_account?")
    ok = run(db, command, "--where", "topic = password_delete_account and scores.brand_alignment_offline >= 0")
    assert ok.returncode == 0, ok.stderr


def test_calibrating_a_misspelt_scorer_suggests_the_right_name(twins_dir: Path) -> None:
    out = run(twins_dir / "tui.duckdb", "calibrate", "brand_alignmnt")
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "did you mean brand_alignment?" in out.stderr and "score --scorer" not in out.stderr


def test_checking_names_is_pure_reading(store) -> None:
    from evaltui.store.filter_names import UnknownNameError, check_names

    check_names(store, "")  # nothing to check
    with pytest.raises(UnknownNameError, match="no scorer named x"):
        check_names(store, "not scores.x < 1")
