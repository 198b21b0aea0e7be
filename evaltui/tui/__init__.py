"""The terminal app: one client of the core (the CLI and the Python API are others).

Import ``evaltui.tui.app`` only when running the app: Textual loads here. The first
pane's query runs in a process (or thread) started before that (``startup``); this
process loads DuckDB and Arrow after the first frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evaltui.config import Settings


def run(db_path: str | Path, settings: Settings | None = None, eval_paths: list[Path] | None = None) -> int:
    """Open the app on ``db_path`` (a file that exists) until the user quits; the exit
    code: 0, or non-zero when the app died from an exception (its traceback printed)."""
    from evaltui.tui import startup

    startup.begin(db_path)  # first: the topic map's query runs while Textual imports
    from evaltui.tui.app import EvalApp

    app = EvalApp(db_path, settings=settings, eval_paths=eval_paths)
    app.run()
    return app.return_code or 0
