"""The diff pane: baseline vs candidate. A header of per-score means, delta, 95% CI,
p-value, improvements and regressions, by bucket; one row per case, worst regression
first; the focused case side by side; labels for the judge from the keyboard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.cache import LRUCache
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Footer, Header, Static

from evaltui.model import bucket_order
from evaltui.names import abbreviate
from evaltui.prompts.template import change_lines
from evaltui.tui.screens.base import DataScreen
from evaltui.tui.widgets.case_list import CaseList
from evaltui.tui.widgets.side_by_side import SideBySide

if TYPE_CHECKING:
    from evaltui.store.db import Store
    from evaltui.evals.compare import DiffData
    from evaltui.evals.diffview import CaseRow

LABEL_KEYS = ("A", "B", "C", "Y", "N")
CASE_WINDOW = 40  # cases fetched per query: ahead in the direction of travel, a few behind
CASE_CACHE = 400  # case details kept in memory


def _num(value: float | None, fmt: str = "{:.2f}") -> str:
    return "–" if value is None else fmt.format(value)


class DiffScreen(DataScreen):
    DEFAULT_CSS = """
    DiffScreen #diff-header { height: auto; max-height: 40%; padding: 0 1; background: $panel; }
    DiffScreen #case-list { height: 1fr; min-height: 4; }
    DiffScreen #diff-status { height: 1; padding: 0 1; color: $text-muted; }
    DiffScreen #prompt-diff { display: none; height: auto; max-height: 50%; padding: 0 1; overflow-y: auto; }
    DiffScreen #prompt-diff.shown { display: block; }
    """

    BINDINGS = [
        Binding("n", "step(1)", "Next case", id="diff.next"),
        Binding("p", "step(-1)", "Prev case", id="diff.prev"),
        Binding("f", "cycle_filter", "Filter", id="diff.filter"),
        Binding("v", "cycle_bucket", "Bucket", id="diff.bucket"),
        Binding("s", "cycle_sort", "Sort", id="diff.sort"),
        Binding("enter", "open", "Open trace", id="diff.open"),
        Binding("e", "pick", "Experiments", id="diff.pick"),
        Binding("P", "toggle_prompt_diff", "Prompt diff", id="diff.prompt"),
        Binding("L", "cycle_label_scorer", "Label scorer", show=False, id="diff.label_scorer"),
        *[Binding(k, f"label('{k}')", f"Label {k}", show=False, id=f"diff.label_{k.lower()}") for k in LABEL_KEYS],
        Binding("less_than_sign", "mark('base')", "Base better", key_display="<", show=False, id="diff.mark_base"),
        Binding(
            "greater_than_sign",
            "mark('candidate')",
            "Candidate better",
            key_display=">",
            show=False,
            id="diff.mark_candidate",
        ),
        Binding("equals_sign", "mark('tie')", "Neither better", key_display="=", show=False, id="diff.mark_tie"),
        Binding("escape", "back", "Back", id="diff.back"),
    ]

    @dataclass
    class Loaded(Message):
        data: Any  # DiffData

    @dataclass
    class CasesLoaded(Message):
        pair: tuple[str, str]  # (base id, candidate id) they belong to
        cases: dict[str, tuple[Any, Any]]  # case key -> (base CaseSide, candidate CaseSide)

    @dataclass
    class Labelled(Message):
        key: str
        scorer: str
        value: str

    @dataclass
    class PairwiseLoaded(Message):
        pair: tuple[str, str]  # (base id, candidate id)
        report: Any  # PairwiseReport | None
        marks: dict[str, str]  # case key -> this reviewer's mark

    @dataclass
    class Marked(Message):
        key: str
        verdict: str
        error: str | None

    @dataclass
    class Picked(Message):
        base: str
        candidate: str

    # What the case list shows (f, v) and which side the detail opens (h/l): each
    # change renders what it affects.
    filter = reactive("all", init=False)
    bucket: reactive[str | None] = reactive(None, init=False)
    side = reactive("candidate", init=False)

    def __init__(self) -> None:
        super().__init__()
        self.base: str | None = None
        self.candidate: str | None = None
        self.data: DiffData | None = None
        self.all_rows: list[CaseRow] = []
        self.label_scorer: str | None = None
        self.sort_score: str | None = None  # None: worst delta over all scores
        self.detail: tuple[str, Any, Any] | None = None
        # Details of the cases around the cursor, fetched a window at a time so that
        # stepping with n/p renders from memory instead of opening the file per case.
        self._cases: LRUCache[str, tuple[Any, Any]] = LRUCache(CASE_CACHE)
        self._cases_for: tuple[str, str] | None = None
        self._asked: set[str] = set()
        self.pairwise: Any = None  # PairwiseReport of these two experiments, when judged or marked
        self.pairwise_verdicts: dict[str, str] = {}
        self.pairwise_marks: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("pick two experiments: e", id="diff-header")
        yield Static("", id="prompt-diff")
        yield CaseList(id="case-list")
        yield SideBySide(id="side-by-side")
        yield Static("", id="diff-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(CaseList).focus()
        self.reload()

    def compare(self, base: str, candidate: str) -> None:
        """Show ``candidate`` against ``base`` (from the experiments pane, the palette...)."""
        self.base, self.candidate = base, candidate
        self.data = None  # first: the filter's watchers then leave the old rows alone
        self.filter, self.bucket = "all", None
        self.refresh_bindings()
        if self.is_mounted:
            self.reload()  # else on_mount loads them

    def reload(self) -> None:
        if self.base and self.candidate:
            self.query_one("#diff-header", Static).update(f"comparing {self.candidate} with {self.base}…")
            self.load(self.base, self.candidate)
        else:
            self.pick_default()

    def load(self, base: str, candidate: str) -> None:
        def query(store: Store) -> DiffScreen.Loaded:
            from evaltui.evals.compare import load_diff

            return self.Loaded(load_diff(store, base, candidate, settings=self.app.settings))

        self.read(query, group="diff")

    def pick_default(self) -> None:
        """The newest finished experiment with a base, against that base."""

        def query(store: Store) -> DiffScreen.Picked | None:
            from evaltui.store.browse_experiments import experiments

            for r in experiments(store):
                if r["status"] == "finished" and r["base_experiment"]:
                    return self.Picked(r["base_experiment"], r["name"])
            return None

        self.read(query, group="diff")

    @on(Picked)
    def _picked(self, event: Picked) -> None:
        self.compare(event.base, event.candidate)

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        from evaltui.evals.diffview import case_rows

        keep = self.query_one(CaseList).current
        self.data = event.data
        self._cases.clear()  # reloaded: scores or labels may have changed
        self._asked.clear()
        self.detail = None
        self.all_rows = case_rows(event.data.comparison)
        c = event.data.comparison
        if self.pairwise is not None and (self.pairwise.base, self.pairwise.candidate) != (c.base, c.candidate):
            self.pairwise, self.pairwise_verdicts, self.pairwise_marks = None, {}, {}
        self.load_pairwise()
        if self.label_scorer not in event.data.comparison.scores:
            self.label_scorer = next(iter(event.data.comparison.scores), None)
        self._show_header()
        self._apply_filter(keep.key if keep else None)
        self.refresh_bindings()

    def _apply_filter(self, keep: str | None = None) -> None:
        from evaltui.evals.diffview import filter_rows, sort_rows

        rows = sort_rows(filter_rows(self.all_rows, self.filter, self.bucket), self.sort_score)
        scores = list(self.data.comparison.scores) if self.data else []
        cases = self.query_one(CaseList)
        cases.sort_score = self.sort_score
        cases.show(rows, scores, keep)
        self._show_status()

    def _show_header(self) -> None:
        """Per score: means, delta, CI, p, improvements and regressions; per bucket the
        same as table rows when the screen is tall enough, else one line per score; for a
        judge with human labels, its agreement (kappa with CI) and the delta corrected for
        its measured error."""
        assert self.data is not None
        c = self.data.comparison
        names = list(c.scores)
        width = self.size.width or 80
        # The name column gets what the numbers leave: 8 padded columns, base/cand/Δ/CI/p
        # and the two counts.
        digits = max([1, *(len(str(n)) for d in c.scores.values() for n in (d.improvements, d.regressions))])
        short = dict(zip(names, abbreviate(names, max(10, width - 2 - 16 - 32 - 2 * digits - 1))))
        detailed = (self.size.height or 24) >= 35
        table = Table(box=None, padding=(0, 1), expand=False, header_style="bold")
        for col in ("score", "base", "cand", "Δ", "95% CI", "p", "▲", "▼"):
            table.add_column(col, justify="left" if col == "score" else "right", no_wrap=True)
        theme = self.app.current_theme

        def stats(label: Text | str, d: Any, dim: bool = False) -> None:
            colour = (
                (theme.error or "red")
                if (d.delta or 0) < 0
                else (theme.success or "green")
                if (d.delta or 0) > 0
                else ""
            )
            table.add_row(
                label,
                _num(d.base_mean),
                _num(d.candidate_mean),
                Text(_num(d.delta, "{:+.2f}"), style=colour),
                f"[{_num(d.ci_low, '{:+.2f}')}, {_num(d.ci_high, '{:+.2f}')}]",
                _num(d.p_value, "{:.3f}"),
                str(d.improvements),
                str(d.regressions),
                style="dim" if dim else "",
            )

        buckets = sorted(c.buckets, key=bucket_order)
        lines = []
        for name, d in c.scores.items():
            stats(Text(short[name], style="bold" if name == self.sort_score else ""), d)
            per = [(b, c.buckets[b][name]) for b in buckets if name in c.buckets[b]]
            if detailed:
                for bucket, bd in per:
                    stats(f"  {bucket}", bd, dim=True)
            elif per and name == (self.sort_score or names[0]):  # short screens: one line, the sorted score's
                who = f" {short[name]}" if len(names) > 1 else ""
                lines.append(
                    Text(
                        f"by bucket{who}: "
                        + " · ".join(
                            f"{b} {_num(bd.delta, '{:+.2f}')} ▲{bd.improvements}▼{bd.regressions}" for b, bd in per
                        ),
                        style="dim",
                    )
                )
        trust = []  # per judge with human labels: its agreement with them, and the corrected delta
        rests = {}
        # short screens: only the sorted score's judge (else the first), as with the buckets
        shown = (
            c.corrected
            if detailed
            else {
                n: e
                for n, e in c.corrected.items()
                if n == (self.sort_score if self.sort_score in c.corrected else next(iter(c.corrected), None))
            }
        )
        for name, e in shown.items():
            a, o = e["agreement"], e["overall"]
            kci, cci = a.get("kappa_ci"), o.corrected_ci
            wide = width >= 100
            rests[name] = (
                (" vs people" if wide else "")
                + f" κ {_num(a['kappa'], '{:+.2f}')}"
                + (f" [{kci[0]:+.2f},{kci[1]:+.2f}]" if kci else "")
                + (f" on {a['n']} labels" if wide else f" n={a['n']}")
                + f" · corrected Δ {_num(o.corrected_delta, '{:+.2f}')}"
                + (f" [{cci[0]:+.2f},{cci[1]:+.2f}]" if cci else "")
            )
        if rests:
            room = max(8, width - 2 - max(len(r) for r in rests.values()))
            for rest, label in zip(rests.values(), abbreviate(list(rests), room)):
                trust.append(Text.assemble((label, "bold"), rest, no_wrap=True, overflow="ellipsis"))
        title = Text.assemble(
            ("diff ", "bold"),
            f"{c.candidate} vs base {c.base}",
            (
                f"  ({len(c.cases):,} cases, matched by {c.matched_by}"
                f"{f', +{len(c.added)} added' if c.added else ''}"
                f"{f', -{len(c.removed)} removed' if c.removed else ''})",
                "dim",
            ),
        )
        prompt_lines = []  # what changed in the prompt, right under the title: the header is capped, this stays in view
        for change in c.prompts:
            first = change_lines(change)[0]
            diff_shown = self.query_one("#prompt-diff").has_class("shown")
            prompt_lines.append(
                Text(
                    first + ("" if change["base"] == change["candidate"] or diff_shown else " · P: show the diff"),
                    style="bold" if change["added"] or change["removed"] else "dim",
                )
            )
        if self.pairwise is not None:
            from evaltui.tui.pairwise_view import header_lines

            lines += header_lines(self.pairwise, detailed=detailed)
        self.query_one("#diff-header", Static).update(Group(title, *prompt_lines, *trust, table, *lines))
        self._show_prompt_diff()

    def _show_prompt_diff(self) -> None:
        """The prompts' unified diffs, coloured, under the header (P shows and hides them)."""
        assert self.data is not None
        theme = self.app.current_theme
        styles = {"+": theme.success or "green", "-": theme.error or "red", "@": theme.accent or "cyan"}
        lines = [
            Text(line, style=styles.get(line[:1], "") if i else "bold")
            for change in self.data.comparison.prompts
            if change["added"] or change["removed"]
            for i, line in enumerate(change_lines(change))
        ]
        self.query_one("#prompt-diff", Static).update(Group(*lines) if lines else "no prompt changed")

    def _show_status(self) -> None:
        cases = self.query_one(CaseList)
        n = len(cases.rows)
        at = f"case {cases.cursor + 1:,} of {n:,}" if n else "no cases match"
        bucket = f" · bucket {self.bucket}" if self.bucket else ""
        order = f" · by Δ {self.sort_score}" if self.sort_score else ""
        label = f" · label {self.label_scorer} (A/B/C/Y/N, L: scorer)" if self.label_scorer else ""
        if (self.pairwise is not None or self.pairwise_marks) and cases.current is not None:
            from evaltui.tui.pairwise_view import case_note

            note = case_note(self.pairwise_verdicts, self.pairwise_marks, cases.current.key)
            at = f"{at} · {note}" if note else at
        # One line, fixed height: no layout needed (stepping with n updates it every press).
        self.query_one("#diff-status", Static).update(
            f"{at} · filter {self.filter}{bucket}{order}{label} · tab: scores, rationales", layout=False
        )

    # -- the focused case ------------------------------------------------------------

    @on(CaseList.Highlighted)
    def _highlighted(self, event: CaseList.Highlighted) -> None:
        self._show_status()
        if event.row is None or self.data is None:
            self.detail = None
            self.query_one(SideBySide).show(None, None, side=self.side, names=(self.base or "", self.candidate or ""))
            return
        pair = (self.data.base_id, self.data.candidate_id)
        if self._cases_for != pair:
            self._cases.clear()
            self._asked.clear()
            self._cases_for = pair
        key = event.row.key
        cached = self._cases.get(key)  # the newest used: the last the cache drops
        if cached is not None:
            self.detail = (key, *cached)
            self._show_side()
        else:
            self.detail = None  # labels and enter wait for this case's details
            self.query_one(SideBySide).show_loading(event.row.key)
        self._prefetch(event.index)

    def _prefetch(self, index: int) -> None:
        """Ask for the uncached cases of the window around ``index`` when the cursor is
        on an uncached case or near the edge of what is cached."""
        rows = self.query_one(CaseList).rows
        if self.data is None or not rows:
            return
        near = rows[max(0, index - 3) : index + 8]
        if all(r.key in self._cases or r.key in self._asked for r in near):
            return
        window = [
            r.key
            for r in rows[max(0, index - 5) : index + CASE_WINDOW]
            if r.key not in self._cases and r.key not in self._asked
        ]
        if rows[index].key in self._asked and rows[index].key not in window:
            window.insert(0, rows[index].key)
        self._asked = set(window)  # the exclusive worker drops what was asked before
        self.load_cases(self.data.base_id, self.data.candidate_id, window)

    def load_cases(self, base_id: str, candidate_id: str, keys: list[str]) -> None:
        def query(store: Store) -> DiffScreen.CasesLoaded:
            from evaltui.store.browse_experiments import case_details

            base, candidate = case_details(store, base_id, keys), case_details(store, candidate_id, keys)
            return self.CasesLoaded((base_id, candidate_id), {k: (base[k], candidate[k]) for k in keys})

        self.read(query, group="diff-case")

    @on(CasesLoaded)
    def _cases_loaded(self, event: CasesLoaded) -> None:
        if event.pair != self._cases_for:
            return
        self._asked.difference_update(event.cases)
        for key, sides in event.cases.items():
            self._cases.set(key, sides)
        cases = self.query_one(CaseList)
        current = cases.current
        if (
            current is not None
            and current.key in event.cases
            and (self.detail is None or self.detail[0] != current.key)
        ):
            self.detail = (current.key, *event.cases[current.key])
            self._show_side()
        if current is not None:
            self._prefetch(cases.cursor)

    def _show_side(self) -> None:
        if self.detail is not None:
            _, base, candidate = self.detail
            self.query_one(SideBySide).show(
                base, candidate, side=self.side, names=(self.base or "", self.candidate or "")
            )

    def restyle(self) -> None:
        if self.data is not None:
            self._show_header()
        self._show_side()
        self.query_one(CaseList).refresh()

    # -- keys ------------------------------------------------------------------------

    # Keys that act on a loaded comparison; the others (pick, back) always do something.
    NEED_DATA = frozenset(
        {"step", "cycle_filter", "cycle_bucket", "cycle_sort", "open", "cycle_label_scorer", "label", "mark"}
    )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide the keys that do nothing until a comparison is loaded (P: until one with a
        prompt recorded on a side)."""
        if action == "toggle_prompt_diff":
            return self.data is not None and bool(self.data.comparison.prompts)
        return self.data is not None or action not in self.NEED_DATA

    def action_toggle_prompt_diff(self) -> None:
        self.query_one("#prompt-diff").toggle_class("shown")
        if self.data is not None:
            self._show_header()

    def action_step(self, step: int) -> None:
        self.query_one(CaseList).action_move(step)

    def action_cycle_filter(self) -> None:
        from evaltui.evals.diffview import FILTERS

        self.filter = FILTERS[(FILTERS.index(self.filter) + 1) % len(FILTERS)]

    def action_cycle_bucket(self) -> None:
        from evaltui.evals.diffview import buckets

        options: list[str | None] = [None, *buckets(self.all_rows)]
        self.bucket = options[(options.index(self.bucket) + 1) % len(options)] if self.bucket in options else None

    def watch_filter(self) -> None:
        self._refilter()

    def watch_bucket(self) -> None:
        self._refilter()

    def _refilter(self) -> None:
        """Show the rows of the filter and bucket, staying on the same case if it is among them."""
        if self.data is None:  # nothing loaded yet: the load applies them
            return
        current = self.query_one(CaseList).current
        self._apply_filter(current.key if current else None)

    def action_cycle_sort(self) -> None:
        """Worst delta over all scores, then each score's own delta in turn."""
        options: list[str | None] = [None, *self.sort_scores()]
        self.sort_by(
            options[(options.index(self.sort_score) + 1) % len(options)] if self.sort_score in options else None
        )

    def sort_scores(self) -> list[str]:
        """The scores whose delta the cases can be sorted by (the palette offers each)."""
        return list(self.data.comparison.scores) if self.data is not None else []

    def sort_by(self, score: str | None) -> None:
        """Cases by ``score``'s delta, worst first (None: the worst delta over all scores)."""
        if self.data is None:
            return
        self.sort_score = score
        current = self.query_one(CaseList).current
        self._show_header()
        self._apply_filter(current.key if current else None)

    def on_resize(self) -> None:
        if self.data is not None:
            self._show_header()

    @on(CaseList.SideWanted)
    def _side_wanted(self, event: CaseList.SideWanted) -> None:
        self.side = event.side

    def watch_side(self) -> None:
        self._show_side()

    def action_open(self) -> None:
        if self.detail is None:
            return
        _, base, candidate = self.detail
        side = candidate if self.side == "candidate" else base
        if side is None or not side.result_ids:
            self.notify(f"this case is not in the {self.side} experiment", timeout=3)
            return
        from evaltui.tui.screens.result import ResultScreen

        self.app.push_screen(ResultScreen(side.result_ids[0], list(self.data.comparison.scores) if self.data else []))

    def action_pick(self) -> None:
        from evaltui.tui.screens.pick import PickExperimentsDialog

        def chosen(answer: tuple[str, str] | None) -> None:
            if answer:
                self.compare(*answer)

        self.app.push_screen(PickExperimentsDialog(self.base, self.candidate), chosen)

    def action_cycle_label_scorer(self) -> None:
        if self.data is None or not self.data.comparison.scores:
            return
        names = list(self.data.comparison.scores)
        i = names.index(self.label_scorer) if self.label_scorer in names else -1
        self.label_scorer = names[(i + 1) % len(names)]
        self._show_status()

    def action_label(self, value: str) -> None:
        if self.detail is None or self.label_scorer is None:
            return
        key, base, candidate = self.detail
        side = candidate if self.side == "candidate" else base
        if side is None or not side.result_ids:
            return
        self.write_label(self.app.db_path, key, side.result_ids[0], self.label_scorer, value)

    @work(thread=True, exclusive=False, group="diff-label", exit_on_error=False)
    def write_label(self, path: Any, key: str, result_id: str, scorer: str, value: str) -> None:
        from evaltui.evals.result_labels import save_label

        error = save_label(path, self.app.lock_timeout, result_id, scorer, value, result=True)
        if error:
            self.post_message(self.Failed(error))
            return
        self.post_message(self.Labelled(key, scorer, value))

    @on(Labelled)
    def _labelled(self, event: Labelled) -> None:
        self.notify(f"labelled {event.scorer} {event.value} ({self.side})", timeout=2)
        self.app.labels_changed()
        self._cases.discard(event.key)  # its labels changed: fetch it again
        self._asked.discard(event.key)
        cases = self.query_one(CaseList)
        if cases.current is not None and cases.current.key == event.key:
            self.detail = None
            self._prefetch(cases.cursor)

    # -- pairwise: the judge's verdicts and people's marks (<, >, =) ---------------------

    def load_pairwise(self) -> None:
        if self.data is None:
            return
        data = self.data

        def query(store: Store) -> DiffScreen.PairwiseLoaded:
            from evaltui.evals.pairwise_marks import reviewer
            from evaltui.evals.pairwise_run import load_report
            from evaltui.store.pairwise import labels

            c = data.comparison
            report = load_report(store, data.base_id, data.candidate_id, c.base or "", c.candidate or "")
            who = reviewer()
            mine = (
                {
                    m["case_key"]: m["verdict"]
                    for m in labels(store, data.base_id, data.candidate_id)
                    if m["reviewer"] == who
                }
                if report is not None
                else {}
            )
            return self.PairwiseLoaded((data.base_id, data.candidate_id), report, mine)

        self.read(query, group="diff-pairwise")

    @on(PairwiseLoaded)
    def _pairwise_loaded(self, event: PairwiseLoaded) -> None:
        if self.data is None or event.pair != (self.data.base_id, self.data.candidate_id):
            return
        self.pairwise, self.pairwise_marks = event.report, event.marks
        self.pairwise_verdicts = event.report.verdicts() if event.report is not None else {}
        self._show_header()
        self._show_status()

    def action_mark(self, verdict: str) -> None:
        """The focused case's better side, as you see it: ``<`` base, ``>`` candidate, ``=`` tie."""
        current = self.query_one(CaseList).current
        if self.data is None or current is None:
            return
        if current.status in ("added", "removed"):
            self.notify("this case is only on one side: nothing to compare", timeout=3)
            return
        self.pairwise_marks[current.key] = verdict  # shown at once; the file follows
        self._show_status()
        self.write_mark(self.app.db_path, self.data.base_id, self.data.candidate_id, current.key, verdict)

    @work(thread=True, exclusive=False, group="diff-mark", exit_on_error=False)
    def write_mark(self, path: Any, base_id: str, candidate_id: str, key: str, verdict: str) -> None:
        from evaltui.evals.pairwise_marks import save_mark

        error = save_mark(path, self.app.lock_timeout, base_id, candidate_id, key, verdict)
        self.post_message(self.Marked(key, verdict, error))

    @on(Marked)
    def _marked(self, event: Marked) -> None:
        if event.error:
            self.pairwise_marks.pop(event.key, None)
            self._show_status()
            self.notify(event.error, title="evaltui", severity="error", timeout=8)
            return
        better = {"base": "base better", "candidate": "candidate better", "tie": "neither better"}[event.verdict]
        self.notify(f"marked {event.key}: {better}", timeout=2)
        self.load_pairwise()  # agreement with the judge moves

    def action_back(self) -> None:
        self.app.action_back()
