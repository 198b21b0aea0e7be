"""Does the number of topics grow with the number of texts clustered? The 1M-span
benchmark's sample, clustered at several sizes, at the fixed default resolution and with
the resolution chosen from the data (``--resolution auto``).

    .venv/bin/python bench/topic_sizes.py [--db CACHE.duckdb] [--sizes 2500,5000,10000,20000]

The texts are those `bench/topics_1m.py` clusters, without its ingest: the ingest
benchmark's generator (seed 11, 1,000,000 spans), each conversation's first customer
message, distinct texts ordered by their hash and the same seeded 20,000 of them
(`evaltui.topics.build`'s sample). Embeddings: evaltui's sentence-weighted MiniLM, cached in
``--db`` (the first run embeds about 16,000 sentences: minutes). Subsamples of each size are
seeded. Per size and setting: the resolution (and as a multiple of the graph's density p),
topics, groups, median topic, biggest topic, unassigned share, NMI against the generator's
intents (unassigned as one cluster) and of the groups against its topic tags, and the
clustering's wall and CPU seconds. Prints a table, then one JSON object.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def sample_texts(n_spans: int = 1_000_000, size: int = 20_000, seed: int = 42) -> list[tuple[str, str, str]]:
    """(text, intent, topic) of the build's seeded sample of distinct first messages."""
    import numpy as np

    from evaltui.demo.generate import iter_spans
    from evaltui.topics.embed import text_hash

    unique: dict[str, tuple[str, str, str]] = {}
    for span in itertools.islice(iter_spans(seed=11, n_conversations=n_spans // 2), n_spans):
        if span.get("parent_id") is not None:
            continue
        messages = span["input"]
        text = (
            next((m["content"] for m in messages if m.get("role") == "user"), None)
            if isinstance(messages, list)
            else messages
        )
        if text:
            meta = span.get("metadata") or {}
            unique.setdefault(text_hash(text), (text, meta.get("intent", ""), meta.get("topic", "")))
    hashes = sorted(unique)
    order = np.random.default_rng(seed).permutation(len(hashes))
    return [unique[hashes[i]] for i in np.sort(order[:size])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="Embedding cache (a DuckDB file); a throwaway one by default.")
    parser.add_argument("--sizes", default="2500,5000,10000,20000")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import numpy as np
    from sklearn.metrics import normalized_mutual_info_score as nmi

    from evaltui.store import Store
    from evaltui.topics import cluster as clu
    from evaltui.topics import groups as G
    from evaltui.topics.embed import DEFAULT_MODEL
    from evaltui.topics.represent import text_vectors

    sample = sample_texts()
    with tempfile.TemporaryDirectory() as tmp, Store(Path(args.db or Path(tmp) / "cache.duckdb")) as store:
        vectors, _ = text_vectors(store, [t for t, _, _ in sample], DEFAULT_MODEL)
    intents = np.array([i for _, i, _ in sample])
    tags = np.array([t for _, _, t in sample])
    order = np.random.default_rng(0).permutation(len(sample))
    rows = []
    print(
        f"{'texts':>7s} {'setting':14s}{'resolution':>11s}{'x p':>7s}{'topics':>8s}{'groups':>8s}{'median':>8s}"
        f"{'biggest':>9s}{'unassigned':>12s}{'NMI':>7s}{'groups NMI':>12s}{'wall s':>8s}{'CPU s':>7s}"
    )
    for n in (int(s) for s in args.sizes.split(",")):
        pick = np.sort(order[:n])
        for setting, params in (("fixed", clu.ClusterParams()), ("auto", clu.ClusterParams(resolution=None))):
            t0, c0 = time.perf_counter(), time.process_time()
            labels, graph, resolution = clu.cluster_resolved(vectors[pick], params)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            group_of = G.group_topics(graph, labels)
            groups = np.where(labels >= 0, group_of[np.maximum(labels, 0)], -1)
            sizes = np.bincount(labels[labels >= 0])
            row = {
                "texts": n,
                "setting": setting,
                "resolution": resolution,
                "multiple": resolution / clu.density(graph),
                "topics": len(sizes),
                "groups": int(group_of.max()) + 1,
                "median_topic": float(np.median(sizes)),
                "biggest": float(sizes.max() / n),
                "unassigned": float(np.mean(labels < 0)),
                "nmi_intent": nmi(intents[pick], labels),
                "nmi_groups_topic": nmi(tags[pick], groups),
                "wall_s": wall,
                "cpu_s": cpu,
            }
            rows.append(row)
            print(
                f"{n:>7,d} {setting:14s}{resolution:>11.5f}{row['multiple']:>7.2f}{row['topics']:>8d}{row['groups']:>8d}"
                f"{row['median_topic']:>8.0f}{row['biggest']:>9.1%}{row['unassigned']:>12.1%}{row['nmi_intent']:>7.3f}"
                f"{row['nmi_groups_topic']:>12.3f}{wall:>8.1f}{cpu:>7.1f}",
                flush=True,
            )
    print(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M"), "rows": rows}, default=float))


if __name__ == "__main__":
    main()
