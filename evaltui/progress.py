"""One progress bar for every long command: a transient rich bar on stderr when stderr is
a terminal, nothing when piped (scripts and CI read the summary lines instead).

The CLI's commands and the eval runner (an ``Eval(...)`` run from a plain script) share it,
so it sits below both; rich is imported only when a bar is shown.
"""

from __future__ import annotations

import sys
from typing import Any


class ProgressBar:
    """``with ProgressBar(label, total=n) as bar: bar.update(completed=i)``.

    ``counted`` shows "done/total", ``note`` a free text field (``bar.update(note=...)``),
    ``remaining`` the time left instead of the time spent. ``enabled`` (default: stderr is
    a terminal) turns the bar off; a disabled bar's ``update`` does nothing.
    """

    def __init__(
        self,
        label: str = "",
        *,
        total: float | None = None,
        counted: bool = True,
        note: bool = False,
        remaining: bool = False,
        enabled: bool | None = None,
    ) -> None:
        self.label, self.total, self.counted, self.note, self.remaining = label, total, counted, note, remaining
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._bar: Any = None
        self._task: Any = None

    def start(self) -> ProgressBar:
        if self.enabled and self._bar is None:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            columns: list[Any] = [TextColumn("{task.description}")] if self.label else []
            columns.append(BarColumn())
            if self.counted:
                columns.append(MofNCompleteColumn())
            if self.note:
                columns.append(TextColumn("{task.fields[note]}"))
            columns.append(TimeRemainingColumn() if self.remaining else TimeElapsedColumn())
            self._bar = Progress(*columns, transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=self.total, note="")
        return self

    def update(self, completed: float | None = None, total: float | None = None, **fields: Any) -> None:
        if self._bar is None:
            return
        changes: dict[str, Any] = dict(fields)
        if completed is not None:
            changes["completed"] = completed
        if total is not None:
            changes["total"] = total
        self._bar.update(self._task, **changes)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> ProgressBar:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
