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
                return value + word[len(stem) :]
        return None


class FilterInput(Input):
    """Tab completes the word before the cursor; each further Tab offers the next
    candidate (shift+tab the previous). Tab never leaves the bar: escape does."""

    BINDINGS = [
        Binding("tab", "complete(1)", "Complete", show=False, priority=True, id="filter.complete"),
        Binding(
            "shift+tab", "complete(-1)", "Previous completion", show=False, priority=True, id="filter.complete_back"
        ),
        Binding("escape", "leave", "Back to table", show=False, id="filter.leave"),
    ]

    @dataclass
    class Offered(Message):
        """The candidates of a completion (empty: nothing to complete), and which is shown."""

        candidates: list[str]
        index: int

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.words: list[str] = []
        self.topics: list[str] = []
        # A completion in progress: the text around the word, its candidates, the one shown.
        self._cycle: tuple[str, str, list[str], int, str] | None = None

    def action_complete(self, step: int = 1) -> None:
        from evaltui.tui.completion import candidates

        value, cursor = self.value, self.cursor_position
        if self._cycle is not None and self._cycle[4] == value:
            head, tail, pool, index, _ = self._cycle
            index = (index + step) % len(pool)
        else:
            found = candidates(value[:cursor], self.words, self.topics)
            if not found.candidates:
                self._cycle = None
                self.post_message(self.Offered([], -1))
                return
            head, tail, pool = value[: found.start], value[cursor:], found.candidates
            index = 0 if step > 0 else len(pool) - 1
        new = head + pool[index] + tail
        self._cycle = (head, tail, pool, index, new)
        self.value = new  # applied after the pause in typing, as typed keys are
        self.cursor_position = len(head) + len(pool[index])
        self.post_message(self.Offered(pool, index))

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
    FilterBar > #filter-hint { color: $text-muted; height: 1; padding: 0 1; display: none; }
    FilterBar.-offering > #filter-hint { display: block; }
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
            self._initial,
            placeholder='filter, e.g. topic = "billing" and scores.brand_alignment < 0.5',
            suggester=self.suggester,
            id="filter-input",
        )
        yield Static("", id="filter-error")
        yield Static("", id="filter-hint")  # the completions Tab cycles through

    @property
    def input(self) -> Input:
        return self.query_one(FilterInput)

    @property
    def error(self) -> str | None:
        return str(self.query_one("#filter-error", Static).content) if self.has_class("-bad") else None

    def set_words(self, words: list[str], topics: list[str] | None = None) -> None:
        """Names to complete: fields, scorers, labels, metadata keys; and topic names,
        which complete after ``topic =`` without a quote typed first."""
        self.suggester.words = words
        self.input.words = words
        if topics is not None:
            self.input.topics = topics

    @on(FilterInput.Offered)
    def _offered(self, event: FilterInput.Offered) -> None:
        event.stop()
        if not event.candidates:
            self.query_one("#filter-hint", Static).update("nothing to complete here")
        else:
            shown = [f"[b]{c}[/b]" if i == event.index else c for i, c in enumerate(event.candidates[:8])]
            more = f" (+{len(event.candidates) - 8})" if len(event.candidates) > 8 else ""
            self.query_one("#filter-hint", Static).update(f"tab: {' · '.join(shown)}{more}")
        self.add_class("-offering")

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
        if event.value != (self.input._cycle or ("", "", [], 0, None))[4]:
            self.remove_class("-offering")  # typed on: the offer is gone
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
