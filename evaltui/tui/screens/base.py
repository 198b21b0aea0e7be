"""What every data pane shares: a store query in a worker, a failure message, staleness,
reload on return."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import on
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, get_current_worker

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from evaltui.tui.app import EvalApp

Query = Callable[[Any], "Message | None"]
Failure = Callable[[Exception], "Message | None"]


def post_query(node: DOMNode, query: Query, *, failed: Failure, errors: tuple[type[Exception], ...] = ()) -> None:
    """In a worker thread: run ``query(store)`` on a brief read-only connection and post
    the message it returns to ``node``, unless a newer query of the worker's group
    cancelled this one. A ``StoreError`` or ``FilterError`` (and any of ``errors``)
    posts ``failed(exc)`` instead; either may be None to post nothing."""
    # Imported here: the store (DuckDB) loads in the worker, not before the first frame.
    from evaltui.store import StoreError
    from evaltui.store.connections import reading
    from evaltui.store.filters import FilterError

    caught: tuple[type[Exception], ...] = (StoreError, FilterError, *errors)
    worker = get_current_worker()
    try:
        with reading(node.app.db_path, node.app.lock_timeout) as store:  # type: ignore[attr-defined]
            message = query(store)
    except caught as exc:
        message = failed(exc)
        if message is not None:
            node.post_message(message)
        return
    if message is not None and not worker.is_cancelled:
        node.post_message(message)


def read_in_worker(
    node: DOMNode,
    query: Query,
    *,
    group: str,
    failed: Failure,
    errors: tuple[type[Exception], ...] = (),
    exclusive: bool = True,
) -> Worker[None]:
    """``post_query`` in a new thread worker of ``group`` (by default the group's only
    one: a newer query cancels the older). The worker never touches widgets: the
    message's handler does, on the app's thread."""
    return node.run_worker(
        partial(post_query, node, query, failed=failed, errors=errors),
        thread=True,
        exclusive=exclusive,
        group=group,
        exit_on_error=False,
    )


class DataScreen(Screen):
    """A screen whose workers read the store. Workers never touch widgets: they post
    ``Failed`` (or the screen's own result messages) and handlers update the widgets."""

    @dataclass
    class Failed(Message):
        message: str

    if TYPE_CHECKING:  # every data pane runs inside EvalApp: its settings, db_path, lock_timeout
        app: EvalApp

    def __init__(self) -> None:
        super().__init__()
        self.stale = False

    def read(
        self,
        query: Query,
        *,
        group: str,
        failed: Failure | None = None,
        errors: tuple[type[Exception], ...] = (),
        exclusive: bool = True,
    ) -> Worker[None]:
        """``query(store)`` in a worker, posting the message it returns; a failure posts
        ``Failed`` with the error's one line unless ``failed`` says otherwise."""
        return read_in_worker(
            self, query, group=group, errors=errors, exclusive=exclusive, failed=failed or self.failure
        )

    def failure(self, exc: Exception) -> Message:
        """The message a failed query posts by default: its one line, as a notification."""
        return self.Failed(str(exc))

    def reload(self) -> None:
        """Query again (new rows from another process, a changed setting)."""

    def restyle(self) -> None:
        """Render what is loaded again (after a theme change) without a query."""

    def on_mount(self) -> None:
        # immediate: a refresh marks every pane stale before the one on top reloads
        self.app.data_changed_signal.subscribe(self, self._data_changed, immediate=True)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.restyle())

    def _data_changed(self, _: None) -> None:
        """The file changed (or r): the pane on top queries now, the others when shown."""
        if self.app.screen is self:
            self.stale = False
            self.reload()
        else:
            self.stale = True

    def on_screen_resume(self) -> None:
        if self.stale:
            self.stale = False
            self.reload()

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        self.notify(event.message, title="evaltui", severity="error", timeout=8)
