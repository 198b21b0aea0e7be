"""`evaltui demo`: build the demo database from the sample logs and say where it hurts.

The later steps of the loop (topic map, dataset, baseline and fix, calibration) join
this script as they land; each step prints what it did.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable

import orjson

from evaltui.ingest import ingest_file
from evaltui.store import Store
from evaltui.store import logs as log_queries

REPO_SAMPLE_LOGS = Path(__file__).resolve().parents[2] / "sample_logs"


def sample_log_files() -> list[Path]:
    """The committed sample logs; regenerated into a temp folder when evaltui runs
    from an installed wheel that does not carry them."""
    files = sorted(REPO_SAMPLE_LOGS.glob("*.jsonl")) if REPO_SAMPLE_LOGS.is_dir() else []
    if files:
        return files
    from evaltui.demo.generate import generate

    out = Path(tempfile.mkdtemp(prefix="evaltui-sample-logs-"))
    generate(out)
    return sorted(out.glob("*.jsonl"))


def run_demo(db: Path, *, fresh: bool, as_json: bool, echo: Callable[[str], None]) -> dict[str, Any]:
    if fresh:
        for stale in (db, db.with_name(db.name + ".wal")):
            stale.unlink(missing_ok=True)
    with Store(db) as store:
        files = sample_log_files()
        for path in files:
            echo(f"ingesting {path.name} ...")
            report = ingest_file(store, path)
            echo(f"  kept {report.kept:,} spans ({report.added:,} new), {report.scores_added:,} scores, skipped {report.skipped}")
        summary = summarize(store)
    summary["db"] = str(db)
    if as_json:
        print(orjson.dumps(summary).decode())
    else:
        print_summary(summary)
    return summary


def summarize(store: Store) -> dict[str, Any]:
    con = store.con
    spans, conversations = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE parent_id IS NULL) FROM spans"
    ).fetchall()[0]
    labels = con.execute("SELECT count(*) FROM scores WHERE source = 'human'").fetchall()[0][0]
    keys, topics = log_queries.topic_stats(store)
    primary = "brand_alignment" if "brand_alignment" in keys else (keys[0] if keys else None)
    worst = None
    if primary:
        scored = [t for t in topics if t.get(primary) is not None]
        worst = min(scored, key=lambda t: t[primary])["topic"] if scored else None
    return {
        "spans": spans,
        "conversations": conversations,
        "human_labels": labels,
        "scorers": keys,
        "topics": topics,
        "worst_topic": worst,
    }


def print_summary(summary: dict[str, Any]) -> None:
    from evaltui.output import print_stats_table

    print(
        f"{summary['db']}: {summary['conversations']:,} conversations, {summary['spans']:,} spans, "
        f"{summary['human_labels']} human labels"
    )
    print_stats_table(summary["scorers"], summary["topics"])
    if summary["worst_topic"]:
        print(f"where it hurts: {summary['worst_topic']} has the lowest Brand Alignment")
        print(f"next: evaltui logs --db {summary['db']} --where 'topic = \"{summary['worst_topic']}\" and scores.brand_alignment <= 0.5'")
