"""The five journeys of issue 15 (triage, curation, an eval from the app, review,
calibration) in a real terminal: `bench/journeys.py` drives `evaltui tui` in tmux at
120x40 and 80x24 on the demo database and fails on a traceback, a screen that never comes,
or a non-zero exit."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.helpers import ROOT


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed: the journeys need a real terminal")
def test_the_five_journeys_run_in_a_real_terminal_at_both_sizes(demo_run) -> None:
    db, _, _ = demo_run
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "journeys.py"), "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    summary = json.loads(out.stdout.splitlines()[-1])
    journeys = {(r["size"], r["journey"]) for r in summary["results"] if r["ok"]}
    for size in ("120x40", "80x24"):
        for name in ("triage", "curation", "eval from the app", "review", "calibration", "quit (q)"):
            assert (size, name) in journeys, out.stdout
