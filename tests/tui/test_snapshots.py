"""Snapshot tests: what each pane shows at 80x24 and 120x40, pinned as SVG files.

pytest-textual-snapshot 1.1.0 pins pytest below 9, so this does the same with
Textual's own ``export_screenshot()``: the SVG is compared with the committed file
in tests/snapshots/. After an intended change, look at the new pictures and record them:

    EVALTUI_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/tui/test_snapshots.py

A mismatch writes the new picture next to the old one as NAME.new.svg (open both in
a browser) and fails with the first lines of the screen that differ.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import conversation, write_jsonl
from tests.helpers import until

SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots"
UPDATE = os.environ.get("EVALTUI_UPDATE_SNAPSHOTS") == "1"
SIZES = [(80, 24), (120, 40)]


@pytest.fixture(scope="module")
def snapshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small database whose every value is fixed, so the pictures are too."""
    from evaltui.ingest import ingest_file
    from evaltui.store import Store

    tmp = tmp_path_factory.mktemp("snap")
    topics = ["billing_and_payments", "account_and_login", "shipping_and_delivery", "order_changes"]
    texts = ["I was charged twice", "I can't log in", "Where is my parcel?", "Please change my address"]
    rows = []
    for i in range(48):
        t = i % 4
        ba = [1.0, 0.5, 0.0][(i * 7 + t) % 3]
        cq = [1.0, 0.0][(i + t) % 2 if t != 1 else int(i % 5 != 0)]
        rows += conversation(i, topics[t], ba, cq, day=1 + i % 12, text=f"{texts[t]} (#{i})")
    path = write_jsonl(tmp / "snap.jsonl", rows)
    with Store(tmp / "snap.duckdb") as store:
        ingest_file(store, path)
    return tmp


_SVG_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="([\d.]+)" '
                       r'clip-path="url\(#[^"]*-line-(\d+)\)">(.*?)</text>')


def screen_text(app: Any) -> list[str]:
    """The screen's lines as text, read from the public SVG screenshot: Rich writes each
    run of text at its cell (x / cell width) on its line, and leaves out runs of spaces."""
    from rich.cells import cell_len

    width, height = app.size
    lines = [[" "] * width for _ in range(height)]
    for x, length, y, escaped in _SVG_TEXT.findall(app.export_screenshot()):
        text = html.unescape(escaped).replace("\xa0", " ")
        cell = float(length) / len(text)  # textLength is the cell width times len(text)
        row, col = lines[int(y)], round(float(x) / cell)
        for ch in text:
            n = cell_len(ch)
            if n == 0 and col > 0:  # a combining mark joins the character before it
                row[col - 1] += ch
                continue
            row[col] = ch
            for extra in range(1, n):  # a wide character covers the next cell too
                row[col + extra] = ""
            col += n
    return ["".join(row) for row in lines]


def check(app: Any, name: str) -> None:
    svg = app.export_screenshot(title=name)
    path = SNAPSHOTS / f"{name}.svg"
    text = "\n".join(screen_text(app))
    if UPDATE or not path.exists():
        SNAPSHOTS.mkdir(parents=True, exist_ok=True)
        path.write_text(svg, encoding="utf-8")
        path.with_suffix(".txt").write_text(text + "\n", encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"recorded a new snapshot {path.name}; check it and commit it")
        return
    if path.read_text(encoding="utf-8") != svg:
        new = path.with_suffix(".new.svg")
        new.write_text(svg, encoding="utf-8")
        old_text = path.with_suffix(".txt").read_text(encoding="utf-8").splitlines() if path.with_suffix(".txt").exists() else []
        diff = [f"line {i + 1}:\n  was {a!r}\n  now {b!r}" for i, (a, b) in enumerate(zip(old_text, text.splitlines())) if a != b]
        hint = "\n".join(diff[:5]) or "(same text: colours or styles differ)"
        pytest.fail(f"{name} differs from {path.name}; new picture in {new.name}\n{hint}\n"
                    "if intended: EVALTUI_UPDATE_SNAPSHOTS=1 pytest tests/tui/test_snapshots.py")


def make_app(snapshot_dir: Path, monkeypatch: pytest.MonkeyPatch):
    from evaltui.config import Settings
    from evaltui.tui.app import EvalApp

    monkeypatch.chdir(snapshot_dir)  # the header shows the path as given: keep it the same everywhere
    return EvalApp("snap.duckdb", settings=Settings(theme="evaltui-dark", keymap={}), poll_seconds=0)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_panes(snapshot_dir: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]) -> None:
    from evaltui.tui.screens.help import HelpScreen
    from evaltui.tui.screens.logs import LogsScreen
    from evaltui.tui.screens.trace import TraceScreen
    from evaltui.tui.widgets.topic_table import TopicTable

    w, h = size
    app = make_app(snapshot_dir, monkeypatch)
    async with app.run_test(size=size) as pilot:
        # Sizes show first; the picture is of the full overview (scores, failing shares).
        await until(pilot, lambda: app.screen.query_one(TopicTable).row_count == 4
                    and app.screen.query_one(TopicTable).overview.complete
                    and "…" not in str(app.screen.query_one("#topic-modes").content))
        await pilot.pause(0.1)
        check(app, f"topics_{w}x{h}")

        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen) and app.screen.total == 12
                    and "of 12" in str(app.screen.query_one("#logs-status").content))
        await pilot.pause(0.1)
        check(app, f"logs_{w}x{h}")

        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TraceScreen) and "trace 1 of 12" in str(app.screen.query_one("#trace-title").content))
        await pilot.pause(0.1)
        check(app, f"trace_{w}x{h}")

        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause(0.1)
        check(app, f"help_{w}x{h}")
