"""The command palette: panes, themes, the current pane's sorts, saved views, and
ready-made filters."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, Any
from collections.abc import Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from evaltui.tui.panes import PANES

if TYPE_CHECKING:
    from evaltui.tui.app import EvalApp


def _saved_views(app: EvalApp) -> list[Any]:
    """The saved log views (none when the file cannot be read now: the palette never waits long)."""
    from evaltui.store import StoreError
    from evaltui.store.connections import reading
    from evaltui.store.views import saved_views

    try:
        with reading(app.db_path, app.lock_timeout) as store:
            return saved_views(store)
    except StoreError:
        return []


def _sort_commands(screen: Any) -> list[tuple[str, str, Callable[[], object]]]:
    """ "Sort: ..." for each column the pane the palette was opened on can sort by."""
    from evaltui.tui.screens.diff import DiffScreen
    from evaltui.tui.screens.logs import LogsScreen

    cmds: list[tuple[str, str, Callable[[], object]]] = []
    if isinstance(screen, LogsScreen):
        for column in screen.sort_columns():
            for descending, word in ((False, "ascending"), (True, "descending")):
                cmds.append(
                    (
                        f"Sort: {column} {word}",
                        f"order the log browser by {column}, {word}",
                        partial(screen.sort_by, column, descending),
                    )
                )
    elif isinstance(screen, DiffScreen):
        cmds.append(("Sort: worst delta", "cases by their worst delta over all scores", partial(screen.sort_by, None)))
        for score in screen.sort_scores():
            cmds.append(
                (f"Sort: delta {score}", f"cases by the delta of {score}, worst first", partial(screen.sort_by, score))
            )
    return cmds


class EvaltuiCommands(Provider):
    views: list[Any] = []

    async def startup(self) -> None:
        self.views = await asyncio.to_thread(_saved_views, self.app)  # type: ignore[arg-type]

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app: EvalApp = self.app  # type: ignore[assignment]
        cmds: list[tuple[str, str, Callable[[], object]]] = [
            *[(p.command, p.about, partial(app.action_show_pane, p.mode)) for p in PANES],
            ("Help: keys", "every key and its binding id", app.action_help),
            ("Refresh", "query the database again", app.action_refresh_data),
        ]
        cmds += _sort_commands(self.screen)
        for view in self.views:
            detail = f"{view.where or 'no filter'} · by {view.order}"
            cmds.append((f"View: {view.name}", f"saved view: {detail}", partial(app.open_view, view)))
        for name in sorted(app.evaltui_themes):
            cmds.append((f"Theme: {name}", "switch the colour theme", partial(app.set_theme, name)))
        for key in app.known_scorers:
            threshold = app.settings.threshold(key)
            cmds.append(
                (
                    f"Filter: failing {key}",
                    f"scores.{key} < {threshold}",
                    partial(app.open_logs, f"scores.{key} < {threshold}"),
                ),
            )
        cmds.append(("Filter: clear", "show every conversation", partial(app.open_logs, "")))
        return cmds

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
