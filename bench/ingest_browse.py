"""Ingest and browse a million spans: evaltui's path next to bare DuckDB, in one run.

    .venv/bin/python bench/ingest_browse.py [--spans 1000000] [--repeat 30] [--ingest-repeat 5]

Prints a table, then its figures as one JSON object on the last line.
- ingestion: `evaltui ingest` of a span JSONL file (staging, dedupe against the store,
  topic tags, scores, roll-up) next to DuckDB's bare `read_json` of the same file into a table;
  both clocks run from opening the file to closing it (its checkpoint included); with
  --ingest-repeat N both run N times in turns and the medians (and the median of the
  turns' ratios) are reported, with the process's CPU seconds beside the wall clock
  (steadier on a shared machine);
- database size after ingestion;
- the `logs --where` query path (compile the filter, run it, fetch the page as Arrow with
  each span's scores) for the first page and for page 1,000 (keyset paging), p50/p95, next
  to hand-written SQL for the same page on the same connection. The baseline ("bare") is
  the best hand query we know: the filter written by hand, the sort keys found first
  (rowids, LIMIT), then only the page's rows read, then their scores: the shape evaltui
  compiles, so the ratio is the cost of the filter language and its general SQL. A naive
  hand query (every column read before the LIMIT) is printed too, for scale.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaltui.demo.generate import iter_spans, write_jsonl  # noqa: E402
from evaltui.ingest import ingest_file  # noqa: E402
from evaltui.store import Store  # noqa: E402
from evaltui.store import logs  # noqa: E402

WHERE_FIRST = 'topic = "account_and_login" and scores.brand_alignment <= 0.5 and metadata.total_turns = 1'
WHERE_DEEP = "scores.conversation_quality = 1"
PAGE = 50

# The best hand-written SQL for the same pages: sort keys first, then the page's rows,
# then their scores (the same 15 columns evaltui returns).
_BEST_PAGE = """
    WITH keys AS (
        SELECT s.rowid AS rid FROM spans s
        JOIN score_rollup r ON r.span_id = s.id AND r.scorer_key = '{key}'
        WHERE s.parent_id IS NULL AND {where}
        ORDER BY s.ts DESC, s.id DESC LIMIT 50
    ),
    page AS (
        SELECT s.id, s.root_id, s.parent_id, s.name, s.span_type, s.ts, s.topic, s.input, s.output, s.expected,
               s.error, s.metadata, s.tags, s.metrics, s.source
        FROM keys JOIN spans s ON s.rowid = keys.rid
    )
    SELECT page.*, map_from_entries(list((r.scorer_key, r.score))) AS scores
    FROM page LEFT JOIN score_rollup r ON r.span_id = page.id
    GROUP BY ALL ORDER BY page.ts DESC, page.id DESC
"""
# A naive hand query: every column of every matching row read before the LIMIT.
_NAIVE_PAGE = """
    WITH page AS (
        SELECT s.* FROM spans s
        JOIN score_rollup r ON r.span_id = s.id AND r.scorer_key = '{key}'
        WHERE s.parent_id IS NULL AND {where}
        ORDER BY s.ts DESC, s.id DESC LIMIT 50
    )
    SELECT page.*, map_from_entries(list((r.scorer_key, r.score))) AS scores
    FROM page LEFT JOIN score_rollup r ON r.span_id = page.id
    GROUP BY ALL ORDER BY page.ts DESC, page.id DESC
"""
_FIRST = dict(
    key="brand_alignment",
    where="s.topic = 'account_and_login' AND r.score <= 0.5 "
    "AND TRY_CAST(json_extract_string(s.metadata, '$.total_turns') AS DOUBLE) = 1",
)
_DEEP = dict(key="conversation_quality", where="r.score = 1 AND (s.ts < ? OR (s.ts = ? AND s.id < ?))")
BARE_FIRST, BARE_DEEP = _BEST_PAGE.format(**_FIRST), _BEST_PAGE.format(**_DEEP)
NAIVE_FIRST, NAIVE_DEEP = _NAIVE_PAGE.format(**_FIRST), _NAIVE_PAGE.format(**_DEEP)


def make_file(path: Path, n_spans: int) -> float:
    t0 = time.perf_counter()
    # ~2.9 spans per conversation; take exactly n_spans lines.
    spans = itertools.islice(iter_spans(seed=11, n_conversations=n_spans // 2), n_spans)
    write_jsonl(path, spans)
    return time.perf_counter() - t0


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spans", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument(
        "--ingest-repeat",
        type=int,
        default=1,
        help="Ingest and bare read_json this many times, in turns; medians are reported.",
    )
    ap.add_argument("--workdir", default=None, help="Keep the generated file and databases here.")
    args = ap.parse_args()

    work = Path(args.workdir or tempfile.mkdtemp(prefix="evaltui-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    src = work / f"spans_{args.spans}.jsonl"
    gen_s = make_file(src, args.spans) if not src.exists() else 0.0
    n_lines = sum(1 for _ in open(src, "rb"))
    file_mb = src.stat().st_size / 1e6

    # Bare DuckDB (read_json of the same file into a table) and evaltui's ingest, taken
    # in turns --ingest-repeat times, so a busy spell on a shared machine hits both sides.
    bare_db = work / "bare.duckdb"
    db = work / "evaltui.duckdb"
    bare_runs: list[float] = []
    ingest_runs: list[float] = []
    bare_cpu: list[float] = []  # this process's CPU seconds (DuckDB's threads included): less
    ingest_cpu: list[float] = []  # swayed than the wall clock by other work on a shared machine
    for _ in range(args.ingest_repeat):
        bare_db.unlink(missing_ok=True)
        t0, c0 = time.perf_counter(), time.process_time()
        con = duckdb.connect(str(bare_db))
        con.execute("CREATE TABLE raw AS SELECT * FROM read_json(?, format = 'newline_delimited')", [str(src)])
        con.close()  # its checkpoint, as evaltui's close below
        bare_runs.append(time.perf_counter() - t0)
        bare_cpu.append(time.process_time() - c0)
        bare_db.unlink(missing_ok=True)

        db.unlink(missing_ok=True)
        t0, c0 = time.perf_counter(), time.process_time()
        with Store(db) as store:
            report = ingest_file(store, src)
        ingest_runs.append(time.perf_counter() - t0)
        ingest_cpu.append(time.process_time() - c0)
        assert report.added == n_lines and not report.bad, report
    bare_s, ingest_s = statistics.median(bare_runs), statistics.median(ingest_runs)
    ratio = statistics.median(i / b for i, b in zip(ingest_runs, bare_runs))
    cpu_ratio = statistics.median(i / b for i, b in zip(ingest_cpu, bare_cpu))
    db_mb = db.stat().st_size / 1e6

    with Store(db, read_only=True) as store:
        con = store.con
        matches_first = logs.count(store, WHERE_FIRST)
        matches_deep = logs.count(store, WHERE_DEEP)
        deep_page = 1000 if matches_deep >= 1000 * PAGE else max(1, matches_deep // PAGE)
        # Where page `deep_page` starts: the last row of the page before it.
        before = logs.query_page(store, WHERE_DEEP, limit=(deep_page - 1) * PAGE)
        cursor = logs.next_cursor(before)

        ours_first = timed(lambda: logs.query_page(store, WHERE_FIRST, limit=PAGE), args.repeat)
        bare_first = timed(lambda: con.sql(BARE_FIRST).to_arrow_table(), args.repeat)
        ours_deep = timed(lambda: logs.query_page(store, WHERE_DEEP, limit=PAGE, after=cursor), args.repeat)
        bare_deep = timed(
            lambda: con.sql(BARE_DEEP, params=[cursor.ts, cursor.ts, cursor.id]).to_arrow_table(), args.repeat
        )
        naive_first = timed(lambda: con.sql(NAIVE_FIRST).to_arrow_table(), args.repeat)
        naive_deep = timed(
            lambda: con.sql(NAIVE_DEEP, params=[cursor.ts, cursor.ts, cursor.id]).to_arrow_table(), args.repeat
        )
        # Same rows both ways.
        assert (
            logs.query_page(store, WHERE_FIRST, limit=PAGE).column("id").to_pylist()
            == con.sql(BARE_FIRST).to_arrow_table().column("id").to_pylist()
        )
        assert (
            logs.query_page(store, WHERE_DEEP, limit=PAGE, after=cursor).column("id").to_pylist()
            == con.sql(BARE_DEEP, params=[cursor.ts, cursor.ts, cursor.id]).to_arrow_table().column("id").to_pylist()
        )

    figures = {
        "spans": n_lines,
        "file_mb": round(file_mb, 1),
        "generate_s": round(gen_s, 2),
        "bare_read_json_s": round(bare_s, 3),
        "ingest_s": round(ingest_s, 3),
        "ingest_spans_per_s": round(n_lines / ingest_s),
        "bare_read_json_spans_per_s": round(n_lines / bare_s),
        "ingest_vs_read_json": round(ratio, 2),  # median of each turn's ratio
        "ingest_runs_s": [round(x, 3) for x in ingest_runs],
        "bare_read_json_runs_s": [round(x, 3) for x in bare_runs],
        "ingest_cpu_s": [round(x, 2) for x in ingest_cpu],
        "bare_read_json_cpu_s": [round(x, 2) for x in bare_cpu],
        "ingest_vs_read_json_cpu": round(cpu_ratio, 2),
        "db_mb": round(db_mb, 1),
        "first_page_matches": matches_first,
        "first_page_p50_ms": round(statistics.median(ours_first) * 1e3, 2),
        "first_page_p95_ms": round(pct(ours_first, 0.95) * 1e3, 2),
        "first_page_bare_p50_ms": round(statistics.median(bare_first) * 1e3, 2),
        "first_page_bare_p95_ms": round(pct(bare_first, 0.95) * 1e3, 2),
        "first_page_ratio_p50": round(statistics.median(ours_first) / statistics.median(bare_first), 2),
        "first_page_naive_p50_ms": round(statistics.median(naive_first) * 1e3, 2),
        "deep_page": deep_page,
        "deep_page_matches": matches_deep,
        "deep_page_p50_ms": round(statistics.median(ours_deep) * 1e3, 2),
        "deep_page_p95_ms": round(pct(ours_deep, 0.95) * 1e3, 2),
        "deep_page_bare_p50_ms": round(statistics.median(bare_deep) * 1e3, 2),
        "deep_page_bare_p95_ms": round(pct(bare_deep, 0.95) * 1e3, 2),
        "deep_page_ratio_p50": round(statistics.median(ours_deep) / statistics.median(bare_deep), 2),
        "deep_page_naive_p50_ms": round(statistics.median(naive_deep) * 1e3, 2),
        "cores": os.cpu_count(),
        "duckdb": duckdb.__version__,
    }
    rows = [
        ("spans in file", f"{n_lines:,}", f"{file_mb:.0f} MB JSONL", ""),
        (
            "ingest",
            f"{figures['ingest_spans_per_s']:,} spans/s",
            f"{ingest_s:.2f} s",
            f"read_json {bare_s:.2f} s -> {figures['ingest_vs_read_json']}x"
            + (f" (median of {len(ingest_runs)} turns)" if len(ingest_runs) > 1 else "")
            + f"; CPU {figures['ingest_vs_read_json_cpu']}x",
        ),
        ("database size", f"{db_mb:.0f} MB", "", ""),
        (
            f"first page ({matches_first:,} match)",
            f"p50 {figures['first_page_p50_ms']} ms",
            f"p95 {figures['first_page_p95_ms']} ms",
            f"best hand SQL p50 {figures['first_page_bare_p50_ms']} ms -> {figures['first_page_ratio_p50']}x "
            f"(naive {figures['first_page_naive_p50_ms']} ms)",
        ),
        (
            f"page {deep_page:,} (keyset, {matches_deep:,} match)",
            f"p50 {figures['deep_page_p50_ms']} ms",
            f"p95 {figures['deep_page_p95_ms']} ms",
            f"best hand SQL p50 {figures['deep_page_bare_p50_ms']} ms -> {figures['deep_page_ratio_p50']}x "
            f"(naive {figures['deep_page_naive_p50_ms']} ms)",
        ),
    ]
    width = [max(len(r[i]) for r in rows) for i in range(4)]
    print(f"filter (first page): {WHERE_FIRST}\nfilter (deep page):  {WHERE_DEEP}\n")
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, width)))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
