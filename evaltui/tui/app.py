"""The evaltui app: panes as modes, keys with ids, themes from files, a poll for new rows."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.signal import Signal

from evaltui.tui import panes
from evaltui.tui.commands import EvaltuiCommands
from evaltui.tui.screens.base import read_in_worker
from evaltui.tui.themes import DEFAULT_THEME, load_themes
from evaltui.tui.widgets.filter_bar import FilterBar

if TYPE_CHECKING:
    from evaltui.config import Settings
    from evaltui.store.db import Store


def _stamp(path: Path) -> tuple[int, ...]:
    # Same as evaltui.store.connections.data_stamp, without importing DuckDB before the first frame.
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
    MODES = panes.modes()
    DEFAULT_MODE = panes.PANES[0].mode
    COMMANDS = App.COMMANDS | {EvaltuiCommands}
    BINDINGS = [
        *panes.bindings(),
        Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
        Binding("r", "refresh_data", "Refresh", id="app.refresh"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(
        self,
        db_path: str | os.PathLike[str],
        settings: Settings | None = None,
        *,
        lock_timeout: float = 5.0,
        poll_seconds: float = 2.0,
        eval_paths: Sequence[str | os.PathLike[str]] | None = None,
        resume_runs: bool = True,
    ) -> None:
        if settings is None:
            from evaltui.config import settings as fresh_settings

            settings = fresh_settings()
        self.settings = settings
        self.db_path = Path(db_path)
        self.lock_timeout = lock_timeout
        self.poll_seconds = poll_seconds
        self.known_scorers: list[str] = []
        self._mode_history: list[str] = []
        self._stamp: tuple[int, ...] | None = None
        self.log_filter = ""  # the log browser's filter: where the builder starts
        self.eval_paths = [Path(p) for p in eval_paths] if eval_paths is not None else [Path("examples")]
        self.runs: dict[str, Any] = {}  # experiment name -> evaltui.evals.launch.Run
        self.resume_runs = resume_runs
        self._looked_for_runs = False
        super().__init__()
        # What data panes listen to (each subscribes on mount; Textual drops it when it goes):
        self.data_changed_signal: Signal[None] = Signal(self, "data-changed")  # new rows, or r
        self.labels_changed_signal: Signal[None] = Signal(self, "labels-changed")  # a human label was written
        self.runs_changed_signal: Signal[str] = Signal(self, "runs-changed")  # an eval run changed status
        self.builder: Any = None  # the builder pane once shown: its unsaved marks are asked about at quit
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
        from evaltui.tui import startup

        if not startup.started(self.db_path):  # else DuckDB loads after the first frame
            _preload_store()

    def on_mount(self) -> None:
        for problem in self.theme_problems:
            self.notify(problem, title="theme", severity="warning", timeout=8)
        self._stamp = _stamp(self.db_path)
        if self.poll_seconds > 0:
            self.set_interval(self.poll_seconds, self.check_for_new_rows)
        # Looking for interrupted runs opens the file too: after the first frame with data,
        # so the pane's own query has the file (and the cores) to itself.
        self.set_timer(1.5, self.data_shown)

    def data_shown(self) -> None:
        """A pane painted its first data: start what can wait until then (once)."""
        if self._looked_for_runs:
            return
        self._looked_for_runs = True
        if self.resume_runs:
            self.find_interrupted_runs()

    # -- panes -----------------------------------------------------------------------

    async def action_show_pane(self, mode: str) -> None:
        if mode != self.current_mode:
            self._mode_history.append(self.current_mode)
            await self.switch_mode(mode)

    def action_back(self) -> None:  # type: ignore[override]  # sync: screens call it without await
        if self._mode_history:
            self.switch_mode(self._mode_history.pop())

    def open_logs(self, where: str) -> None:
        """Show the log browser filtered by ``where`` (from a topic, the palette...)."""
        self.run_worker(self._in_logs(lambda logs: logs.set_filter(where)), group="open-logs", exclusive=True)

    def open_view(self, saved: Any) -> None:
        """Show the log browser on a saved view (a ``store.views.SavedView``; from the palette)."""
        self.run_worker(self._in_logs(lambda logs: logs.apply_view(saved)), group="open-logs", exclusive=True)

    async def _in_logs(self, then: Any) -> None:
        from evaltui.tui.screens.logs import LogsScreen

        await self.action_show_pane("logs")
        while not isinstance(self.screen, LogsScreen) and len(self.screen_stack) > 1:
            self.pop_screen()
        screen = self.screen_stack[0]
        if isinstance(screen, LogsScreen):
            then(screen)

    # -- help, themes, refresh --------------------------------------------------------

    def help_sections(self) -> list[tuple[str, list[Binding]]]:
        from evaltui.tui.screens.help import HelpScreen

        def ids(classes: Any) -> list[Binding]:
            return [b for c in classes for b in c.BINDINGS if isinstance(b, Binding) and b.id]

        return [
            ("panes and app", ids([type(self)])),
            *[(name, ids(panes.load(c) for c in classes)) for name, classes in panes.help_sections()],
            ("help", ids([HelpScreen])),
        ]

    def action_help(self) -> None:
        from evaltui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.help_sections(), self.settings.keymap))

    def set_theme(self, name: str) -> None:
        self.theme = name

    def action_refresh_data(self) -> None:
        """The pane on top queries again; the others when they are next shown."""
        self.data_changed_signal.publish(None)

    def check_for_new_rows(self) -> None:
        """Another process (ingest, eval) wrote the file: reload what is on screen."""
        stamp = _stamp(self.db_path)
        if stamp != self._stamp:
            self._stamp = stamp
            self.action_refresh_data()

    # -- the log filter the builder starts from ----------------------------------------

    @on(FilterBar.Applied)
    def _log_filter(self, event: FilterBar.Applied) -> None:
        self.log_filter = event.text

    def open_builder(self) -> None:
        self.run_worker(self.action_show_pane("builder"), group="open-pane", exclusive=True)

    # -- diffs ---------------------------------------------------------------------------

    def open_diff(self, base: str, candidate: str) -> None:
        """Show the diff pane comparing ``candidate`` with ``base``."""
        self.run_worker(self._open_diff(base, candidate), group="open-pane", exclusive=True)

    async def _open_diff(self, base: str, candidate: str) -> None:
        from evaltui.tui.screens.diff import DiffScreen

        await self.action_show_pane("diff")
        while not isinstance(self.screen, DiffScreen) and len(self.screen_stack) > 1:
            self.pop_screen()
        screen = self.screen_stack[0]
        if isinstance(screen, DiffScreen):
            screen.compare(base, candidate)

    # -- eval runs (they belong to the app: they go on across panes) ----------------------

    @dataclass
    class RunChanged(Message):
        """Posted from a run's thread; handled here, on the app's thread."""

        name: str
        status: str
        message: str

    def start_run(self, spec: Any, *, fresh: bool = False) -> None:
        """Start (or resume) an eval in a background thread; ``fresh`` picks a free name."""
        self.run_worker(lambda: self._start_run(spec, fresh), thread=True, group="start-run", exit_on_error=False)

    def _start_run(self, spec: Any, fresh: bool) -> None:
        from evaltui.evals import launch

        if fresh:
            spec.experiment = launch.free_name(self.db_path, spec.experiment)
        if spec.experiment in self.runs and self.runs[spec.experiment].alive:
            return
        last = {"status": ""}

        def changed(run: Any) -> None:
            if run.progress.status != last["status"]:
                last["status"] = run.progress.status
                self.post_message(self.RunChanged(run.spec.experiment, run.progress.status, run.progress.message))

        self.runs[spec.experiment] = launch.start(spec, self.db_path, self.settings, changed)

    @dataclass
    class RunsToResume(Message):
        """Runs a read found to resume (posted from a worker)."""

        specs: list[Any]
        announce: bool = False  # say "resuming" first (runs found at start, not one asked for)

    def resume_run(self, name: str) -> None:
        def query(store: Store) -> Message:
            from evaltui.evals.launch import RunSpec
            from evaltui.store.experiments import find_experiment

            exp = find_experiment(store, name)
            if exp is None or exp["status"] == "finished":
                return self.RunChanged(name, "finished", "nothing to resume")
            spec = RunSpec.of_experiment(exp)
            if spec is None:
                return self.RunChanged(name, "failed", "not started from here: run `evaltui eval FILE` again")
            return self.RunsToResume([spec])

        read_in_worker(self, query, group="start-run", exclusive=False, failed=lambda exc: None)

    def find_interrupted_runs(self) -> None:
        """Runs this app started that stopped mid-way when it closed: start them again."""

        def query(store: Store) -> Message:
            from evaltui.evals.launch import interrupted

            return self.RunsToResume(interrupted(store), announce=True)

        read_in_worker(self, query, group="find-interrupted", exclusive=False, failed=lambda exc: None)

    @on(RunsToResume)
    def _resume_runs(self, event: RunsToResume) -> None:
        for spec in event.specs:
            if event.announce:
                self.post_message(self.RunChanged(spec.experiment, "resuming", ""))
            self.start_run(spec)

    @on(RunChanged)
    def _run_changed(self, event: RunChanged) -> None:
        if event.status == "running" and event.message:  # a chosen scorer cannot run: it marks each case
            self.notify(f"{event.name}: {event.message}", title="eval", severity="warning", timeout=10)
        elif event.status == "resuming":
            self.notify(f"resuming {event.name}: only the cases without a result run", title="eval", timeout=4)
        elif event.status == "finished":
            self.notify(f"{event.name} finished", title="eval", timeout=4)
        elif event.status == "cancelled":
            self.notify(f"{event.name} cancelled: finished cases are stored (R resumes)", title="eval", timeout=4)
        elif event.status == "failed":
            self.notify(f"{event.name}: {event.message}", title="eval", severity="error", timeout=8)
        self.runs_changed_signal.publish(event.name)

    async def action_quit(self) -> None:
        import asyncio

        builder = self.builder if self.builder is not None and self.builder.unsaved else None
        if builder is not None and not getattr(self, "_quit_confirmed", False):
            from evaltui.tui.screens.confirm import ConfirmDialog

            def answer(yes: bool | None) -> None:
                if yes:
                    self._quit_confirmed = True
                    self.run_worker(self.action_quit(), group="quit")

            self.push_screen(
                ConfirmDialog(
                    f"{builder.unsaved} marks in the builder are not saved as a dataset (w saves them). They are kept "
                    "as a draft and come back next time. Quit?"
                ),
                answer,
            )
            return
        if builder is not None:  # the draft as it is now, before the process ends
            from evaltui.tui.screens.builder import write_draft

            await asyncio.to_thread(
                write_draft, self.db_path, self.lock_timeout, builder.where, dict(builder.marks.marks)
            )
        # Stop runs so their last cases are written; they stay 'running' and resume next time.
        for run in self.runs.values():
            if run.alive:
                run.cancel(status="running")
        for run in self.runs.values():
            await asyncio.to_thread(run.wait, 10)  # the screen keeps drawing meanwhile
        self.exit()

    # -- labels ----------------------------------------------------------------------------

    def labels_changed(self) -> None:
        """A label was written: panes that show agreement query again when shown."""
        self.labels_changed_signal.publish(None)


def _preload_store() -> None:
    """Import the store (DuckDB) in a thread while Textual starts, so the first pane's
    query worker finds it loaded instead of importing it after the screen is mounted."""
    import threading

    def load() -> None:
        import importlib

        for name in ("connections", "pages", "topic_overview", "trace", "completion", "human_labels"):
            importlib.import_module(f"evaltui.store.{name}")

    threading.Thread(target=load, name="evaltui-preload", daemon=True).start()
