"""Small modal forms: the stratified suggestion, saving a dataset, a scorer to re-score with.

Each dismisses with its answer (or None on Escape); the pane that opened it acts on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from evaltui.model import GRADED

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 64; max-width: 95%; height: auto; border: thick $primary; background: $surface; padding: 0 1; }}
{name} Horizontal {{ height: auto; }}
{name} Input {{ width: 1fr; }}
{name} Label {{ padding: 1 1 0 0; }}
{name} .hint {{ color: $text-muted; height: auto; }}
{name} .error {{ color: $error; height: auto; }}
{name} Button {{ margin: 0 1 0 0; }}
"""


@dataclass
class SuggestAnswer:
    failing: int
    borderline: int
    passing: int
    seed: int


class SuggestDialog(ModalScreen["SuggestAnswer | None"]):
    """N failing, M borderline, K passing and a seed for the stratified suggestion."""

    DEFAULT_CSS = DIALOG_CSS.format(name="SuggestDialog")
    BINDINGS = [Binding("escape", "dismiss", "Cancel", id="dialog.cancel")]

    def __init__(self, matched: dict[str, int], defaults: SuggestAnswer) -> None:
        super().__init__()
        self.matched, self.defaults = matched, defaults

    def compose(self) -> ComposeResult:
        d = self.defaults
        with Vertical():
            yield Static("[b]Suggest a stratified sample[/b] (seeded: the same seed picks the same cases)")
            for name, value in (*((b, getattr(d, b)) for b in GRADED), ("seed", d.seed)):
                with Horizontal():
                    of = f" of {self.matched.get(name, 0):,}" if name != "seed" else ""
                    yield Label(f"{name}{of}".ljust(18))
                    yield Input(str(value), id=f"suggest-{name}", type="integer")
            yield Static("", classes="error", id="suggest-error")
            yield Static("enter: mark the sample · esc: cancel", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#suggest-failing", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            values = {n: int(self.query_one(f"#suggest-{n}", Input).value or 0) for n in (*GRADED, "seed")}
        except ValueError:
            self.query_one("#suggest-error", Static).update("whole numbers only")
            return
        if any(v < 0 for v in values.values()):
            self.query_one("#suggest-error", Static).update("no negative counts")
            return
        self.dismiss(SuggestAnswer(**values))


class SaveDialog(ModalScreen["str | None"]):
    """A dataset name: a new name makes a new dataset, an existing one its next version."""

    DEFAULT_CSS = DIALOG_CSS.format(name="SaveDialog")
    BINDINGS = [Binding("escape", "dismiss", "Cancel", id="dialog.cancel")]

    def __init__(self, existing: dict[str, int], counts: dict[str, int], default: str = "") -> None:
        super().__init__()
        self.existing, self.counts, self.default = existing, counts, default

    def compose(self) -> ComposeResult:
        c = self.counts
        with Vertical():
            yield Static(
                f"[b]Save[/b] {c['failing']} failing · {c['borderline']} borderline · {c['passing']} passing"
                f" (excluded {c['excluded']})"
            )
            with Horizontal():
                yield Label("dataset")
                yield Input(self.default, placeholder="name", id="save-name")
            yield Static("", classes="hint", id="save-hint")
            known = ", ".join(sorted(self.existing)) or "none yet"
            yield Static(f"datasets: {known}", classes="hint")
            yield Static("enter: save · esc: cancel", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#save-name", Input).focus()
        self._hint(self.default)

    @on(Input.Changed, "#save-name")
    def _changed(self, event: Input.Changed) -> None:
        self._hint(event.value)

    def _hint(self, name: str) -> None:
        name = name.strip()
        if name in self.existing:
            text = f"{name} exists: saves version {self.existing[name] + 1} (excluded cases are removed from it)"
        elif name:
            text = f"a new dataset {name}, version 1"
        else:
            text = "type a name"
        self.query_one("#save-hint", Static).update(text)

    @on(Input.Submitted, "#save-name")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss(event.value.strip())


class TextDialog(ModalScreen["str | None"]):
    """One line of text (a scorer to re-score with, an experiment name...)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="TextDialog")
    BINDINGS = [Binding("escape", "dismiss", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, value: str = "", hint: str = "") -> None:
        super().__init__()
        self.title_, self.value, self.hint = title, value, hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]{self.title_}[/b]")
            yield Input(self.value, id="text-value")
            yield Static(self.hint, classes="hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss(event.value.strip())


__all__ = ["SuggestAnswer", "SuggestDialog", "SaveDialog", "TextDialog", "Button"]
