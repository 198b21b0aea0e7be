"""The log browser pane: a filter bar over a keyset-paged table of conversations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Header, Static

from evaltui.tui.screens.base import DataScreen
from evaltui.tui.widgets.filter_bar import FilterBar
from evaltui.tui.widgets.span_table import SpanTable

if TYPE_CHECKING:
    from evaltui.store.db import Store
    from evaltui.store.pages import LogRow, SpanPage

PAGE_SIZE = 100


@dataclass
class View:
    """What the table shows: the filter and order; the window's offset in the result."""

    where: str = ""
    sort: str = "ts"
    descending: bool = True
    offset: int = 0
    columns: tuple[str, ...] = ()  # chosen extra columns: metrics.KEY, metadata.KEY


class LogsScreen(DataScreen):
    DEFAULT_CSS = """
    LogsScreen #span-table { height: 1fr; }
    LogsScreen #logs-focus { height: auto; max-height: 2; padding: 0 1; }
    LogsScreen #logs-status { height: 1; padding: 0 1; color: $text-muted; }
    """

    BINDINGS = [
        Binding("slash", "focus_filter", "Filter", key_display="/", id="logs.filter"),
        Binding("c", "choose_columns", "Columns", id="logs.columns"),
        Binding("m", "group_by", "Group by metadata", show=False, id="logs.group_by"),
        Binding("w", "save_view", "Save view", show=False, id="logs.save_view"),
        Binding("V", "open_view", "Views", show=False, id="logs.views"),
        Binding("escape", "back", "Back", id="logs.back"),
    ]

    @dataclass
    class PageLoaded(Message):
        page: Any  # SpanPage
        view: View
        where: str  # first | next | prev | last | same
        scorers: list[str]
        select: int
        keep: str | None = None  # the row to stay on, when it is still in the window

    @dataclass
    class CountLoaded(Message):
        where: str
        total: int

    @dataclass
    class WordsLoaded(Message):
        words: list[str]
        topics: list[str]

    @dataclass
    class FilterFailed(Message):
        message: str

    def __init__(self) -> None:
        super().__init__()
        self.view = View()
        self.total: int | None = None
        self.scorers: list[str] | None = None
        self.page: SpanPage | None = None
        self._words_asked = False
        self.last_saved_view: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield FilterBar(id="filter-bar")
        yield SpanTable(id="span-table")
        yield Static("", id="logs-focus")  # the focused row's full names (the columns abbreviate)
        yield Static("loading…", id="logs-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(SpanTable).focus()
        self.reload()  # completion words load after the first page: the page comes first

    # -- asking for data ---------------------------------------------------------

    def reload(self) -> None:
        """Query the current window again (new rows show at the top of the first page),
        staying on the same row: a label written in a trace must not lose the place."""
        self.scorers = None
        table = self.query_one(SpanTable)
        rows = self.page.rows if self.page else []
        keep = rows[table.cursor_row].id if rows and 0 <= table.cursor_row < len(rows) else None
        self.request("same" if rows and self.view.offset > 0 else "first", keep=keep)

    def restyle(self) -> None:
        table = self.query_one(SpanTable)
        if table.page is not None:
            table.show_page(
                table.page,
                scorers=table.scorers,
                thresholds=table.thresholds,
                sort=table.sort,
                descending=table.descending,
                select=table.cursor_row,
                columns=list(self.view.columns),
            )

    def set_filter(self, text: str) -> None:
        self.query_one(FilterBar).set_value(text)

    def request(self, where: str, select: int = 0, view: View | None = None, keep: str | None = None) -> None:
        """Load the window ``where`` (first | next | prev | last | same) of ``view``."""
        view = view or self.view
        rows = self.page.rows if self.page and view is self.view else []
        after, backward = None, where in ("prev", "last")
        if where == "same" and rows:
            after = rows[0].cursor
        elif where == "next" and rows:
            after = rows[-1].cursor
        elif where == "prev" and rows:
            after = rows[0].cursor
        elif where in ("next", "prev", "same"):
            where, backward = "first", False
        target = View(view.where, view.sort, view.descending, view.offset, view.columns)
        self.load_page(target, where, after, backward, select, self.scorers, keep)

    def load_page(
        self,
        view: View,
        where: str,
        after: Any,
        backward: bool,
        select: int,
        scorers: list[str] | None,
        keep: str | None = None,
    ) -> None:
        def query(store: Store) -> LogsScreen.PageLoaded:
            from evaltui.store.pages import fetch_page
            from evaltui.store.pages import scorers as scorer_keys
            from evaltui.store.filter_names import check_names

            start, keys = after, scorers
            if where == "first":  # a misspelt scorer or topic would show nothing, silently
                check_names(store, view.where)
            if keys is None:
                keys = scorer_keys(store)
            if where == "same":  # the window from its first row on: start after the row before it
                before = fetch_page(
                    store, view.where, sort=view.sort, descending=view.descending, after=start, backward=True, limit=1
                )
                start = before.rows[0].cursor if before.rows else None
            page = fetch_page(
                store,
                view.where,
                sort=view.sort,
                descending=view.descending,
                after=start,
                backward=backward,
                limit=PAGE_SIZE,
            )
            return self.PageLoaded(page, view, where, keys, select, keep)

        def failed(exc: Exception) -> Message:
            from evaltui.store.filters import FilterError

            return self.FilterFailed(str(exc)) if isinstance(exc, FilterError) else self.Failed(str(exc))

        self.read(query, group="page", failed=failed)

    def load_count(self, where: str) -> None:
        def query(store: Store) -> LogsScreen.CountLoaded:
            from evaltui.store.pages import total

            return self.CountLoaded(where, total(store, where))

        self.read(query, group="count", failed=lambda exc: None)  # the page worker reports the problem

    def load_words(self) -> None:
        def query(store: Store) -> LogsScreen.WordsLoaded:
            from evaltui.store.completion import completion_words, topic_names

            words, topics = completion_words(store), topic_names(store)
            return self.WordsLoaded(words + [f'"{t}"' for t in topics], topics)

        self.read(query, group="words", failed=lambda exc: None)

    # -- results -------------------------------------------------------------------

    @on(PageLoaded)
    def _page_loaded(self, event: PageLoaded) -> None:
        page: SpanPage = event.page
        view = event.view
        count_changed = view.where != self.view.where or self.total is None
        if event.where == "first" or not page.more_before:
            view.offset = 0
        elif event.where == "next":
            view.offset += len(self.page.rows) if self.page else 0
        elif event.where == "prev":
            view.offset = max(0, view.offset - len(page.rows))
        elif event.where == "same":
            pass  # the same window
        else:  # last: known once the count is
            view.offset = max(0, self.total - len(page.rows)) if self.total is not None and not count_changed else 0
        self.view, self.page, self.scorers = view, page, event.scorers
        if count_changed:
            self.total = None
        self.app.known_scorers = event.scorers
        select = event.select if event.select >= 0 else len(page.rows) - 1
        kept = [i for i, r in enumerate(page.rows) if r.id == event.keep]
        if kept:
            select = kept[0]
        self.query_one(SpanTable).show_page(
            page,
            scorers=event.scorers,
            thresholds={k: self.app.settings.threshold(k) for k in event.scorers},
            sort=view.sort,
            descending=view.descending,
            select=select,
            columns=list(view.columns),
        )
        self.query_one(FilterBar).clear_error()
        if count_changed or event.where in ("first", "same"):
            self.load_count(view.where)
        self._load_words_once()
        self._show_status()

    def _load_words_once(self) -> None:
        if not self._words_asked:
            self._words_asked = True
            self.load_words()
            self.app.data_shown()

    @on(CountLoaded)
    def _count_loaded(self, event: CountLoaded) -> None:
        if event.where == self.view.where:
            self.total = event.total
            if self.page and not self.page.more_after and self.page.rows:
                self.view.offset = max(0, event.total - len(self.page.rows))
            self._show_status()

    @on(WordsLoaded)
    def _words_loaded(self, event: WordsLoaded) -> None:
        self.query_one(FilterBar).set_words(event.words, event.topics)

    @on(FilterFailed)
    def _filter_failed(self, event: FilterFailed) -> None:
        bar = self.query_one(FilterBar)
        bar.show_error(event.message)
        bar.input.focus()  # back to the bar to fix it (Enter had moved to the table)
        self._load_words_once()

    def _show_status(self) -> None:
        rows = self.page.rows if self.page else []
        total = "…" if self.total is None else f"{self.total:,}"
        if rows:
            where = f"rows {self.view.offset + 1:,}–{self.view.offset + len(rows):,} of {total}"
        else:
            where = "no conversations match" if self.total == 0 or self.total is None else f"0 of {total}"
        order = f"sorted by {self.view.sort} {'▼' if self.view.descending else '▲'}"
        self.query_one("#logs-status", Static).update(f"{where} · {order} · {self.view.where or 'no filter'}")

    # -- what the widgets ask for ----------------------------------------------------

    @on(FilterBar.Applied)
    def _filter_applied(self, event: FilterBar.Applied) -> None:
        # The count is forgotten when the new filter's rows arrive: a filter that fails
        # keeps the last good rows and their count.
        self.request("first", view=View(event.text, self.view.sort, self.view.descending, columns=self.view.columns))
        if event.submitted:
            self.query_one(SpanTable).focus()

    @on(SpanTable.RowHighlighted, "#span-table")
    def _row_highlighted(self) -> None:
        self.query_one("#logs-focus", Static).update(self.query_one(SpanTable).focus_line())

    @on(SpanTable.PageWanted)
    def _page_wanted(self, event: SpanTable.PageWanted) -> None:
        select = {"next": 0, "first": 0, "prev": -1, "last": -1}[event.where]
        self.request(event.where, select=select)

    @on(SpanTable.SortWanted)
    def _sort_wanted(self, event: SpanTable.SortWanted) -> None:
        self.sort_by(event.column, event.descending)

    def sort_columns(self) -> list[str]:
        """The columns the rows can be sorted by (the palette offers each)."""
        return self.query_one(SpanTable).columns_keys()

    def sort_by(self, column: str, descending: bool) -> None:
        self.request("first", view=View(self.view.where, column, descending, columns=self.view.columns))

    @on(SpanTable.Opened)
    def _opened(self, event: SpanTable.Opened) -> None:
        from evaltui.tui.screens.trace import TraceScreen

        position = self.view.offset + event.index
        self.app.push_screen(
            TraceScreen(event.row, self.view.where, self.view.sort, self.view.descending, position, self.total),
            self._back_from_trace,
        )

    def _back_from_trace(self, row: LogRow | None) -> None:
        if row is None or not self.page:
            return
        table = self.query_one(SpanTable)
        for i, r in enumerate(self.page.rows):
            if r.id == row.id:
                table.move_cursor(row=i)
                return

    # -- columns -----------------------------------------------------------------------

    @dataclass
    class ChoicesLoaded(Message):
        choices: list[str]
        purpose: str  # columns | group

    @dataclass
    class GroupsLoaded(Message):
        where: str
        key: str
        scorers: list[str]
        rows: list[dict[str, Any]]

    def action_choose_columns(self) -> None:
        self.load_choices()

    def action_group_by(self) -> None:
        self.load_choices("group")

    def load_choices(self, purpose: str = "columns") -> None:
        def query(store: Store) -> LogsScreen.ChoicesLoaded:
            from evaltui.store.pages import column_choices

            return self.ChoicesLoaded(column_choices(store), purpose)

        self.read(query, group="columns")

    @on(ChoicesLoaded)
    def _choices_loaded(self, event: ChoicesLoaded) -> None:
        from evaltui.tui.screens.columns_dialog import ColumnsDialog, GroupByDialog

        if event.purpose == "columns":
            self.app.push_screen(ColumnsDialog(event.choices, list(self.view.columns)), self.set_columns)
            return
        keys = [c.partition(".")[2] for c in event.choices if c.startswith("metadata.")]

        def chosen(key: str | None) -> None:
            if key:
                self.load_groups(self.view.where, key)

        self.app.push_screen(GroupByDialog(keys), chosen)

    def load_groups(self, where: str, key: str) -> None:
        def query(store: Store) -> LogsScreen.GroupsLoaded:
            from evaltui.store.logs import group_stats

            scorers, rows = group_stats(store, where, key)
            return self.GroupsLoaded(where, key, scorers, rows)

        self.read(query, group="groups")

    @on(GroupsLoaded)
    def _groups_loaded(self, event: GroupsLoaded) -> None:
        from evaltui.tui.screens.groups import GroupsScreen

        def chosen(where: str | None) -> None:
            if where is not None:
                self.set_filter(where)

        thresholds = {k: self.app.settings.threshold(k) for k in event.scorers}
        self.app.push_screen(GroupsScreen(event.where, event.key, event.scorers, event.rows, thresholds), chosen)

    def set_columns(self, columns: list[str] | None) -> None:
        """Show these extra columns (None: leave them); a sort on a dropped one goes back to time."""
        if columns is None:
            return
        sort, descending = self.view.sort, self.view.descending
        if sort.startswith(("metrics.", "metadata.")) and sort not in columns:
            sort, descending = "ts", True
        self.request("first", view=View(self.view.where, sort, descending, columns=tuple(columns)))

    # -- saved views -------------------------------------------------------------------

    @dataclass
    class ViewsLoaded(Message):
        views: list[Any]  # store.views.SavedView

    @dataclass
    class ViewSaved(Message):
        name: str

    def action_save_view(self) -> None:
        from evaltui.tui.screens.dialogs import TextDialog

        def chosen(name: str | None) -> None:
            if name:
                v = self.view
                self.write_view(self.app.db_path, name, v.where, v.columns, v.sort, v.descending)

        self.app.push_screen(
            TextDialog(
                "Save this view as",
                "",
                f"{self.view.where or 'no filter'} · by "
                f"{self.view.sort} · columns: {', '.join(self.view.columns) or 'the default'}",
            ),
            chosen,
        )

    @work(thread=True, exclusive=False, group="views-write", exit_on_error=False)
    def write_view(
        self, path: Any, name: str, where: str, columns: tuple[str, ...], sort: str, descending: bool
    ) -> None:
        from evaltui.store import StoreError
        from evaltui.store.connections import writing
        from evaltui.store.views import SavedView, save_view

        try:
            with writing(path, self.app.lock_timeout) as store:
                save_view(store, SavedView(name, where, columns, sort, descending))
        except StoreError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.ViewSaved(name))

    @on(ViewSaved)
    def _view_saved(self, event: ViewSaved) -> None:
        self.last_saved_view = event.name
        self.notify(f"saved view {event.name} (V opens it)", timeout=3)

    def action_open_view(self) -> None:
        self.load_views()

    def load_views(self) -> None:
        def query(store: Store) -> LogsScreen.ViewsLoaded:
            from evaltui.store.views import saved_views

            return self.ViewsLoaded(saved_views(store))

        self.read(query, group="views")

    @on(ViewsLoaded)
    def _views_loaded(self, event: ViewsLoaded) -> None:
        from evaltui.tui.screens.views_dialog import ViewsDialog

        self.app.push_screen(ViewsDialog(event.views), self.apply_view)

    def apply_view(self, saved: Any) -> None:
        """Show a saved view: its columns and order, then its filter (which loads the rows)."""
        if saved is None:
            return
        self.view = View(self.view.where, saved.sort, saved.descending, columns=tuple(saved.columns))
        self.set_filter(saved.where)

    def action_focus_filter(self) -> None:
        self.query_one(FilterBar).input.focus()

    def action_back(self) -> None:
        self.app.action_back()
