"""The filter bar: an input in the filter language with completion and an inline error."""

from __future__ import annotations

import re
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.suggester import Suggester
from textual.timer import Timer
from textual.widgets import Input, Static

_LAST_WORD = re.compile(r"[\w.\"]+$")


class FieldSuggester(Suggester):
    """Completes the word under the cursor from field, scorer and label names."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.words: list[str] = []

    async def get_suggestion(self, value: str) -> str | None:
        m = _LAST_WORD.search(value)
        if not m:
            return None
        stem = m.group()
        low = stem.lower()
        for word in self.words:
            if word.lower().startswith(low) and len(word) > len(stem):
                return value + word[len(stem):]
        return None


class FilterInput(Input):
    """Tab takes the suggestion (then moves on when there is none)."""

    BINDINGS = [
        Binding("tab", "complete", "Complete", show=False, id="filter.complete"),
        Binding("escape", "leave", "Back to table", show=False, id="filter.leave"),
    ]

    def action_complete(self) -> None:
        if self._suggestion and self._suggestion != self.value:
            self.value = self._suggestion
            self.cursor_position = len(self.value)
        else:
            self.screen.focus_next()

    def action_leave(self) -> None:
        self.screen.focus_next()


class FilterBar(Vertical):
    """Posts ``Applied`` with a filter that parses, after a short pause in typing or on Enter.

    A filter that does not parse shows its message under the input and is not applied,
    so whatever shows the results keeps the last good ones.
    """

    DEFAULT_CSS = """
    FilterBar { height: auto; }
    FilterBar > Input { border: tall $panel; }
    FilterBar > Input:focus { border: tall $accent; }
    FilterBar > #filter-error { color: $error; height: auto; padding: 0 1; display: none; }
    FilterBar.-bad > #filter-error { display: block; }
    FilterBar.-bad > Input { border: tall $error; }
    """

    @dataclass
    class Applied(Message):
        text: str
        submitted: bool  # Enter (the user is done typing) rather than a pause

    DEBOUNCE_S = 0.3

    def __init__(self, value: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.suggester = FieldSuggester()
        self._initial = value
        self._timer: Timer | None = None
        self.applied = value

    def compose(self) -> ComposeResult:
        yield FilterInput(
            self._initial, placeholder='filter, e.g. topic = "billing" and scores.brand_alignment < 0.5',
            suggester=self.suggester, id="filter-input",
        )
        yield Static("", id="filter-error")

    @property
    def input(self) -> Input:
        return self.query_one(FilterInput)

    @property
    def error(self) -> str | None:
        return str(self.query_one("#filter-error", Static).content) if self.has_class("-bad") else None

    def set_words(self, words: list[str]) -> None:
        self.suggester.words = words

    def set_value(self, text: str) -> None:
        """Replace the filter (from a drill-in) and apply it at once."""
        with self.input.prevent(Input.Changed):
            self.input.value = text
        self.input.cursor_position = len(text)
        self._check_and_apply(text, submitted=True)

    def show_error(self, message: str) -> None:
        self.query_one("#filter-error", Static).update(message)
        self.add_class("-bad")

    def clear_error(self) -> None:
        self.remove_class("-bad")

    @on(Input.Changed, "#filter-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        text = event.value
        self._timer = self.set_timer(self.DEBOUNCE_S, lambda: self._check_and_apply(text, submitted=False))

    @on(Input.Submitted, "#filter-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._check_and_apply(event.value, submitted=True)

    def _check_and_apply(self, text: str, *, submitted: bool) -> None:
        # Deferred: the store modules pull in DuckDB and Arrow, not needed for a first frame.
        from evaltui.store.filters import FilterError, compile_filter

        try:
            compile_filter(text)
        except FilterError as exc:
            self.show_error(str(exc))
            return
        self.clear_error()
        if text != self.applied or submitted:
            self.applied = text
            self.post_message(self.Applied(text, submitted))
