"""The calibration pane: how each scorer version agrees with human labels (accuracy,
kappa with its 95% CI, pass/fail TPR and TNR, per-grade precision and recall, confusion),
overall and per topic (per experiment for eval judges); updated as you label; d lists the
disagreements worst first; R re-scores the logs with another scorer version to compare;
a aligns the highlighted LLM judge to its human labels (``evaltui align``, in a worker;
c cancels) and shows each candidate's test-part agreement beside the current version's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Header, Static

from evaltui.tui.screens.base import DataScreen
from evaltui.tui.widgets.agreement_table import AgreementTable
from evaltui.tui.widgets.calibration_table import CalibrationTable, kappa_text

if TYPE_CHECKING:
    from evaltui.store.db import Store


ALIGN_LOCK_WAIT = 60.0  # seconds an align waits to open the file read-write


class CalibrationScreen(DataScreen):
    DEFAULT_CSS = """
    CalibrationScreen #calibration-table { height: 1fr; }
    CalibrationScreen #calibration-detail { height: 1fr; min-height: 6; border-top: solid $panel; }
    CalibrationScreen #calibration-confusion { width: auto; max-width: 50%; padding: 0 1; }
    CalibrationScreen #calibration-topics { width: 1fr; height: 1fr; }
    CalibrationScreen #calibration-status { height: 1; padding: 0 1; color: $text-muted; }
    """

    BINDINGS = [
        Binding("d", "disagreements", "Disagreements", id="calibration.disagreements"),
        Binding("R", "rescore", "Re-score", id="calibration.rescore"),
        Binding("a", "align", "Align judge", id="calibration.align"),
        Binding("c", "cancel_align", "Cancel align", id="calibration.cancel_align"),
        Binding("escape", "back", "Back", id="calibration.back"),
    ]

    @dataclass
    class Loaded(Message):
        rows: list[dict[str, Any]]
        humans: dict[str, str] | None = None  # scorer -> how its reviewers agree with each other

    @dataclass
    class Rescored(Message):
        scorer: str
        scored: int

    @dataclass
    class AlignProgress(Message):
        text: str

    @dataclass
    class Aligned(Message):
        report: dict[str, Any]

    aligning: str | None = None  # the scorer an align worker is running for
    align_status = ""  # its last progress line (or its outcome)
    align_report: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield CalibrationTable(id="calibration-table")
        with Horizontal(id="calibration-detail"):
            yield Static("", id="calibration-confusion")
            yield AgreementTable(id="calibration-topics")
        yield Static("loading labels…", id="calibration-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(CalibrationTable).focus()
        self.app.labels_changed_signal.subscribe(self, self._labels_changed, immediate=True)
        self.reload()

    def _labels_changed(self, _: None) -> None:
        self.stale = True  # agreement changed: query again when shown

    def reload(self) -> None:
        def query(store: Store) -> CalibrationScreen.Loaded:
            from evaltui.evals.calibration import calibration_overview
            from evaltui.scoring.review import humans_by_scorer

            rows = calibration_overview(store)
            return self.Loaded(rows, humans_by_scorer(store, rows))

        self.read(query, group="calibration")

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        self.rows = event.rows
        self.humans = event.humans or {}
        self.query_one(CalibrationTable).show(event.rows)
        self._show_status()
        self.refresh_bindings()

    def _show_status(self) -> None:
        rows = getattr(self, "rows", None) or []
        labelled = sum(r["n"] for r in rows)
        text = (
            self.align_status
            if self.aligning or self.align_status
            else f"{len(rows)} scorer versions with labels ({labelled:,} pairs) · label with A/B/C/Y/N in a trace or the diff"
            " · tab: per-topic table (worst first) · d: disagreements · R: re-score with another scorer"
            " · a: align an LLM judge"
        )
        self.query_one("#calibration-status", Static).update(text)

    def restyle(self) -> None:
        if getattr(self, "rows", None) is not None:
            self.query_one(CalibrationTable).show(self.rows)

    @on(CalibrationTable.Highlighted)
    def _highlighted(self, event: CalibrationTable.Highlighted) -> None:
        row = event.row
        self.refresh_bindings()
        self.query_one("#calibration-confusion", Static).update(self._detail(row))
        self.query_one(AgreementTable).show(
            row["by_topic"] if row else {}, "experiment" if row and row["kind"] == "eval" else "topic"
        )

    def _detail(self, row: dict[str, Any] | None) -> Any:
        if row is None:
            return Text("no human labels yet: label cases in a trace (A/B/C/Y/N) or in the diff", style="dim")
        labels = row["labels"]
        confusion = Table(title=None, box=None, padding=(0, 1), header_style="bold")
        confusion.add_column("human ↓ / scorer →")
        for lb in labels:
            confusion.add_column(lb, justify="right")
        for h in labels:
            confusion.add_row(h, *[str(row["confusion"].get(h, {}).get(m, 0)) for m in labels])
        ci = row.get("kappa_ci")
        pf = row.get("pass_fail") or {}
        rates = " · ".join(
            f"{name} {pf[key]:.0%}" for name, key in (("TPR", "tpr"), ("TNR", "tnr")) if pf.get(key) is not None
        )
        title = Text.assemble(
            (f"{row['scorer']} · {row['version']}", "bold"),
            f"\nn {row['n']} · kappa {kappa_text(row['kappa'])}"
            + (f" [{ci[0]:+.2f}, {ci[1]:+.2f}]" if ci else "")
            + f"{' (linear)' if row['weighted'] else ''}"
            + (f"\n{rates} (pass: score >= {pf.get('threshold', 0.5):g})" if rates else "")
            + f"\n{getattr(self, 'humans', {}).get(row['scorer'], '')}",
        )
        classes = Text(
            "  ".join(
                f"{label} P {_pct(c['precision'])} R {_pct(c['recall'])}"
                for label, c in (row.get("classes") or {}).items()
            ),
            style="dim",
        )
        return Group(title, confusion, classes)

    def action_disagreements(self) -> None:
        from evaltui.tui.screens.disagreements import DisagreementsScreen

        row = self.query_one(CalibrationTable).current
        if row is None:
            self.notify("no scorer version with labels yet", timeout=3)
            return
        self.app.push_screen(DisagreementsScreen(f"{row['scorer']} · {row['version']}", row.get("disagreements") or []))

    def action_rescore(self) -> None:
        from evaltui.tui.screens.dialogs import TextDialog

        row = self.query_one(CalibrationTable).current
        default = (
            f"{row['scorer']}_offline"
            if row and row["kind"] == "logs" and not row["scorer"].endswith("_offline")
            else ""
        )

        def chosen(spec: str | None) -> None:
            if spec:
                self.notify(f"re-scoring with {spec}…", timeout=3)
                self.rescore(self.app.db_path, spec)

        self.app.push_screen(
            TextDialog(
                "Re-score the logs with a scorer version",
                default,
                "a scorer name (brand_alignment_offline, a rubric .yaml, module:attr)",
            ),
            chosen,
        )

    @work(thread=True, exclusive=True, group="calibration-rescore", exit_on_error=False)
    def rescore(self, path: Any, spec: str) -> None:
        from evaltui.scoring.errors import ScorerSetupError
        from evaltui.scoring.online import score_spans
        from evaltui.store import StoreError
        from evaltui.store.connections import writing

        try:  # the file held only to read each page and to write its grades
            report = score_spans(lambda: writing(path, self.app.lock_timeout), spec)
        except (StoreError, ScorerSetupError) as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Rescored(spec, getattr(report, "scored", 0)))

    @on(Rescored)
    def _rescored(self, event: Rescored) -> None:
        self.notify(f"re-scored with {event.scorer}: {event.scored} spans", timeout=5)
        self.app.labels_changed()
        self.reload()

    # -- aligning the highlighted LLM judge ---------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """a: only on an LLM judge (a built-in rubric) of the logs with human labels; c: only
        while an align runs."""
        if action == "align":
            return self.aligning is None and _alignable(self._current())
        if action == "cancel_align":
            return self.aligning is not None
        return True

    def _current(self) -> dict[str, Any] | None:
        try:
            return self.query_one(CalibrationTable).current
        except Exception:  # not composed yet
            return None

    def action_align(self) -> None:
        row = self._current()
        if self.aligning is not None or not _alignable(row):
            return
        assert row is not None
        self.aligning, self.align_report = row["scorer"], None
        self.align_status = f"aligning {row['scorer']}: splitting its human labels… (c: cancel)"
        self._show_status()
        self.refresh_bindings()
        self.align(self.app.db_path, row["scorer"])

    def action_cancel_align(self) -> None:
        for worker in self.workers:
            if worker.group == "calibration-align":
                worker.cancel()
        self.align_status = (
            f"cancelling the align of {self.aligning}: it stops before the next candidate, saving nothing"
        )
        self._show_status()

    @work(thread=True, exclusive=True, group="calibration-align", exit_on_error=False)
    def align(self, path: Any, scorer: str) -> None:
        """``evaltui align SCORER`` (the same core function), saving the best version as the
        CLI does; its progress lines come back as ``AlignProgress``."""
        from textual.worker import get_current_worker

        from evaltui.llm import LLMClient, LLMError
        from evaltui.scoring.align import align
        from evaltui.scoring.errors import ScorerSetupError
        from evaltui.scoring.rubric import RubricError
        from evaltui.store import StoreError
        from evaltui.store.connections import writing
        from evaltui.store.llm_cache import LLMCache

        worker = get_current_worker()

        def echo(line: str) -> None:
            if worker.is_cancelled:
                raise _Cancelled
            self.post_message(self.AlignProgress(f"aligning {scorer}: {line} (c: cancel)"))

        try:
            # a background job: it may wait for a long read (the topic map's) to let go of the file
            with writing(path, max(self.app.lock_timeout, ALIGN_LOCK_WAIT)) as store:
                client = LLMClient.from_settings(self.app.settings, cache=LLMCache(store))
                report = align(store, scorer, client, settings=self.app.settings, echo=echo)
        except _Cancelled:
            self.post_message(self.AlignProgress(f"align of {scorer} cancelled: nothing saved"))
            self.post_message(self.Aligned({}))
            return
        except (StoreError, ScorerSetupError, RubricError, LLMError) as exc:
            self.post_message(self.AlignProgress(f"align of {scorer} failed: {exc}"))
            self.post_message(self.Aligned({}))
            return
        self.post_message(self.Aligned(report))

    @on(AlignProgress)
    def _align_progress(self, event: AlignProgress) -> None:
        self.align_status = event.text
        self._show_status()

    @on(Aligned)
    def _aligned(self, event: Aligned) -> None:
        from evaltui.tui.screens.align_result import AlignResultScreen, outcome

        self.aligning = None
        self.refresh_bindings()
        if not event.report:
            self._show_status()
            return
        self.align_report = event.report
        self.align_status = outcome(event.report)
        self._show_status()
        self.app.labels_changed()  # new scorer version grades: agreement changed
        self.reload()
        self.app.push_screen(AlignResultScreen(event.report))

    def action_back(self) -> None:
        self.app.action_back()


class _Cancelled(Exception):
    """Raised from the align progress callback once its worker is cancelled."""


def _alignable(row: dict[str, Any] | None) -> bool:
    """An LLM judge of the logs (a built-in rubric) with human labels."""
    from evaltui.scoring.rubric import builtin_rubrics

    return bool(row) and row["kind"] == "logs" and row["n"] > 0 and row["scorer"] in builtin_rubrics()  # type: ignore[index]


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"
