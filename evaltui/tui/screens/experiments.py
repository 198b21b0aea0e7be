"""The experiments pane: every experiment with its dataset, task, status and means;
start an eval (n), cancel a run (c), resume an interrupted one (R), diff against the
base (enter). Runs belong to the app, so they go on when you switch panes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Header, Static

from evaltui.tui.screens.base import DataScreen
from evaltui.tui.widgets.experiment_table import ExperimentTable

if TYPE_CHECKING:
    from evaltui.store.db import Store

# Scorers by name a run can add to the task's own (see evaltui.scoring.registry).
EXTRA_SCORERS = ["exact_match", "levenshtein", "brand_alignment", "conversation_quality", "brand_alignment_offline"]


class ExperimentsScreen(DataScreen):
    DEFAULT_CSS = """
    ExperimentsScreen #experiment-table { height: 1fr; }
    ExperimentsScreen #experiment-focus { height: auto; max-height: 3; padding: 0 1; }
    ExperimentsScreen #run-progress { height: auto; padding: 0 1; border-top: solid $panel; }
    ExperimentsScreen #experiments-status { height: 1; padding: 0 1; color: $text-muted; }
    """

    BINDINGS = [
        Binding("n", "new_eval", "New eval", id="experiments.new"),
        Binding("c", "cancel_run", "Cancel run", id="experiments.cancel"),
        Binding("R", "resume", "Resume", id="experiments.resume"),
        Binding("escape", "back", "Back", id="experiments.back"),
    ]

    @dataclass
    class Loaded(Message):
        rows: list[dict[str, Any]]
        progress: dict[str, dict[str, Any]]

    @dataclass
    class ChoicesLoading(Message):
        """An eval file is being imported (the first ``n`` can take a while: a file may
        train a judge when it loads)."""

        file: str
        index: int
        count: int

    @dataclass
    class DatasetsRead(Message):
        """The datasets a new eval can run on; the eval files are loaded next."""

        datasets: list[dict[str, Any]]
        path: Any
        eval_paths: list[Any]

    @dataclass
    class ChoicesLoaded(Message):
        datasets: list[dict[str, Any]]
        tasks: list[Any]
        problems: list[str]

    def __init__(self) -> None:
        super().__init__()
        self.loading_note: str | None = None  # what `n` is loading, shown on the status line

    def compose(self) -> ComposeResult:
        yield Header()
        yield ExperimentTable(id="experiment-table")
        yield Static("", id="experiment-focus")  # the focused row whole (the columns abbreviate)
        yield Static("", id="run-progress")
        yield Static("loading experiments…", id="experiments-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ExperimentTable).focus()
        self.set_interval(0.5, self._tick)
        self.app.runs_changed_signal.subscribe(self, lambda _name: self.reload())
        self.reload()

    def _tick(self) -> None:
        if any(run.alive for run in self.app.runs.values()):
            self.reload()

    def reload(self) -> None:
        running = [r.experiment_id for r in self.app.runs.values() if r.alive and r.experiment_id]

        def query(store: Store) -> ExperimentsScreen.Loaded:
            from evaltui.store.browse_experiments import experiments, run_progress

            return self.Loaded(experiments(store), {i: run_progress(store, i) for i in running})

        self.read(query, group="experiments")

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        runs = self.app.runs
        self.query_one(ExperimentTable).show(event.rows, {n: r.progress for n, r in runs.items()})
        lines = []
        for name, run in runs.items():
            p = run.progress
            if p.status in ("starting", "running"):
                live = event.progress.get(run.experiment_id or "", {})
                means = "  ".join(f"{k} {v:.2f}" for k, v in (live.get("means") or {}).items() if v is not None)
                bar_w = 20
                filled = int(bar_w * p.done / p.total) if p.total else 0
                lines.append(
                    f"[b]{name}[/b] {'█' * filled}{'░' * (bar_w - filled)} {p.done}/{p.total or '?'} cases"
                    f" · {live.get('errors', 0)} errors · {means}   c: cancel"
                )
        self.query_one("#run-progress", Static).update("\n".join(lines) or "no eval running · n: start one")
        self.query_one("#experiments-status", Static).update(
            self.loading_note
            or f"{len(event.rows)} experiments · enter: diff against its base · n: new eval · R: resume interrupted"
        )

    def restyle(self) -> None:
        self.reload()

    # -- starting, cancelling, resuming ------------------------------------------------

    def action_new_eval(self) -> None:
        self._show_loading("looking for eval files…")
        self.load_choices(self.app.db_path, list(self.app.eval_paths))

    def load_choices(self, path: Any, eval_paths: list[Any]) -> None:
        """The datasets a new eval can run on (a brief read), then the eval files' tasks."""

        def query(store: Store) -> ExperimentsScreen.DatasetsRead:
            from evaltui.store.browse_experiments import datasets_overview

            return self.DatasetsRead(datasets_overview(store), path, eval_paths)

        def failed(exc: Exception) -> Message:
            self.post_message(self.ChoicesLoading("", -1, 0))  # done loading, with nothing
            return self.Failed(str(exc))

        self.read(query, group="experiments-choices", failed=failed)

    @on(DatasetsRead)
    def _datasets_read(self, event: DatasetsRead) -> None:
        self.discover_tasks(event.datasets, event.path, event.eval_paths)

    @work(thread=True, exclusive=True, group="experiments-choices", exit_on_error=False)
    def discover_tasks(self, datasets: list[dict[str, Any]], path: Any, eval_paths: list[Any]) -> None:
        from evaltui.evals.launch import discover

        def loading(file: Any, index: int, count: int) -> None:
            self.post_message(self.ChoicesLoading(str(file), index, count))

        tasks, problems = discover(eval_paths, path, on_file=loading)
        self.post_message(self.ChoicesLoaded(datasets, tasks, problems))

    @on(ChoicesLoading)
    def _choices_loading(self, event: ChoicesLoading) -> None:
        self._show_loading(
            f"loading eval file {event.index + 1} of {event.count}: {event.file}…" if event.index >= 0 else None
        )

    def _show_loading(self, text: str | None) -> None:
        """What ``n`` is loading; it stays on the status line until the dialog opens."""
        self.loading_note = text
        if text is not None:
            self.query_one("#experiments-status", Static).update(text)
        else:
            self.reload()  # the status line goes back to the experiments

    @on(ChoicesLoaded)
    def _choices(self, event: ChoicesLoaded) -> None:
        from evaltui.tui.screens.run_dialog import RunDialog

        def chosen(spec: Any) -> None:
            if spec is not None:
                self.app.start_run(spec, fresh=True)

        self._show_loading(None)
        looked_in = ", ".join(str(p) for p in self.app.eval_paths)
        self.app.push_screen(RunDialog(event.datasets, event.tasks, EXTRA_SCORERS, event.problems, looked_in), chosen)

    def action_cancel_run(self) -> None:
        row = self.query_one(ExperimentTable).current
        runs = self.app.runs
        run = runs.get(row["name"]) if row else None
        if run is None or not run.alive:
            live = [r for r in runs.values() if r.alive]
            run = live[0] if len(live) == 1 and (row is None or row["status"] != "running") else run
        if run is None or not run.alive:
            self.notify("no eval of this row is running", timeout=3)
            return
        run.cancel()
        self.notify(f"cancelling {run.spec.experiment}: finished cases stay stored", timeout=4)

    def action_resume(self) -> None:
        row = self.query_one(ExperimentTable).current
        if row is None:
            return
        self.app.resume_run(row["name"])

    @on(ExperimentTable.RowHighlighted, "#experiment-table")
    def _row_highlighted(self) -> None:
        self.query_one("#experiment-focus", Static).update(self.query_one(ExperimentTable).focus_line())

    @on(ExperimentTable.Opened)
    def _opened(self, event: ExperimentTable.Opened) -> None:
        row = event.row
        if not row["base_experiment"]:
            self.notify(
                f"{row['name']} has no base experiment to compare with: pick two with e in the diff pane", timeout=4
            )
            return
        self.app.open_diff(row["base_experiment"], row["name"])

    def action_back(self) -> None:
        self.app.action_back()
