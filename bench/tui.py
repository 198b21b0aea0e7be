"""The TUI on a 1,000,000-span database: start-up, filtering, paging, memory.

    .venv/bin/python bench/tui.py [--db PATH] [--spans 1000000] [--repeat 5]

Builds the database once (cached at --db) when it does not exist. Each figure is
measured in a fresh child process, so start-up includes interpreter and imports:
- start to first frame with data: process start until the topic map has painted rows
  from the database, next to an empty Textual app in the same run (goal: <= 2.5x). The
  child starts as `evaltui tui` does: ``evaltui.tui.startup.begin`` first, which runs
  the topic map's first query in a forked process while Textual imports. Also shown:
  the log browser as the first screen (the app always opens on the topic map, so
  nothing fetches its first page ahead: the query starts after the screen mounts);
- applying a filter in the log browser (`/` and the filter typed key by key through Pilot,
  the 0.3 s debounce after the last key included -> rows on screen) and paging
  (next keyset page, and a jump to the last page);
- peak RSS of the app process through that journey (goal: <= 400 MB).
- a diff of two experiments of 10,000 cases each (``--diff-cases``): pressing 5 to
  the first frame of the diff with its header and rows, and stepping 100 cases with n.
Prints a table, then the figures as one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FILTER = 'topic = "account_and_login" and scores.brand_alignment < 0.5'


def build(db: Path, n_spans: int) -> None:
    from evaltui.demo.generate import iter_spans, write_jsonl
    from evaltui.ingest import ingest_file
    from evaltui.store import Store

    jsonl = db.with_suffix(".jsonl")
    print(f"building {db} ({n_spans:,} spans)...", file=sys.stderr)
    write_jsonl(jsonl, itertools.islice(iter_spans(seed=11, n_conversations=n_spans // 2), n_spans))
    with Store(db) as store:
        ingest_file(store, jsonl)
    jsonl.unlink()


# -- children: each prints one JSON object -------------------------------------------


def child_empty(t0: float) -> None:
    from textual.app import App
    from textual.widgets import Static

    class Empty(App):
        def compose(self):
            yield Static("hello")

        def on_mount(self) -> None:
            self.call_after_refresh(self.done)

        def done(self) -> None:
            self.exit(time.time() - t0)

    print(json.dumps({"first_frame_s": Empty().run(headless=True, size=(120, 40))}))


def child_app(t0: float, db: str, pane: str) -> None:
    from evaltui.tui import startup

    startup.begin(db)  # as `evaltui tui` does (evaltui.tui.run), before Textual imports
    from evaltui.config import Settings
    from evaltui.tui.app import EvalApp
    from evaltui.tui.screens.logs import LogsScreen
    from evaltui.tui.screens.topics import TopicsScreen

    class Timed(EvalApp):
        DEFAULT_MODE = pane
        _done = False

        def on_mount(self) -> None:
            self.set_interval(0.005, self.check)

        def check(self) -> None:
            screen = self.screen
            try:
                ready = (isinstance(screen, TopicsScreen) and screen.query_one("TopicTable").row_count > 0) or (
                    isinstance(screen, LogsScreen) and screen.query_one("SpanTable").row_count > 0
                )
            except Exception:  # not composed yet
                return
            if ready and not self._done:
                self._done = True
                self.call_after_refresh(lambda: self.exit(time.time() - t0))

    app = Timed(db, settings=Settings(theme="evaltui-dark", keymap={}), poll_seconds=0)
    print(json.dumps({"first_frame_s": app.run(headless=True, size=(120, 40))}))


async def until(pilot, check, timeout=120.0):
    """Wait, in tight steps (the figures are timings), until ``check()`` holds."""
    start = time.perf_counter()
    while not check():
        if time.perf_counter() - start > timeout:
            raise TimeoutError
        await pilot.pause(0.002)


def child_journey(db: str, repeat: int) -> None:
    import asyncio

    from evaltui.config import Settings
    from evaltui.tui.app import EvalApp
    from evaltui.tui.widgets.span_table import SpanTable

    async def run() -> dict:
        app = EvalApp(db, settings=Settings(theme="evaltui-dark", keymap={}), poll_seconds=0)
        out: dict[str, list[float]] = {
            "filter_s": [],
            "filter_typing_s": [],
            "next_page_s": [],
            "last_page_s": [],
            "clear_filter_s": [],
        }
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("2")
            await until(pilot, lambda: app.screen.query_one(SpanTable).row_count > 0 and app.screen.total is not None)
            screen = app.screen
            keys = ["space" if c == " " else c for c in FILTER]
            for _ in range(repeat):
                # As a user does it: `/`, the filter typed key by key through Pilot, then the
                # debounce (FilterBar.DEBOUNCE_S after the last key) and the query; no Enter.
                # The figure is the wait after the last key; Pilot's typing time is kept apart.
                screen.query_one(SpanTable).focus()
                t = time.perf_counter()
                await pilot.press("/", *keys)
                typed = time.perf_counter()
                await until(pilot, lambda: screen.view.where == FILTER and screen.page is not None)
                out["filter_s"].append(time.perf_counter() - typed)
                out["filter_typing_s"].append(typed - t)
                await until(pilot, lambda: screen.total is not None)
                table = screen.query_one(SpanTable)
                table.focus()
                table.move_cursor(row=table.row_count - 1)
                first = screen.page.rows[0].id
                t = time.perf_counter()
                await pilot.press("down")
                await until(pilot, lambda: screen.page.rows[0].id != first)
                out["next_page_s"].append(time.perf_counter() - t)
                t = time.perf_counter()
                await pilot.press("end")
                await until(pilot, lambda: not screen.page.more_after)
                out["last_page_s"].append(time.perf_counter() - t)
                table.focus()
                t = time.perf_counter()
                await pilot.press("/", "ctrl+u")  # the filter deleted, then the debounce
                await until(
                    pilot, lambda: screen.view.where == "" and screen.page is not None and screen.page.more_after
                )
                out["clear_filter_s"].append(time.perf_counter() - t)
            total = screen.total
        figures = {k: statistics.median(v) for k, v in out.items()}
        figures["unfiltered_total"] = total
        return figures

    figures = asyncio.run(run())
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


def build_diff(db: Path, cases: int) -> None:
    """Two experiments of ``cases`` results each (one score, Y/N with a rationale)."""
    import random
    from datetime import datetime

    from evaltui.store import Store
    from evaltui.store import experiments as exp_store

    rng = random.Random(3)
    with Store(db) as store:
        for name, p in (("diff-base", 0.5), ("diff-candidate", 0.55)):
            exp = exp_store.create_experiment(
                store,
                project="bench",
                name=name,
                dataset_id=None,
                dataset_version=None,
                base_experiment_id=None,
                trial_count=1,
                task={},
                metadata={},
            )
            results, scores = [], []
            for i in range(cases):
                rid = exp_store.result_id(exp["id"], f"r{i:05d}", 0)
                ok = rng.random() < p
                results.append(
                    {
                        "id": rid,
                        "experiment_id": exp["id"],
                        "case_id": f"r{i:05d}",
                        "record_id": f"r{i:05d}",
                        "trial": 0,
                        "input": json.dumps(f"question {i} about an order"),
                        "expected": None,
                        "output": json.dumps(f"{'Sorry, ' if ok else ''}here is the answer to question {i}."),
                        "metadata": "{}",
                        "tags": [],
                        "bucket": ["failing", "borderline", "passing"][i % 3],
                        "error": None,
                        "duration_s": 0.1,
                        "metrics": "{}",
                        "created": datetime(2026, 11, 1),
                    }
                )
                scores.append(
                    {
                        "result_id": rid,
                        "experiment_id": exp["id"],
                        "scorer": "Apologises",
                        "scorer_key": "apologises",
                        "score": 1.0 if ok else 0.0,
                        "label": "Y" if ok else "N",
                        "rationale": "says sorry" if ok else "no apology",
                        "error": None,
                        "metadata": "{}",
                    }
                )
            exp_store.write_results(store, results, scores)
            exp_store.set_status(store, exp["id"], "finished")


def child_diff(db: str, repeat: int) -> None:
    import asyncio

    from evaltui.config import Settings
    from evaltui.tui.app import EvalApp
    from evaltui.tui.screens.diff import DiffScreen
    from evaltui.tui.widgets.case_list import CaseList

    async def run() -> dict:
        out: dict[str, list[float]] = {"diff_first_frame_s": [], "step_100_s": [], "cases": [], "noop_100_s": []}
        for _ in range(repeat):
            app = EvalApp(db, settings=Settings(theme="evaltui-dark", keymap={}), poll_seconds=0, resume_runs=False)
            async with app.run_test(size=(120, 40)) as pilot:
                t = time.perf_counter()
                app.open_diff("diff-base", "diff-candidate")
                await until(
                    pilot,
                    lambda: (
                        isinstance(app.screen, DiffScreen)
                        and app.screen.data is not None
                        and app.screen.query_one(CaseList).rows
                    ),
                )
                await pilot.pause(0)  # the frame with the rows
                out["diff_first_frame_s"].append(time.perf_counter() - t)
                out["cases"].append(len(app.screen.query_one(CaseList).rows))
                cases = app.screen.query_one(CaseList)
                t = time.perf_counter()
                for _ in range(100):
                    await pilot.press("n")
                await until(pilot, lambda: cases.cursor == 100)
                out["step_100_s"].append(time.perf_counter() - t)
                t = time.perf_counter()
                for _ in range(100):  # Pilot's own cost of a key press (a key bound to nothing)
                    await pilot.press("z")
                out["noop_100_s"].append(time.perf_counter() - t)
        return {k: statistics.median(v) for k, v in out.items()}

    print(json.dumps(asyncio.run(run())))


def spawn(*args: str) -> dict:
    t0 = time.time()
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args, "--t0", repr(t0)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    if out.returncode != 0:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=str(Path(os.environ.get("TMPDIR", "/tmp")) / "evaltui-bench-1m.duckdb"))
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--diff-cases", type=int, default=10_000)
    parser.add_argument("--diff-only", action="store_true", help="Only the diff figures (small database).")
    parser.add_argument("--child", nargs="*")
    parser.add_argument("--t0", type=float, default=0.0)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "empty":
            child_empty(args.t0)
        elif kind == "app":
            child_app(args.t0, rest[0], rest[1])
        elif kind == "diff":
            child_diff(rest[0], int(rest[1]))
        else:
            child_journey(rest[0], int(rest[1]))
        return

    diff_db = Path(args.db).with_name(f"evaltui-bench-diff-{args.diff_cases}.duckdb")
    if not diff_db.exists():
        print(f"building {diff_db} (2 x {args.diff_cases:,} results)...", file=sys.stderr)
        build_diff(diff_db, args.diff_cases)
    from evaltui.store import Store

    Store(diff_db).close()  # migrate once, as `evaltui tui` does
    diff = spawn("diff", str(diff_db), str(args.repeat))
    diff_rows = [
        ("diff: cases per experiment", f"{int(diff['cases']):,}", ""),
        (
            "diff: open (5) -> header and rows shown",
            f"{diff['diff_first_frame_s']:.3f} s",
            "compare + bootstrap CI in a worker",
        ),
        ("diff: step 100 cases with n", f"{diff['step_100_s']:.3f} s", f"{diff['step_100_s'] * 10:.1f} ms per case"),
        ("  same 100 presses of an unbound key", f"{diff['noop_100_s']:.3f} s", "Pilot's own cost per press"),
    ]
    if args.diff_only:
        for name, value, note in diff_rows:
            print(f"{name.ljust(44)}  {value:>10}  {note}")
        print(
            json.dumps(
                {
                    "diff_cases": int(diff["cases"]),
                    "diff_first_frame_s": round(diff["diff_first_frame_s"], 3),
                    "diff_step_100_s": round(diff["step_100_s"], 3),
                    "noop_100_presses_s": round(diff["noop_100_s"], 3),
                    "repeat": args.repeat,
                }
            )
        )
        return

    db = Path(args.db)
    if not db.exists():
        build(db, args.spans)
    from evaltui.store import Store

    with Store(db) as store:  # migrate once, as `evaltui tui` does, and count
        spans = store.con.execute("SELECT count(*) FROM spans").fetchall()[0][0]

    empty = [spawn("empty")["first_frame_s"] for _ in range(args.repeat)]
    topics = [spawn("app", str(db), "topics")["first_frame_s"] for _ in range(args.repeat)]
    logs = [spawn("app", str(db), "logs")["first_frame_s"] for _ in range(args.repeat)]
    journey = spawn("journey", str(db), str(args.repeat))

    med = statistics.median
    figures = {
        "spans": spans,
        "empty_textual_first_frame_s": round(med(empty), 3),
        "topics_first_data_frame_s": round(med(topics), 3),
        "logs_first_data_frame_s": round(med(logs), 3),
        "topics_vs_empty": round(med(topics) / med(empty), 2),
        "logs_vs_empty": round(med(logs) / med(empty), 2),
        "filter_apply_s": round(journey["filter_s"], 3),
        "filter_typing_s": round(journey["filter_typing_s"], 3),
        "next_page_s": round(journey["next_page_s"], 3),
        "last_page_s": round(journey["last_page_s"], 3),
        "clear_filter_s": round(journey["clear_filter_s"], 3),
        "peak_rss_mb": round(journey["peak_rss_mb"], 1),
        "diff_cases": int(diff["cases"]),
        "diff_first_frame_s": round(diff["diff_first_frame_s"], 3),
        "diff_step_100_s": round(diff["step_100_s"], 3),
        "repeat": args.repeat,
    }
    rows = [
        ("spans in the database", f"{spans:,}", ""),
        ("empty Textual app: start -> first frame", f"{figures['empty_textual_first_frame_s']:.3f} s", "baseline"),
        (
            "evaltui topics: start -> first frame with data",
            f"{figures['topics_first_data_frame_s']:.3f} s",
            f"{figures['topics_vs_empty']}x (goal <= 2.5x)",
        ),
        (
            "  logs pane as first screen (not a start pane)",
            f"{figures['logs_first_data_frame_s']:.3f} s",
            f"{figures['logs_vs_empty']}x, no start-up fetch",
        ),
        (
            "apply a filter (last key typed -> rows shown, 0.3 s debounce included)",
            f"{figures['filter_apply_s']:.3f} s",
            f"{FILTER} (typed through Pilot in {figures['filter_typing_s']:.1f} s)",
        ),
        ("page down past the window (next keyset page)", f"{figures['next_page_s']:.3f} s", "filtered"),
        ("jump to the last page", f"{figures['last_page_s']:.3f} s", "filtered"),
        ("clear the filter (all spans, first page)", f"{figures['clear_filter_s']:.3f} s", ""),
        ("peak RSS of the app through the journey", f"{figures['peak_rss_mb']:.0f} MB", "goal <= 400 MB"),
        *diff_rows,
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'figure'.ljust(width)}  {'value':>10}  note")
    for name, value, note in rows:
        print(f"{name.ljust(width)}  {value:>10}  {note}")
    print(f"(medians of {args.repeat} runs; each start in a fresh process)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
