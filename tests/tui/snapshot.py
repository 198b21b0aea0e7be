"""The snapshot harness: what a pane shows, pinned as an SVG file in tests/snapshots/.

pytest-textual-snapshot 1.1.0 pins pytest below 9, so this does the same with
Textual's own ``export_screenshot()``: the SVG is compared with the committed file
in tests/snapshots/. After an intended change, look at the new pictures and record them:

    EVALTUI_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/tui

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

SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots"
UPDATE = os.environ.get("EVALTUI_UPDATE_SNAPSHOTS") == "1"
SIZES = [(80, 24), (120, 40)]


_SVG_TEXT = re.compile(
    r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="([\d.]+)" '
    r'clip-path="url\(#[^"]*-line-(\d+)\)">(.*?)</text>'
)


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
        old_text = (
            path.with_suffix(".txt").read_text(encoding="utf-8").splitlines()
            if path.with_suffix(".txt").exists()
            else []
        )
        diff = [
            f"line {i + 1}:\n  was {a!r}\n  now {b!r}"
            for i, (a, b) in enumerate(zip(old_text, text.splitlines()))
            if a != b
        ]
        hint = "\n".join(diff[:5]) or "(same text: colours or styles differ)"
        pytest.fail(
            f"{name} differs from {path.name}; new picture in {new.name}\n{hint}\n"
            "if intended: EVALTUI_UPDATE_SNAPSHOTS=1 pytest tests/tui"
        )
