"""The app's panes in one table: it makes the modes, the 1-7 keys, the palette's pane
commands and the help's sections. Screens are named, not imported: a pane's screen loads
when the pane is first shown, so only the first pane's code runs before the first frame."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


def load(path: str) -> Any:
    """``"screens.logs:LogsScreen"`` -> that class (modules under evaltui.tui)."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(f"evaltui.tui.{module}"), name)


@dataclass(frozen=True)
class Pane:
    mode: str  # the App mode, the binding id's tail (pane.MODE) and the palette's name
    key: str
    title: str  # in the footer and the help
    screen: str  # module:Class under evaltui.tui
    about: str  # the palette's line about it
    in_footer: bool
    keys_from: tuple[str, ...]  # module:Class whose bindings (with ids) make its help section
    opens: tuple[tuple[str, tuple[str, ...]], ...] = ()  # screens it pushes: their own help sections

    @property
    def command(self) -> str:
        """The palette's title: the key is named where the footer does not show it."""
        return f"Pane: {self.mode}" if self.in_footer else f"Pane: {self.mode} ({self.key})"

    def make_screen(self) -> Any:
        """A MODES entry's factory: imports the screen when the pane is first shown."""
        return load(self.screen)()


PANES: tuple[Pane, ...] = (
    Pane(
        "topics",
        "1",
        "Topics",
        "screens.topics:TopicsScreen",
        "the topic map: where it hurts",
        True,
        ("widgets.topic_table:TopicTable",),
    ),
    Pane(
        "logs",
        "2",
        "Logs",
        "screens.logs:LogsScreen",
        "the log browser",
        True,
        ("screens.logs:LogsScreen", "widgets.span_table:SpanTable", "widgets.filter_bar:FilterInput"),
        opens=(("trace", ("screens.trace:TraceScreen",)),),
    ),
    Pane(
        "builder",
        "3",
        "Builder",
        "screens.builder:BuilderScreen",
        "mark the log filter's cases into a dataset",
        False,
        ("screens.builder:BuilderScreen",),
    ),
    Pane(
        "experiments",
        "4",
        "Experiments",
        "screens.experiments:ExperimentsScreen",
        "experiments; start, cancel, resume evals",
        False,
        ("screens.experiments:ExperimentsScreen", "widgets.experiment_table:ExperimentTable"),
    ),
    Pane(
        "diff",
        "5",
        "Diff",
        "screens.diff:DiffScreen",
        "baseline vs candidate, case by case",
        False,
        ("screens.diff:DiffScreen", "widgets.case_list:CaseList"),
    ),
    Pane(
        "calibration",
        "6",
        "Calibration",
        "screens.calibration:CalibrationScreen",
        "judges against human labels",
        False,
        ("screens.calibration:CalibrationScreen",),
    ),
    Pane(
        "prompts",
        "7",
        "Prompts",
        "screens.prompts:PromptsScreen",
        "prompt versions and the experiments that ran each",
        False,
        ("screens.prompts:PromptsScreen",),
    ),
    Pane(
        "review",
        "8",
        "Review",
        "screens.review:ReviewScreen",
        "label a review queue, most useful item first",
        False,
        ("screens.review:ReviewScreen",),
    ),
)


def modes() -> dict[str, Any]:
    """The App's MODES: one screen factory per pane."""
    return {p.mode: p.make_screen for p in PANES}


def bindings() -> list[Any]:
    """The 1-7 keys, with ids users can remap (pane.logs, ...)."""
    from textual.binding import Binding

    return [Binding(p.key, f"show_pane('{p.mode}')", p.title, show=p.in_footer, id=f"pane.{p.mode}") for p in PANES]


def help_sections() -> list[tuple[str, tuple[str, ...]]]:
    """(section, module:Class whose bindings it lists) per pane and per screen it opens."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for p in PANES:
        out.append((p.mode, p.keys_from))
        out.extend(p.opens)
    return out
