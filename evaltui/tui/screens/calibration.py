"""The calibration pane: how each scorer version agrees with human labels (accuracy,
kappa with its 95% CI, pass/fail TPR and TNR, per-grade precision and recall, confusion),
overall and per topic (per experiment for eval judges); updated as you label; d lists the
disagreements worst first; R re-scores the logs with another scorer version to compare."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
        def query(store: Any) -> CalibrationScreen.Loaded:
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
        labelled = sum(r["n"] for r in event.rows)
        self.query_one("#calibration-status", Static).update(
            f"{len(event.rows)} scorer versions with labels ({labelled:,} pairs) · label with A/B/C/Y/N in a trace or the diff"
            " · tab: per-topic table (worst first) · d: disagreements · R: re-score with another scorer")

    def restyle(self) -> None:
        if getattr(self, "rows", None) is not None:
            self.query_one(CalibrationTable).show(self.rows)

    @on(CalibrationTable.Highlighted)
    def _highlighted(self, event: CalibrationTable.Highlighted) -> None:
        row = event.row
        self.query_one("#calibration-confusion", Static).update(self._detail(row))
        self.query_one(AgreementTable).show(row["by_topic"] if row else {},
                                            "experiment" if row and row["kind"] == "eval" else "topic")

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
        rates = " · ".join(f"{name} {pf[key]:.0%}" for name, key in (("TPR", "tpr"), ("TNR", "tnr"))
                           if pf.get(key) is not None)
        title = Text.assemble((f"{row['scorer']} · {row['version']}", "bold"),
                              f"\nn {row['n']} · kappa {kappa_text(row['kappa'])}"
                              + (f" [{ci[0]:+.2f}, {ci[1]:+.2f}]" if ci else "")
                              + f"{' (linear)' if row['weighted'] else ''}"
                              + (f"\n{rates} (pass: score >= {pf.get('threshold', 0.5):g})" if rates else "")
                              + f"\n{getattr(self, 'humans', {}).get(row['scorer'], '')}")
        classes = Text("  ".join(f"{label} P {_pct(c['precision'])} R {_pct(c['recall'])}"
                                 for label, c in (row.get("classes") or {}).items()), style="dim")
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
        default = f"{row['scorer']}_offline" if row and row["kind"] == "logs" and not row["scorer"].endswith("_offline") else ""

        def chosen(spec: str | None) -> None:
            if spec:
                self.notify(f"re-scoring with {spec}…", timeout=3)
                self.rescore(self.app.db_path, spec)

        self.app.push_screen(TextDialog("Re-score the logs with a scorer version", default,
                                        "a scorer name (brand_alignment_offline, a rubric .yaml, module:attr)"), chosen)

    @work(thread=True, exclusive=True, group="calibration-rescore", exit_on_error=False)
    def rescore(self, path: Any, spec: str) -> None:
        from evaltui.scoring.errors import ScorerSetupError
        from evaltui.scoring.online import score_spans
        from evaltui.store import StoreError
        from evaltui.store.connections import writing

        try:
            with writing(path, self.app.lock_timeout) as store:
                report = score_spans(store, spec)
        except (StoreError, ScorerSetupError) as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Rescored(spec, getattr(report, "scored", 0)))

    @on(Rescored)
    def _rescored(self, event: Rescored) -> None:
        self.notify(f"re-scored with {event.scorer}: {event.scored} spans", timeout=5)
        self.app.labels_changed()  # type: ignore[attr-defined]
        self.reload()

    def action_back(self) -> None:
        self.app.action_back()


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"
