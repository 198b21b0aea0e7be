"""The dataset builder pane: mark the cases of the log browser's slice failing /
borderline / passing / excluded, in bulk by thresholds or by the seeded suggestion,
then save them as a dataset (or its next version) with their origin spans."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Header, Static

from evaltui.model import GRADED
from evaltui.tui.screens.base import DataScreen
from evaltui.tui.screens.dialogs import SaveDialog, SuggestAnswer, SuggestDialog
from evaltui.tui.widgets.candidate_table import CandidateTable, mark_style
from evaltui.tui.widgets.record_preview import RecordPreview

if TYPE_CHECKING:
    from evaltui.store.db import Store
    from evaltui.curation.builder import Candidates


DRAFT = "builder"  # the draft's name in the database


def write_draft(path: Any, lock_timeout: float, where: str | None, marks: dict[str, str] | None) -> str | None:
    """Keep ``marks`` as the builder's draft (None: drop it); the reason it failed, or None."""
    from evaltui.store import StoreError
    from evaltui.store.connections import writing
    from evaltui.store.drafts import clear_draft, save_draft

    try:
        with writing(path, lock_timeout) as store:
            if marks:
                save_draft(store, DRAFT, {"where": where or "", "marks": marks})
            else:
                clear_draft(store, DRAFT)
    except StoreError as exc:
        return str(exc)
    return None


class BuilderScreen(DataScreen):
    DEFAULT_CSS = """
    BuilderScreen #builder-title { height: 1; padding: 0 1; background: $panel; }
    BuilderScreen #candidate-table { height: 1fr; }
    BuilderScreen #builder-status { height: 1; padding: 0 1; color: $text-muted; }
    """

    BINDINGS = [
        # Short words, and Save before the bulk keys, so "w Save" shows at 80 columns.
        Binding("f", "mark('failing')", "Fail", id="builder.failing"),
        Binding("b", "mark('borderline')", "Border", id="builder.borderline"),
        Binding("p", "mark('passing')", "Pass", id="builder.passing"),
        Binding("x", "mark('excluded')", "Exclude", id="builder.exclude"),
        Binding("w", "save", "Save", id="builder.save"),
        Binding("delete,backspace", "mark('')", "Clear mark", show=False, id="builder.clear"),
        Binding("t", "by_thresholds", "Thresholds", id="builder.thresholds"),
        Binding("T", "by_thresholds_all", "Thresholds (all)", show=False, id="builder.thresholds_all"),
        Binding("s", "suggest", "Suggest", id="builder.suggest"),
        Binding("u,ctrl+z", "undo", "Undo", id="builder.undo"),
        Binding("escape", "back", "Back", id="builder.back"),
    ]

    @dataclass
    class Loaded(Message):
        candidates: Any  # Candidates
        draft: dict[str, str] | None = None  # marks kept from an earlier session

    @dataclass
    class Suggested(Message):
        marks: dict[str, str]
        answer: SuggestAnswer

    @dataclass
    class Saved(Message):
        saved: Any  # curation.builder.Saved

    def __init__(self) -> None:
        super().__init__()
        from evaltui.curation.builder import Marks  # light: pyarrow loads with the first worker anyway

        self.where: str | None = None
        self.candidates: Candidates | None = None
        self.marks: Marks = Marks()
        self.last_suggestion = SuggestAnswer(10, 5, 5, 0)
        self.saved_marks: dict[str, str] = {}  # the marks as last saved to a dataset
        self.draft_restored = False
        self._record_index: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="builder-title")
        yield CandidateTable(id="candidate-table")
        yield RecordPreview(id="record-preview")
        yield Static("loading the slice…", id="builder-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(CandidateTable).focus()
        self.app.builder = self  # asked about its unsaved marks at quit
        self.reload()

    def on_screen_resume(self) -> None:
        wanted = getattr(self.app, "log_filter", "")
        if self.candidates is not None and wanted != self.where:
            self.stale = True  # the log browser's filter changed: a new slice (marks are kept by span id)
        super().on_screen_resume()

    # -- data --------------------------------------------------------------------

    def reload(self) -> None:
        self.where = getattr(self.app, "log_filter", "")
        where = self.where

        def query(store: Store) -> BuilderScreen.Loaded:
            from evaltui.curation.builder import load_candidates
            from evaltui.store.drafts import load_draft

            candidates = load_candidates(store, where, settings=self.app.settings)
            return self.Loaded(candidates, (load_draft(store, DRAFT) or {}).get("marks"))

        self.read(query, group="builder")

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        if event.draft and not self.marks.marks and not self.draft_restored:
            self.marks.set(event.draft)  # one undo step
            self.saved_marks = {}
            self.notify(f"restored {len(event.draft)} unsaved marks from the draft", title="builder", timeout=5)
        self.draft_restored = True
        self.candidates = event.candidates
        self._record_index = {rid: i for i, rid in enumerate(event.candidates.records.column("record_id").to_pylist())}
        self.query_one(CandidateTable).show(event.candidates.rows, self.marks, event.candidates.scorers)
        self._show_counts()
        self._preview()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide the keys that act on the whole slice until it is loaded."""
        return self.candidates is not None or action not in ("save", "by_thresholds", "by_thresholds_all", "suggest")

    def restyle(self) -> None:
        if self.candidates is not None:
            self.query_one(CandidateTable).show(self.candidates.rows, self.marks, self.candidates.scorers)
            self._show_counts()

    # -- marking -------------------------------------------------------------------

    def action_mark(self, mark: str) -> None:
        table = self.query_one(CandidateTable)
        current = table.current
        if current is None:
            return
        self.marks.mark([current.id], mark or None)
        table.refresh_marks([current.id])
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)
        self._show_counts()
        self._preview()
        self.keep_draft()

    def _bulk(self, changes: dict[str, str], what: str) -> None:
        n = self.marks.set(changes)
        self.query_one(CandidateTable).refresh_marks(list(changes))
        self._show_counts()
        self._preview()
        self.keep_draft()
        self.notify(f"{what}: {n} marks changed (u undoes)", timeout=3)

    def action_by_thresholds(self) -> None:
        from evaltui.curation.builder import threshold_marks

        if self.candidates is not None:
            self._bulk(threshold_marks(self.candidates.rows, only_unmarked=self.marks), "by thresholds, unmarked cases")

    def action_by_thresholds_all(self) -> None:
        from evaltui.curation.builder import threshold_marks

        if self.candidates is not None:
            self._bulk(threshold_marks(self.candidates.rows), "by thresholds, every case")

    def action_undo(self) -> None:
        n = self.marks.undo()
        if not n:
            self.notify("nothing to undo", timeout=2)
            return
        self.query_one(CandidateTable).refresh_marks()
        self._show_counts()
        self._preview()
        self.keep_draft()

    # -- the draft: unsaved marks kept in the database ------------------------------

    @property
    def unsaved(self) -> int:
        """Marks that differ from the last saved dataset (what quitting would leave unsaved)."""
        marks, saved = self.marks.marks, self.saved_marks
        return sum(1 for k in set(marks) | set(saved) if marks.get(k) != saved.get(k))

    def keep_draft(self) -> None:
        self.write_draft(self.app.db_path, dict(self.marks.marks) if self.unsaved else None)

    @work(thread=True, exclusive=True, group="builder-draft", exit_on_error=False)
    def write_draft(self, path: Any, marks: dict[str, str] | None) -> None:
        write_draft(path, self.app.lock_timeout, self.where, marks)

    def action_suggest(self) -> None:
        if self.candidates is None:
            return
        matched: dict[str, int] = {}
        for c in self.candidates.rows:
            matched[c.bucket] = matched.get(c.bucket, 0) + 1

        def chosen(answer: SuggestAnswer | None) -> None:
            if answer is not None:
                self.last_suggestion = answer
                self.suggest(self.where or "", answer)

        self.app.push_screen(SuggestDialog(matched, self.last_suggestion), chosen)

    def suggest(self, where: str, answer: SuggestAnswer) -> None:
        def query(store: Store) -> BuilderScreen.Suggested:
            from evaltui.curation.builder import suggestion_marks

            marks = suggestion_marks(
                store,
                where,
                failing=answer.failing,
                borderline=answer.borderline,
                passing=answer.passing,
                seed=answer.seed,
                settings=self.app.settings,
            )
            return self.Suggested(marks, answer)

        self.read(query, group="builder-suggest")

    @on(Suggested)
    def _suggested(self, event: Suggested) -> None:
        a = event.answer
        self._bulk(event.marks, f"suggestion (seed {a.seed}: {a.failing}/{a.borderline}/{a.passing})")

    # -- saving --------------------------------------------------------------------

    def action_save(self) -> None:
        if self.candidates is None:
            return
        self.existing_datasets()

    @dataclass
    class DatasetsListed(Message):
        existing: dict[str, int]

    def existing_datasets(self) -> None:
        def query(store: Store) -> BuilderScreen.DatasetsListed:
            from evaltui.store.browse_experiments import datasets_overview

            return self.DatasetsListed({d["name"]: d["version"] for d in datasets_overview(store)})

        self.read(query, group="builder-datasets")

    @on(DatasetsListed)
    def _datasets_listed(self, event: DatasetsListed) -> None:
        def chosen(name: str | None) -> None:
            if name:
                self.save(self.app.db_path, name, name in event.existing)

        self.app.push_screen(SaveDialog(event.existing, self.marks.counts()), chosen)

    @work(thread=True, exclusive=True, group="builder-save", exit_on_error=False)
    def save(self, path: Any, name: str, new_version: bool) -> None:
        from evaltui.curation.builder import save
        from evaltui.store import StoreError
        from evaltui.store.connections import writing

        assert self.candidates is not None
        try:
            with writing(path, self.app.lock_timeout) as store:
                marks = dict(self.marks.marks)
                saved = save(
                    store, name, self.candidates.records, self.marks, where=self.where, new_version=new_version
                )
                from evaltui.store.drafts import clear_draft

                clear_draft(store, DRAFT)  # saved: nothing left to keep
                self.saved_marks = marks
        except StoreError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Saved(saved))

    @on(Saved)
    def _saved(self, event: Saved) -> None:
        s = event.saved
        if s.version is None:
            self.notify(f"{s.dataset.name} already holds exactly these records: no new version", timeout=5)
        else:
            self.notify(
                f"saved {s.dataset.name} version {s.version}: {s.added} added, {s.removed} removed "
                f"({s.dataset.records} records)",
                title="dataset",
                timeout=6,
            )
        self.last_saved = s

    # -- showing -------------------------------------------------------------------

    def _show_counts(self) -> None:
        counts = self.marks.counts()
        parts: list[Any] = [("builder ", "bold"), f"{self.where or 'all conversations'}  "]
        for m in (*GRADED, "excluded"):
            parts += [(f"{m} {counts[m]}", mark_style(self.app, m)), "  "]
        self.query_one("#builder-title", Static).update(Text.assemble(*parts))
        c = self.candidates
        if c is not None:
            shown = f"{len(c.rows):,}" + (f" of {c.matched:,}" if c.matched > len(c.rows) else "")
            self.query_one("#builder-status", Static).update(
                f"{shown} conversations · w save · f/b/p mark · x exclude · t thresholds · s suggest · u undo"
            )

    def _preview(self) -> None:
        current = self.query_one(CandidateTable).current
        preview = self.query_one(RecordPreview)
        if current is None or self.candidates is None:
            preview.show(None, None)
            return
        i = self._record_index.get(current.id)
        record = self.candidates.records.slice(i, 1).to_pylist()[0] if i is not None else None
        preview.show(record, self.marks.get(current.id), current)

    @on(CandidateTable.Highlighted)
    def _highlighted(self, event: CandidateTable.Highlighted) -> None:
        self._preview()

    def action_back(self) -> None:
        self.app.action_back()
