"""Start an eval: a dataset and version, a task from an eval file, scorers, a name."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, SelectionList, Static


class RunDialog(ModalScreen["Any | None"]):
    """Dismisses with a ``launch.RunSpec`` (ctrl+s) or None (esc)."""

    DEFAULT_CSS = """
    RunDialog { align: center middle; }
    RunDialog > VerticalScroll { width: 76; max-width: 98%; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    RunDialog Horizontal { height: auto; }
    RunDialog Label { width: 12; padding: 1 0 0 0; }
    RunDialog Select, RunDialog Input { width: 1fr; }
    RunDialog SelectionList { height: auto; max-height: 8; }
    RunDialog .hint { color: $text-muted; height: auto; }
    RunDialog #run-chosen { height: auto; color: $accent; }
    """
    BINDINGS = [
        Binding("ctrl+s", "start", "Start", id="run.start"),
        Binding("escape", "dismiss", "Cancel", id="dialog.cancel"),
    ]

    def __init__(
        self,
        datasets: list[dict[str, Any]],
        tasks: list[Any],
        extra_scorers: list[str],
        problems: list[str],
        looked_in: str = "examples/",
    ) -> None:
        super().__init__()
        self.datasets, self.tasks, self.extra, self.problems = datasets, tasks, extra_scorers, problems
        self.looked_in = looked_in

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            if not self.datasets or not self.tasks:  # nothing to pick from: say why, build no empty Select
                missing = (
                    "no datasets yet (save one in the builder, 3)"
                    if not self.datasets
                    else f"no tasks: add an eval file with an Eval(...) call under {escape(self.looked_in)}"
                )
                yield Static(f"[b]New eval[/b]: {missing} · esc: close", id="run-title")
            else:
                yield Static("[b]New eval[/b]  ctrl+s: start · esc: cancel", id="run-title")
                with Horizontal():
                    yield Label("dataset")
                    yield Select([(d["name"], d["name"]) for d in self.datasets], id="run-dataset", allow_blank=False)
                with Horizontal():
                    yield Label("version")
                    yield Select([], id="run-version", allow_blank=True)
                with Horizontal():
                    yield Label("task")
                    yield Select([(t.label, i) for i, t in enumerate(self.tasks)], id="run-task", allow_blank=False)
                yield Static("scorers (space toggles; the task's own are ticked)", classes="hint")
                yield SelectionList[str](id="run-scorers")
                yield Static("", id="run-chosen")
                with Horizontal():
                    yield Label("name")
                    yield Input("", id="run-name")
            for p in self.problems:
                yield Static(escape(p), classes="hint problem")

    def on_mount(self) -> None:
        if not self.datasets or not self.tasks:
            return
        self._versions(self.datasets[0]["name"])
        self._scorers(0)
        self.query_one("#run-task", Select).focus()

    def _versions(self, name: str) -> None:
        d = next(d for d in self.datasets if d["name"] == name)
        select = self.query_one("#run-version", Select)
        select.set_options([(f"v{v}", v) for v in reversed(d["versions"])])
        if d["versions"]:
            select.value = d["versions"][-1]
        self._default_name()

    def _scorers(self, index: int) -> None:
        task = self.tasks[index]
        scorers = self.query_one("#run-scorers", SelectionList)
        scorers.clear_options()
        for name in task.scorers:
            scorers.add_option((f"{name} (the task's)", name, True))
        for name in self.extra:
            if name not in task.scorers:
                scorers.add_option((name, name, False))
        scorers.highlighted = 0
        self._show_chosen()
        self._default_name()

    def _show_chosen(self) -> None:
        """What will run, in words: a ticked and an unticked box can look alike in a theme."""
        chosen = list(self.query_one("#run-scorers", SelectionList).selected)
        self.query_one("#run-chosen", Static).update(
            f"runs: {', '.join(chosen)}" if chosen else "runs: no scorer (outputs only)"
        )

    @on(SelectionList.SelectedChanged, "#run-scorers")
    def _chosen_changed(self) -> None:
        self._show_chosen()

    def _default_name(self) -> None:
        try:
            task = self.tasks[self.query_one("#run-task", Select).value]  # type: ignore[index]
            dataset = self.query_one("#run-dataset", Select).value
            version = self.query_one("#run-version", Select).value
        except Exception:
            return
        self.query_one("#run-name", Input).value = f"{task.name}-{dataset}-v{version}"

    @on(Select.Changed, "#run-dataset")
    def _dataset_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self._versions(event.value)

    @on(Select.Changed, "#run-task")
    def _task_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, int):
            self._scorers(event.value)

    @on(Select.Changed, "#run-version")
    def _version_changed(self, event: Select.Changed) -> None:
        self._default_name()

    def action_start(self) -> None:
        from evaltui.evals.launch import RunSpec

        if not self.datasets or not self.tasks:
            return
        task = self.tasks[self.query_one("#run-task", Select).value]  # type: ignore[index]
        version = self.query_one("#run-version", Select).value
        name = self.query_one("#run-name", Input).value.strip() or task.name
        scorers = list(self.query_one("#run-scorers", SelectionList).selected)
        self.dismiss(
            RunSpec(
                task.file,
                task.name,
                str(self.query_one("#run-dataset", Select).value),
                version if isinstance(version, int) else None,
                scorers,
                name,
            )
        )

    @on(Input.Submitted, "#run-name")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_start()
