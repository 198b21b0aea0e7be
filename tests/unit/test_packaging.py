"""What the wheel needs at run time is inside the package (CI installs the wheel itself
and runs the demo and the app from it: .ci/wheel-check)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.helpers import ROOT


def test_the_repository_themes_are_copies_of_the_shipped_ones() -> None:
    from evaltui.tui.themes import SHIPPED

    shipped = {p.name: p.read_bytes() for p in SHIPPED.iterdir() if p.name.endswith(".toml")}
    copies = {p.name: p.read_bytes() for p in (ROOT / "themes").glob("*.toml")}
    assert len(shipped) == 3 and copies == shipped


def test_outside_a_checkout_the_demo_writes_the_committed_sample_logs(monkeypatch, tmp_path: Path) -> None:
    from evaltui.demo import run

    monkeypatch.setattr(run, "IN_CHECKOUT", False)  # as when run from an installed wheel
    first, after = run.sample_log_files(into=tmp_path)
    committed = [
        ROOT / "sample_logs" / "support_bot.jsonl",
        ROOT / "sample_logs" / "after_fix" / "support_bot_after_fix.jsonl",
    ]
    assert first[0].parent == tmp_path

    def sha(p: Path) -> str:
        return hashlib.sha256(p.read_bytes()).hexdigest()

    assert [sha(p) for p in first + after] == [sha(p) for p in committed]
