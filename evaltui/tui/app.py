"""The evaltui app: panes as modes, keys with ids, themes from files, a poll for new rows."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding

from evaltui.tui.commands import EvaltuiCommands
from evaltui.tui.screens.base import DataScreen
from evaltui.tui.screens.help import HelpScreen
from evaltui.tui.screens.logs import LogsScreen
from evaltui.tui.screens.topics import TopicsScreen
from evaltui.tui.screens.trace import TraceScreen
from evaltui.tui.themes import DEFAULT_THEME, load_themes
from evaltui.tui.widgets.filter_bar import FilterInput
from evaltui.tui.widgets.span_table import SpanTable
from evaltui.tui.widgets.topic_table import TopicTable


def _stamp(path: Path) -> tuple[int, ...]:
    # Same as evaltui.store.browse.data_stamp, without importing DuckDB before the first frame.
    out: list[int] = []
    for p in (path, Path(f"{path}.wal")):
        try:
            st = os.stat(p)
            out += [st.st_mtime_ns, st.st_size]
        except OSError:
            out += [0, 0]
    return tuple(out)


class EvalApp(App):
    """``EvalApp(db_path, settings=Settings(...))``; every query opens the file briefly
    and read-only, so other processes can write between queries."""

    TITLE = "evaltui"
    CSS_PATH = Path(__file__).parent / "styles" / "app.tcss"
    MODES = {"topics": TopicsScreen, "logs": LogsScreen}
    DEFAULT_MODE = "topics"
    COMMANDS = App.COMMANDS | {EvaltuiCommands}
    BINDINGS = [
        Binding("1", "show_pane('topics')", "Topics", id="pane.topics"),
        Binding("2", "show_pane('logs')", "Logs", id="pane.logs"),
        Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
        Binding("r", "refresh_data", "Refresh", id="app.refresh"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(
        self,
        db_path: str | os.PathLike[str],
        settings: Any = None,
        *,
        lock_timeout: float = 5.0,
        poll_seconds: float = 2.0,
    ) -> None:
        if settings is None:
            from evaltui.config import settings as fresh_settings

            settings = fresh_settings()
        self.settings = settings
        self.db_path = Path(db_path)
        self.lock_timeout = lock_timeout
        self.poll_seconds = poll_seconds
        self.known_scorers: list[str] = []
        self.data_screens: set[DataScreen] = set()
        self._mode_history: list[str] = []
        self._stamp: tuple[int, ...] | None = None
        super().__init__()
        self.sub_title = str(self.db_path)
        loaded = load_themes(settings.themes_dir)
        self.theme_problems = loaded.problems
        for theme in loaded.themes.values():
            self.register_theme(theme)
        self.evaltui_themes = sorted(loaded.themes)
        wanted = settings.theme
        if wanted not in self.available_themes:
            self.theme_problems.append(f"no theme {wanted!r}; using {DEFAULT_THEME}")
            wanted = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        self.theme = wanted
        self.set_keymap(settings.keymap)

    def on_mount(self) -> None:
        for problem in self.theme_problems:
            self.notify(problem, title="theme", severity="warning", timeout=8)
        self.theme_changed_signal.subscribe(self, lambda _theme: self._restyle())
        self._stamp = _stamp(self.db_path)
        if self.poll_seconds > 0:
            self.set_interval(self.poll_seconds, self.check_for_new_rows)

    # -- panes -----------------------------------------------------------------------

    async def action_show_pane(self, mode: str) -> None:
        if mode != self.current_mode:
            self._mode_history.append(self.current_mode)
            await self.switch_mode(mode)

    def action_back(self) -> None:
        if self._mode_history:
            self.switch_mode(self._mode_history.pop())

    def open_logs(self, where: str) -> None:
        """Show the log browser filtered by ``where`` (from a topic, the palette...)."""
        self.run_worker(self._open_logs(where), group="open-logs", exclusive=True)

    async def _open_logs(self, where: str) -> None:
        await self.action_show_pane("logs")
        while not isinstance(self.screen, LogsScreen) and len(self.screen_stack) > 1:
            self.pop_screen()
        screen = self.screen_stack[0]
        if isinstance(screen, LogsScreen):
            screen.set_filter(where)

    # -- help, themes, refresh --------------------------------------------------------

    def help_sections(self) -> list[tuple[str, list[Binding]]]:
        def ids(bindings: list[Any]) -> list[Binding]:
            return [b for b in bindings if isinstance(b, Binding) and b.id]

        return [
            ("panes and app", ids(self.BINDINGS)),
            ("topics", ids(TopicTable.BINDINGS)),
            ("logs", ids(LogsScreen.BINDINGS) + ids(SpanTable.BINDINGS) + ids(FilterInput.BINDINGS)),
            ("trace", ids(TraceScreen.BINDINGS)),
            ("help", ids(HelpScreen.BINDINGS)),
        ]

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.help_sections(), self.settings.keymap))

    def set_theme(self, name: str) -> None:
        self.theme = name

    def _restyle(self) -> None:
        for screen in list(self.data_screens):
            screen.restyle()

    def action_refresh_data(self) -> None:
        for screen in list(self.data_screens):
            screen.stale = True
        top = self.screen
        if isinstance(top, DataScreen):
            top.stale = False
            top.reload()

    def check_for_new_rows(self) -> None:
        """Another process (ingest, eval) wrote the file: reload what is on screen."""
        stamp = _stamp(self.db_path)
        if stamp != self._stamp:
            self._stamp = stamp
            self.action_refresh_data()
