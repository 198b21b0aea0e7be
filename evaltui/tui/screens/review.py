"""The review pane: a queue's items one at a time (the conversation or eval result, the
judges' grades and rationales, the rubric), one key per grade, a note, skip, undo and
progress. Keys typed faster than the database answers wait their turn, each applying to
the item on screen when its turn comes, so a reviewer never waits for the next item."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Header, Static

from evaltui.tui.screens.base import DataScreen

if TYPE_CHECKING:
    from evaltui.store.db import Store

# Shift+letter grades, as in the trace and the diff; the queue's scale decides which apply.
GRADE_KEYS = ("A", "B", "C", "D", "Y", "N")


class ReviewScreen(DataScreen):
    DEFAULT_CSS = """
    ReviewScreen #review-status { height: 1; padding: 0 1; background: $panel; }
    ReviewScreen #review-why { height: auto; max-height: 2; padding: 0 1; color: $text-muted; }
    ReviewScreen #review-body { height: 1fr; padding: 0 1; }
    ReviewScreen #review-note { height: 1; padding: 0 1; color: $accent; }
    """

    BINDINGS = [
        *[Binding(k, f"grade('{k}')", f"Grade {k}", show=False, id=f"review.grade_{k.lower()}") for k in GRADE_KEYS],
        Binding("n", "note", "Note", id="review.note"),
        Binding("s", "skip", "Skip", id="review.skip"),
        Binding("u,ctrl+z", "undo", "Undo", id="review.undo"),
        Binding("o", "other_queue", "Queue", id="review.queue"),
        Binding("c", "create", "New queue", show=False, id="review.create"),
        Binding("j,down", "scroll(1)", "Scroll", show=False, id="review.down"),
        Binding("k,up", "scroll(-1)", "Scroll", show=False, id="review.up"),
        Binding("escape", "back", "Back", id="review.back"),
    ]

    @dataclass
    class Shown(Message):
        session: Any  # evaltui.scoring.review.Session
        done: str = ""  # what the action did, for a notice
        labels_changed: bool = False

    @dataclass
    class ActionFailed(Message):
        message: str

    def __init__(self) -> None:
        super().__init__()
        self.queue_name: str | None = None
        self.target: str | None = None
        self.scale: dict[str, float] = {}
        self.note: str | None = None
        self.pending: deque[tuple[str, str]] = deque()
        self.busy = False
        self.queues: list[str] = []

    @property
    def reviewer(self) -> str:
        return str(self.app.settings.reviewer_name)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("loading the review queue…", id="review-status")
        yield Static("", id="review-why")
        with VerticalScroll(id="review-body"):
            yield Static("", id="review-item")
        yield Static("", id="review-note")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#review-body").can_focus = False
        self.reload()

    # -- one action at a time, in order ------------------------------------------------

    def reload(self) -> None:
        self._enqueue("load", "")

    def _enqueue(self, action: str, value: str) -> None:
        self.pending.append((action, value))
        self._pump()

    def _pump(self) -> None:
        if self.busy or not self.pending:
            return
        action, value = self.pending.popleft()
        note = self.note if action == "grade" else None
        if action == "grade":
            self.note = None
        self.busy = True
        self.run_worker(
            partial(self._act, action, value, self.queue_name, self.target, note),
            thread=True,
            group="review",
            exit_on_error=False,
        )

    def _act(self, action: str, value: str, queue: str | None, target: str | None, note: str | None) -> None:
        """In a worker: do the action on a short connection, then read what comes next."""
        from evaltui.scoring.errors import ScorerSetupError
        from evaltui.scoring.review import build_from_filter, label_next, session
        from evaltui.errors import StoreBusy, StoreConfigConflict
        from evaltui.store import StoreError
        from evaltui.store.connections import reading, writing
        from evaltui.store.filters import FilterError
        from evaltui.store.review import record_skip, undo_last

        done = ""
        try:
            if action != "load":
                with writing(self.app.db_path, self.app.lock_timeout) as store:
                    if action == "grade" and queue and target:
                        _, label = label_next(store, queue, self.reviewer, value, note, target_id=target)
                        done = f"{target}: {label}" + (" with a note" if note else "")
                    elif action == "skip" and queue and target:
                        record_skip(store, queue, target, self.reviewer)
                        done = f"skipped {target}: it comes back after the others"
                    elif action == "undo" and queue:
                        undone = undo_last(store, queue, self.reviewer)
                        done = f"undid the {undone[0]} of {undone[1]}" if undone else "nothing to undo"
                    elif action == "create":
                        scorer, _, where = value.partition("\t")
                        name = _free_name(store, scorer)
                        build_from_filter(store, name, scorer, where)
                        queue, done = name, f"queue {name} from {where or 'every span'}"
            with reading(self.app.db_path, self.app.lock_timeout) as store:
                now = session(store, queue, self.reviewer)
        except (StoreBusy, StoreConfigConflict):
            # another process writes, or a long read of another pane holds the file: try again
            self.post_message(self.Retry(action, value, note))
            return
        except (StoreError, ScorerSetupError, FilterError) as exc:
            self.post_message(self.ActionFailed(str(exc)))
            return
        self.post_message(self.Shown(now, done, action in ("grade", "undo")))

    @dataclass
    class Retry(Message):
        action: str
        value: str
        note: str | None

    @on(Retry)
    def _retry(self, event: Retry) -> None:
        """The file was busy: the action goes back to the front of the line (its note too)."""
        self.busy = False
        if event.action == "grade" and event.note and not self.note:
            self.note = event.note
        self.pending.appendleft((event.action, event.value))
        self.query_one("#review-note", Static).update("waiting for the database (another process or pane holds it)…")
        self.set_timer(0.3, self._pump)

    @on(ActionFailed)
    def _action_failed(self, event: ActionFailed) -> None:
        self.busy = False
        self.pending.clear()  # the keys after a failed one meant another item: drop them
        self.notify(event.message, title="review", severity="error", timeout=8)
        self._show_note()

    @on(Shown)
    def _shown(self, event: Shown) -> None:
        self.busy = False
        now = event.session
        self.queues = now.queues
        self.queue_name = now.queue.name if now.queue else None
        self.scale = now.scale
        self.target = now.item["target_id"] if now.item else None
        self._show_session(now)
        if event.done:
            self.notify(event.done, timeout=2)
        if event.labels_changed:
            self.app.labels_changed()
        self.refresh_bindings()
        self._pump()

    # -- what it shows ---------------------------------------------------------------------

    def _show_session(self, now: Any) -> None:
        status = self.query_one("#review-status", Static)
        why = self.query_one("#review-why", Static)
        body = self.query_one("#review-item", Static)
        if now.queue is None:
            status.update("no review queues yet")
            why.update("")
            body.update(
                Text(
                    "c makes a queue from the log browser's filter (judges that disagree first), "
                    "or `evaltui review create NAME --scorer SCORER [--where FILTER | --diff BASE CANDIDATE]`",
                    style="dim",
                )
            )
            self._show_note()
            return
        grades = " ".join(self.scale)
        status.update(
            Text.assemble((now.progress.text(), "bold"), f" · {now.queue.name} · {now.reviewer} · grades {grades}")
        )
        item = now.item
        if item is None:
            why.update("")
            others = [n for n in now.queues if n != now.queue.name]
            body.update(
                Text(
                    f"nothing left for {now.reviewer} in {now.queue.name}: every item has its "
                    f"{now.queue.reviews} review(s) or was labelled by you"
                    + (f"; o: the next queue ({', '.join(others)})" if others else ""),
                    style="dim",
                )
            )
            self._show_note()
            return
        why.update(Text(f"why: {now.reason}", overflow="ellipsis"))
        body.update(_item_text(item, now.rubric, self.scale))
        self.query_one("#review-body", VerticalScroll).scroll_home(animate=False)
        self._show_note()

    def _show_note(self) -> None:
        waiting = f" · {len(self.pending)} keys waiting" if self.pending else ""
        text = f"note for the next grade: {self.note}" if self.note else "n: a note for the next grade"
        self.query_one("#review-note", Static).update(text + waiting)

    # -- keys --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "grade":
            return parameters[0] in self.scale
        return True

    def action_grade(self, value: str) -> None:
        self._enqueue("grade", value)

    def action_skip(self) -> None:
        self._enqueue("skip", "")

    def action_undo(self) -> None:
        self._enqueue("undo", "")

    def action_note(self) -> None:
        from evaltui.tui.screens.dialogs import TextDialog

        def chosen(text: str | None) -> None:
            if text is not None:
                self.note = text
                self._show_note()

        self.app.push_screen(
            TextDialog(
                "A note for the next grade", self.note or "", "why: kept with the label (enter saves, esc cancels)"
            ),
            chosen,
        )

    def action_other_queue(self) -> None:
        if len(self.queues) < 2:
            self.notify("no other review queue: c makes one from the log browser's filter", timeout=3)
            return
        i = self.queues.index(self.queue_name) if self.queue_name in self.queues else -1
        self.queue_name = self.queues[(i + 1) % len(self.queues)]
        self.reload()

    def action_create(self) -> None:
        from evaltui.tui.screens.dialogs import TextDialog

        where = self.app.log_filter

        def chosen(scorer: str | None) -> None:
            if scorer:
                self._enqueue("create", f"{scorer}\t{where}")

        self.app.push_screen(
            TextDialog(
                "New review queue: the scorer whose grades to review",
                "brand_alignment",
                f"from the log browser's filter: {where or '(none: every graded span)'}",
            ),
            chosen,
        )

    def action_scroll(self, lines: int) -> None:
        self.query_one("#review-body", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_back(self) -> None:
        self.app.action_back()


def _free_name(store: Store, scorer: str) -> str:
    from evaltui.store.review import list_queues

    taken = {q.name for q in list_queues(store)}
    n = 1
    while f"{scorer}-{n}" in taken:
        n += 1
    return f"{scorer}-{n}"


def _item_text(item: dict[str, Any], rubric: str, scale: dict[str, float]) -> Text:
    """The item as the reviewer reads it: where from, the conversation (or the eval case),
    each judge's grade and rationale, then the rubric."""
    from evaltui.scoring.rubric import as_text, transcript

    out = Text()
    out.append(item["where"], style="bold")
    if item["reviews"]:
        out.append(f" · {item['reviews']} review(s) so far", style="dim")
    out.append("\n")
    for line in transcript(item["input"], item["output"]).splitlines():
        who, colon, said = line.partition(": ")
        if colon and who in ("Customer", "Agent"):
            out.append(f"{who}: ", style="bold cyan" if who == "Customer" else "bold green")
            out.append(said + "\n")
        else:  # the rest of a message over several lines
            out.append(line + "\n")
    if item["expected"] not in (None, ""):
        out.append("Expected: ", style="bold")
        out.append(as_text(item["expected"]) + "\n")
    for g in item["grades"]:
        grade = g["label"] or f"{g['score']:g}"
        out.append(f"{g['scorer']} ({g['version']}): ", style="bold")
        out.append(grade, style="bold reverse")
        out.append(f" {g['rationale'] or ''}\n")
    if rubric:
        out.append("rubric: ", style="bold")
        out.append(rubric + "\n", style="dim")
    out.append("grades: " + " · ".join(f"{k} ({v:g})" for k, v in scale.items()), style="dim")
    return out
