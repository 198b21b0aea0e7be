"""How fine a topic map should be, asked of the data: unsupervised criteria for the CPM
resolution and for the groups, next to what the labels say, on every labelled data set.

    .venv/bin/python bench/topic_granularity.py [--db CACHE.duckdb] [--data bitext,clinc150,sample_logs]

The embeddings are evaltui's own (sentence-weighted MiniLM, ``represent.text_vectors``),
cached in ``--db`` (a throwaway file by default; pass one to re-run warm). The clustering is
``evaltui.topics.cluster`` at each resolution of a grid tied to the graph itself: gamma =
p * 2**(i/2), i = -2..10 (the pipeline's ``MULTIPLES``), p the density of the fuzzy
neighbour graph (2m / n(n-1)); each partition gets the same outlier rule as the pipeline.

Per resolution: topics, NMI / ARI against the fine labels (unassigned as one cluster), and
four criteria a rule could maximise without labels:
- stability: mean ARI between the partition and the partitions of four 80% subsamples
  (each with its own neighbour graph, at gamma / 0.8), on the texts they share;
  and the pipeline's own rule (``cluster.stability`` + ``choose_multiple``: six subsamples,
  smoothed, one standard error) run with three seeds, to show whether its pick holds;
- asymptotic surprise (Traag, Krings & Van Dooren 2015) of the weighted graph;
- significance (Traag, Krings & Van Dooren 2013) of the unweighted graph;
- silhouette (cosine) of the assigned texts (after the outlier rule).
For groups, at the default resolution: the pipeline's groups (modularity on the topic
graph), Ward clusters of the topic centroids cut where the silhouette peaks, and the best
Ward cut by the coarse labels (an oracle: a bound, not a rule). Prints tables, then JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _kl(q: float, p: float) -> float:
    import math

    q, p = min(max(q, 1e-12), 1 - 1e-12), min(max(p, 1e-12), 1 - 1e-12)
    return q * math.log(q / p) + (1 - q) * math.log((1 - q) / (1 - p))


def criteria(graph, labels) -> dict:
    import numpy as np
    import scipy.sparse as sp

    n = graph.shape[0]
    up = sp.triu(graph, 1).tocoo()
    same = labels[up.row] == labels[up.col]
    sizes = np.bincount(labels)
    pairs, all_pairs = float((sizes * (sizes - 1) / 2).sum()), n * (n - 1) / 2
    m = float(up.data.sum())
    surprise = m * _kl(float(up.data[same].sum()) / m, pairs / all_pairs)
    edges = len(up.data)
    p = edges / all_pairs
    inside = np.bincount(labels[up.row][same], minlength=len(sizes))
    significance = sum(s * (s - 1) / 2 * _kl(e / (s * (s - 1) / 2), p) for s, e in zip(sizes, inside) if s > 1)
    return {"surprise": surprise, "significance": significance}


def finish(vectors, raw, idx):
    """The pipeline's outlier rule and minimum topic size on a raw Leiden partition."""
    import numpy as np

    from evaltui.topics import cluster as clu

    labels = clu.relabel(raw)
    labels = np.where(clu.outliers(vectors, labels, idx), clu.OUTLIER, labels)
    sizes = np.bincount(labels[labels >= 0], minlength=int(labels.max()) + 1)
    return clu.relabel(
        np.where((labels >= 0) & (sizes[np.maximum(labels, 0)] < clu.MIN_TOPIC_SIZE), clu.OUTLIER, labels)
    )


def scan(
    vectors, fine, seed: int = 42, steps: int = 13, subsamples: int = 4, frac: float = 0.8
) -> tuple[float, list[dict]]:
    import numpy as np
    from sklearn.metrics import adjusted_rand_score as ari
    from sklearn.metrics import normalized_mutual_info_score as nmi
    from sklearn.metrics import silhouette_score

    from evaltui.topics import cluster as clu
    from evaltui.topics import nearest as N

    n = len(vectors)
    idx, sim = N.knn(vectors, N.neighbours(n, clu.ClusterParams().n_neighbors))
    graph = clu.fuzzy_graph(idx, sim)
    density = float(graph.sum()) / (n * (n - 1))
    rng = np.random.default_rng(seed)
    subs = []
    for _ in range(subsamples):
        keep = np.sort(rng.choice(n, int(frac * n), replace=False))
        i2, s2 = N.knn(vectors[keep], N.neighbours(len(keep), clu.ClusterParams().n_neighbors))
        subs.append((keep, clu.fuzzy_graph(i2, s2)))
    picks = {}  # the pipeline's rule, three seeds
    for s in (42, 1, 2):
        pool = N.knn(vectors, 3 * N.neighbours(n, clu.ClusterParams().n_neighbors))
        picks[s] = clu.choose_multiple(clu.stability(*pool, N.neighbours(n, clu.ClusterParams().n_neighbors), s))
    rows = []
    for m in clu.MULTIPLES:
        gamma = density * m
        raw = clu.leiden(graph, gamma, seed)
        labels = finish(vectors, raw, idx)
        stability = float(np.mean([ari(raw[keep], clu.leiden(g, gamma / frac, seed)) for keep, g in subs]))
        assigned = labels >= 0
        row = {
            "resolution": gamma,
            "multiple": m,
            "picked_by_seeds": [s for s, at in picks.items() if at == m],
            "topics": int(labels.max()) + 1,
            "nmi": nmi(fine, labels),
            "ari": ari(fine, labels),
            "stability": stability,
            "silhouette": float("nan"),
            **criteria(graph, clu.relabel(raw)),
        }
        if 1 < len(set(labels[assigned].tolist())) < assigned.sum():
            row["silhouette"] = float(silhouette_score(vectors[assigned], labels[assigned], metric="cosine"))
        rows.append(row)
    return density, rows


def groups(vectors, fine, coarse) -> dict:
    import numpy as np
    from scipy.cluster.hierarchy import fcluster, linkage
    from sklearn.metrics import normalized_mutual_info_score as nmi
    from sklearn.metrics import silhouette_score

    from evaltui.topics import cluster as clu
    from evaltui.topics import groups as G

    labels, graph = clu.cluster_graph(vectors)
    k = int(labels.max()) + 1
    spread = lambda g: np.where(labels >= 0, g[np.maximum(labels, 0)], -1)  # noqa: E731
    current = G.group_topics(graph, labels)
    cents = clu.centroids(vectors, labels)
    tree = linkage(cents, method="ward")
    cuts = []
    for cut in range(2, k):
        g = fcluster(tree, cut, "maxclust") - 1
        assigned = labels >= 0
        cuts.append(
            (
                cut,
                float(silhouette_score(vectors[assigned], g[labels[assigned]], metric="cosine")),
                nmi(coarse, spread(g)),
            )
        )
    by_sil, by_label = max(cuts, key=lambda c: c[1]), max(cuts, key=lambda c: c[2])
    return {
        "topics": k,
        "topics_vs_coarse": nmi(coarse, labels),
        "modularity_groups": int(current.max()) + 1,
        "modularity_nmi": nmi(coarse, spread(current)),
        "ward_silhouette_groups": by_sil[0],
        "ward_silhouette_nmi": by_sil[2],
        "ward_oracle_groups": by_label[0],
        "ward_oracle_nmi": by_label[2],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="bitext,clinc150,sample_logs")
    parser.add_argument("--db", default=None, help="Embedding cache (a DuckDB file); a throwaway one by default.")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.filterwarnings("ignore")
    import numpy as np

    from evaltui.store import Store
    from evaltui.topics.embed import DEFAULT_MODEL
    from evaltui.topics.represent import text_vectors
    from topics import load

    out: dict = {"date": time.strftime("%Y-%m-%d %H:%M"), "data": {}}
    with tempfile.TemporaryDirectory() as tmp, Store(Path(args.db or Path(tmp) / "cache.duckdb")) as store:
        for name in args.data.split(","):
            texts, fine, coarse = load(name)
            vectors, _ = text_vectors(store, texts, DEFAULT_MODEL)
            fine, coarse = np.asarray(fine), np.asarray(coarse)
            density, rows = scan(vectors, fine)
            g = groups(vectors, fine, coarse)
            out["data"][name] = {"graph_density": density, "resolutions": rows, "groups": g}
            print(f"\n== {name}: {len(texts):,} texts; graph density p = {density:.5f}")
            print(
                f"{'resolution':>12s}{'x p':>7s}{'topics':>8s}{'NMI':>7s}{'ARI':>7s}{'stability':>11s}{'surprise':>10s}{'signif.':>10s}{'silhouette':>12s}"
            )
            best = {
                c: max(rows, key=lambda r: r[c])["resolution"]
                for c in ("nmi", "stability", "surprise", "significance", "silhouette")
            }
            for r in rows:
                marks = "".join(f" <{c}" for c, at in best.items() if at == r["resolution"])
                if r["picked_by_seeds"]:
                    marks += f" <pipeline (seeds {', '.join(map(str, r['picked_by_seeds']))})"
                print(
                    f"{r['resolution']:>12.4f}{r['resolution'] / density:>7.1f}{r['topics']:>8d}{r['nmi']:>7.3f}{r['ari']:>7.3f}"
                    f"{r['stability']:>11.3f}{r['surprise']:>10.0f}{r['significance']:>10.0f}{r['silhouette']:>12.3f}{marks}"
                )
            print(
                f"groups vs coarse labels: {g['topics']} topics themselves {g['topics_vs_coarse']:.3f}; "
                f"modularity groups ({g['modularity_groups']}) {g['modularity_nmi']:.3f}; "
                f"Ward cut at peak silhouette ({g['ward_silhouette_groups']}) {g['ward_silhouette_nmi']:.3f}; "
                f"best Ward cut by the labels ({g['ward_oracle_groups']}) {g['ward_oracle_nmi']:.3f}",
                flush=True,
            )
    print(json.dumps(out, default=float))


if __name__ == "__main__":
    main()
