"""The topic map of a million spans: `evaltui topics build` cold, in a fresh process.

    .venv/bin/python bench/topics_1m.py [--spans 1000000] [--workdir /tmp/evaltui-topics-1m]

Prints a table, then its figures as one JSON object on the last line.
- the spans come from the project's generator exactly as in `bench/ingest_browse.py` (same
  seed and size), ingested with `evaltui ingest` into a database kept in the work folder;
- each run copies that database (no topic map, no cached embedding) and runs
  `evaltui topics build --db COPY --json` under `/usr/bin/time -v` in a fresh process, so
  the model load, every embedding and the whole build are inside the clock (wall time and
  peak RSS from time -v; the stage times from the build's own JSON);
- the map is then read back: topics, groups, the biggest topic's and the unassigned share
  of the conversations, and, for scale, NMI of the topics against the generator's
  `metadata.intent` (unassigned counted as one cluster).
Goals (issue 13): total <= 15 minutes on 2 cores, no topic over 20%, <= 15% unassigned.

`--sweep 2500,5000,10000,20000` then clusters seeded subsamples of the build's sample of
that many texts (same settings, embeddings from the run's cache) and prints one row per size:
how the number of topics depends on how many texts are clustered.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest_browse import make_file  # noqa: E402

from evaltui.ingest import ingest_file  # noqa: E402
from evaltui.store import Store  # noqa: E402

EVALTUI = Path(sys.executable).with_name("evaltui")


def prepare(work: Path, n_spans: int) -> Path:
    """The ingested database (made once, then reused; never holds a topic map)."""
    src = work / f"spans_{n_spans}.jsonl"
    db = work / f"ingested_{n_spans}.duckdb"
    if db.exists():
        return db
    if not src.exists():
        make_file(src, n_spans)
    partial = db.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with Store(partial) as store:
        ingest_file(store, src)
    partial.rename(db)
    return db


def time_v(stderr: str) -> dict:
    def grab(label: str) -> str:
        m = re.search(rf"^\s*{re.escape(label)}: (.+)$", stderr, re.M)
        return m.group(1).strip() if m else ""

    wall = grab("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    parts = [float(p) for p in wall.split(":")] if wall else [0.0]
    seconds = sum(p * 60**i for i, p in enumerate(reversed(parts)))
    return {
        "wall_s": round(seconds, 1),
        "user_s": float(grab("User time (seconds)") or 0),
        "system_s": float(grab("System time (seconds)") or 0),
        "cpu_percent": grab("Percent of CPU this job got"),
        "peak_rss_mb": round(int(grab("Maximum resident set size (kbytes)") or 0) / 1024),
    }


def read_map(db: Path) -> dict:
    from sklearn.metrics import normalized_mutual_info_score

    with Store(db, read_only=True) as store:
        con = store.con
        rows = con.execute(
            """
            SELECT st.topic_id, t.group_id, json_extract_string(s.metadata, '$.intent'),
                   json_extract_string(s.metadata, '$.topic')
            FROM span_topics st JOIN topic_maps m ON m.id = st.map_id AND m.active
            JOIN spans s ON s.id = st.span_id
            LEFT JOIN topics t ON t.map_id = st.map_id AND t.topic_id = st.topic_id
            """
        ).fetchall()
        groups = con.execute(
            "SELECT count(*) FROM topic_groups g JOIN topic_maps m ON m.id = g.map_id AND m.active"
        ).fetchone()[0]
        biggest = con.execute(
            """
            SELECT t.key, t.label, count(*) FROM span_topics st
            JOIN topic_maps m ON m.id = st.map_id AND m.active
            JOIN topics t ON t.map_id = st.map_id AND t.topic_id = st.topic_id
            GROUP BY ALL ORDER BY count(*) DESC LIMIT 1
            """
        ).fetchone()
        distinct = con.execute(
            "SELECT json_extract(m.params, '$.distinct_texts')::INTEGER FROM topic_maps m WHERE m.active"
        ).fetchone()[0]
        methods = dict(
            con.execute(
                "SELECT method, count(*) FROM span_topics st JOIN topic_maps m ON m.id = st.map_id AND m.active GROUP BY 1"
            ).fetchall()
        )
    n = len(rows)
    topics = [-1 if r[0] is None else r[0] for r in rows]
    groups_of = [-1 if r[1] is None else r[1] for r in rows]
    intents = [r[2] or "" for r in rows]
    categories = [r[3] or "" for r in rows]
    return {
        "conversations": n,
        "groups": groups,
        "biggest_topic": biggest[0] if biggest else None,
        "biggest_topic_label": biggest[1] if biggest else None,
        "biggest_share": round(biggest[2] / n, 4) if biggest else 0.0,
        "unassigned_share": round(sum(t < 0 for t in topics) / n, 4),
        "nmi_intent": round(float(normalized_mutual_info_score(intents, topics)), 3),
        "nmi_groups_category": round(float(normalized_mutual_info_score(categories, groups_of)), 3),
        "intents": len(set(intents)),
        "categories": len(set(categories)),
        "distinct_texts": distinct,
        "methods": methods,
    }


def run(ingested: Path, work: Path) -> dict:
    db = work / "run.duckdb"
    shutil.copy(ingested, db)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}  # no endpoint: offline names
    cmd = ["/usr/bin/time", "-v", str(EVALTUI), "topics", "build", "--db", str(db), "--json"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode:
        sys.exit(f"topics build failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"build": result, "time": time_v(proc.stderr), "wall_s": round(wall, 1), "map": read_map(db)}


def sweep(db: Path, sizes: list[int], sample_size: int = 20_000, seed: int = 42) -> list[dict]:
    """Cluster subsamples of the build's sample (the same seeded choice of distinct texts)."""
    import numpy as np
    from sklearn.metrics import normalized_mutual_info_score

    from evaltui.store import topics as topic_store
    from evaltui.topics import cluster as clu
    from evaltui.topics import groups as G
    from evaltui.topics.embed import DEFAULT_MODEL, text_hash
    from evaltui.topics.represent import text_vectors
    from evaltui.topics.text import text_sql

    with Store(db) as store:
        spans = topic_store.root_texts(store, text_sql("first_message"))
        intent = dict(
            store.con.execute(
                "SELECT id, json_extract_string(metadata, '$.intent') FROM spans WHERE parent_id IS NULL"
            ).fetchall()
        )
        unique: dict[str, tuple[str, str]] = {}
        for span_id, text in zip(spans.column("span_id").to_pylist(), spans.column("text").to_pylist()):
            if text:
                unique.setdefault(text_hash(text), (text, intent[span_id] or ""))
        hashes = sorted(unique)  # as evaltui.topics.build chooses its sample
        order = np.random.default_rng(seed).permutation(len(hashes))
        sample = [unique[hashes[i]] for i in np.sort(order[:sample_size])]
        vectors, _ = text_vectors(store, [t for t, _ in sample], DEFAULT_MODEL)
    truth = np.array([label for _, label in sample])
    rng = np.random.default_rng(0)
    rows = []
    for n in sizes:
        pick = np.sort(rng.permutation(len(sample))[:n])
        t0 = time.perf_counter()
        labels, graph = clu.cluster_graph(vectors[pick], clu.ClusterParams())
        seconds = time.perf_counter() - t0
        groups = G.group_topics(graph, labels)
        sizes_ = np.bincount(labels[labels >= 0])
        rows.append(
            {
                "texts": len(pick),
                "topics": int(len(sizes_)),
                "groups": int(groups.max()) + 1 if len(groups) else 0,
                "median_topic_texts": float(np.median(sizes_)) if len(sizes_) else 0.0,
                "biggest_share": round(float(sizes_.max() / len(pick)), 4) if len(sizes_) else 0.0,
                "unassigned_share": round(float(np.mean(labels < 0)), 4),
                "nmi_intent": round(float(normalized_mutual_info_score(truth[pick], labels)), 3),
                "cluster_s": round(seconds, 1),
            }
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spans", type=int, default=1_000_000)
    ap.add_argument("--workdir", default="/tmp/evaltui-topics-1m", help="Keeps the generated file and databases.")
    ap.add_argument("--sweep", default="", help="Comma-separated sample sizes to cluster after the build.")
    args = ap.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)

    ingested = prepare(work, args.spans)
    out = run(ingested, work)
    b, t, m = out["build"], out["time"], out["map"]
    timings = b["timings"]
    with os.popen("uptime") as f:
        load = f.read().strip().split("load average:")[-1].strip()
    figures = {
        "spans": args.spans,
        "conversations": b["conversations"],
        "distinct_texts": m["distinct_texts"],
        "texts_s": round(timings.get("texts", 0), 1),
        "embed_s": round(timings.get("embed", 0), 1),
        "cluster_s": round(timings.get("cluster", 0), 1),
        "label_s": round(timings.get("label", 0), 1),
        "assign_s": round(timings.get("assign", 0), 1),
        "store_s": round(timings.get("store", 0), 1),
        "build_s": round(sum(timings.values()), 1),
        "wall_s": t["wall_s"] or out["wall_s"],
        "cpu_percent": t["cpu_percent"],
        "user_s": t["user_s"],
        "system_s": t["system_s"],
        "peak_rss_mb": t["peak_rss_mb"],
        "topics": b["topics"],
        "groups": b["groups"],
        "biggest_topic": m["biggest_topic"],
        "biggest_share": m["biggest_share"],
        "unassigned_share": m["unassigned_share"],
        "cheap_agreement": b["cheap_agreement"],
        "cheap_assigned": b["cheap_assigned"],
        "nmi_intent": m["nmi_intent"],
        "nmi_groups_category": m["nmi_groups_category"],
        "methods": m["methods"],
        "load_average_after": load,
        "cores": os.cpu_count(),
    }
    goal = {
        "time": figures["wall_s"] <= 900,
        "biggest": m["biggest_share"] <= 0.20,
        "unassigned": m["unassigned_share"] <= 0.15,
    }
    rows = [
        (
            "spans / conversations / distinct texts",
            f"{args.spans:,} / {b['conversations']:,} / {m['distinct_texts']:,}",
            "",
        ),
        ("texts (read, deduplicate)", f"{figures['texts_s']} s", ""),
        ("embed (model load included)", f"{figures['embed_s']} s", ""),
        ("cluster", f"{figures['cluster_s']} s", ""),
        ("label", f"{figures['label_s']} s", ""),
        (
            "assign (cheap path + its validation)",
            f"{figures['assign_s']} s",
            f"{b['cheap_assigned']:,} texts" if b["cheap_assigned"] else "",
        ),
        ("store", f"{figures['store_s']} s", ""),
        (
            "total, wall (fresh process, cold)",
            f"{figures['wall_s']} s = {figures['wall_s'] / 60:.1f} min",
            f"goal <= 15 min: {'met' if goal['time'] else 'NOT met'}",
        ),
        ("peak RSS", f"{figures['peak_rss_mb']:,} MB", ""),
        (
            "CPU time (user + system)",
            f"{t['user_s'] + t['system_s']:.0f} s",
            f"{figures['cpu_percent']} of one core on average; load average after: {load}",
        ),
        ("topics / groups", f"{b['topics']} / {b['groups']}", ""),
        (
            "biggest topic",
            f"{m['biggest_share']:.1%}",
            f"{m['biggest_topic']}; goal <= 20%: {'met' if goal['biggest'] else 'NOT met'}",
        ),
        ("unassigned", f"{m['unassigned_share']:.1%}", f"goal <= 15%: {'met' if goal['unassigned'] else 'NOT met'}"),
        (
            "cheap path agrees with MiniLM",
            "" if b["cheap_agreement"] is None else f"{b['cheap_agreement']:.1%}",
            "held-out texts",
        ),
        ("NMI topics vs generator intent", f"{m['nmi_intent']}", f"{m['intents']} intents; unassigned as one cluster"),
        ("NMI groups vs generator topic tag", f"{m['nmi_groups_category']}", f"{m['categories']} tags"),
    ]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    print(f"{'figure':<{w0}}  {'measured':>{w1}}  note")
    for name, value, note in rows:
        print(f"{name:<{w0}}  {value:>{w1}}  {note}")
    figures["goals_met"] = goal
    if args.sweep:
        figures["sweep"] = sweep(work / "run.duckdb", [int(x) for x in args.sweep.split(",")])
        print()
        print(
            f"{'texts clustered':>15}  {'topics':>6}  {'groups':>6}  {'median topic':>12}  {'biggest':>7}  "
            f"{'unassigned':>10}  {'NMI intent':>10}  {'cluster s':>9}"
        )
        for r in figures["sweep"]:
            print(
                f"{r['texts']:>15,}  {r['topics']:>6}  {r['groups']:>6}  {r['median_topic_texts']:>12.0f}  "
                f"{r['biggest_share']:>7.1%}  {r['unassigned_share']:>10.1%}  {r['nmi_intent']:>10}  {r['cluster_s']:>9}"
            )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
