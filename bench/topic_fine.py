"""Fine topics (issue 13 item 1, CLINC150's fine NMI): the pipeline's topics against
candidate rules, each a rule of the data (nothing set per data set), at pipeline seeds 42,
1, 2 and on two random 50% subsamples of each set (seed 42), which stand in for data we do
not have. Per data set and candidate: NMI / ARI against the fine labels (unassigned counted
as one cluster), topics, biggest topic, unassigned share, and for CLINC150 the share of its
out-of-scope requests left unassigned and the largest share of them in one topic.

Candidates (bench/RESULTS.md "Fine topics: consensus, graphs and outliers"):
- pipeline: ``cluster_resolved`` with its defaults;
- consensus-seeds / consensus-subsamples: Leiden at 8 seeds on the graph, or on 8 random
  80% subsamples (each with its own neighbour graph), then Leiden again (at the same
  multiple of the density) on the co-association of the graph's links (share of the runs
  that put both ends together); the pipeline's outlier rule after it;
- consensus-resolutions: Leiden at 0.5x, 1x and 2x the resolution, then Leiden on the
  graph's weights times the co-association;
- graph-mean / graph-snn: the mean (w + w') / 2 of the two directed fuzzy weights instead
  of their fuzzy union, and that mean times the Jaccard index of the two texts' neighbour
  sets (shared nearest neighbours); Leiden at the pipeline's multiple of the density;
- outliers-antihub: the pipeline, and also unassigned a text that at most one text of its
  topic lists among its neighbours and fewer than half of whose neighbours are in its topic
  (anti-hubs, ODIN);
- outliers-sparse-split: the pipeline, and also unassigned a text whose mean distance to its
  k neighbours is in the top quarter of the set's and fewer than half of whose neighbours
  are in its topic;
- refine-closed / refine-0.7: each topic split by Leiden at twice the resolution on its own
  links, kept split when every part of at least k texts keeps as many of its texts'
  neighbours inside it as the median topic does (or 70% of them);
- resolution-2x: the pipeline at twice its resolution (a reference: a finer map);
- resolution-auto: ``ClusterParams(resolution=None)``, the resolution chosen by subsample
  stability (`topics build --resolution auto`; a reference, not the default).
Embeddings are computed once (int8 default model) and cached in a DuckDB store under the
given directory.

    PYTHONPATH=. .venv/bin/python bench/topic_fine.py [cache_dir]
"""

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import warnings  # noqa: E402

warnings.filterwarnings("ignore")
import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from sklearn.metrics import adjusted_rand_score as ari  # noqa: E402
from sklearn.metrics import normalized_mutual_info_score as nmi  # noqa: E402
from topics import load  # noqa: E402

from evaltui.store import Store  # noqa: E402
from evaltui.topics import cluster as C  # noqa: E402
from evaltui.topics import nearest as N  # noqa: E402
from evaltui.topics.embed import DEFAULT_MODEL  # noqa: E402
from evaltui.topics.represent import text_vectors  # noqa: E402

SEEDS = (42, 1, 2)
HALVES = 2  # random 50% subsamples (at seed 42)
RUNS = 8
RESOLUTION = C.ClusterParams().resolution or 0.0075


class Graph:
    """The pipeline's neighbour lists and fuzzy graph for a set of vectors."""

    def __init__(self, vectors, seed):
        self.v, self.seed = vectors, seed
        self.k = N.neighbours(len(vectors), C.ClusterParams().n_neighbors)
        self.idx3, self.sim3 = N.knn(vectors, 3 * self.k)
        self.idx, self.sim = self.idx3[:, : self.k], self.sim3[:, : self.k]
        self.g = C.fuzzy_graph(self.idx, self.sim)
        self.ig = C.as_igraph(self.g)


def finish(G, labels, outlier):
    """The pipeline's last steps: outliers unassigned, topics under MIN_TOPIC_SIZE too."""
    labels = np.where(outlier, C.OUTLIER, C.relabel(labels))
    sizes = np.bincount(labels[labels >= 0], minlength=int(labels.max()) + 1)
    small = (labels >= 0) & (sizes[np.maximum(labels, 0)] < C.MIN_TOPIC_SIZE)
    return C.relabel(np.where(small, C.OUTLIER, labels))


def leiden_then_outliers(G, graph, resolution):
    labels = C.relabel(C.leiden(graph, resolution, G.seed))
    return finish(G, labels, C.outliers(G.v, labels, G.idx))


def co_association(G, parts):
    """Per link of the graph: the share of the runs (where both ends are present) that put
    its two texts in one community."""
    g = G.g.tocoo()
    a, b = parts[:, g.row], parts[:, g.col]
    present = (a >= 0) & (b >= 0)
    co = ((a == b) & present).sum(0) / np.maximum(present.sum(0), 1)
    return g, co


def consensus(G, parts, weighted):
    g, co = co_association(G, parts)
    graph = sp.csr_matrix((g.data * co if weighted else co, (g.row, g.col)), shape=g.shape)
    graph.eliminate_zeros()
    return leiden_then_outliers(G, graph, RESOLUTION * C.density(graph) / C.density(G.g))


def pipeline(G):
    return leiden_then_outliers(G, G.ig, RESOLUTION)


def consensus_seeds(G):
    return consensus(G, np.array([C.leiden(G.ig, RESOLUTION, G.seed + r) for r in range(RUNS)]), weighted=False)


def consensus_subsamples(G):
    n = len(G.v)
    rng = np.random.default_rng(G.seed)
    parts = np.full((RUNS, n), -1)
    for r in range(RUNS):
        keep = np.sort(rng.choice(n, int(C.SUBSAMPLE_FRACTION * n), replace=False))
        sub = C._subgraph(G.idx3, G.sim3, keep, G.k)
        parts[r, keep] = C.leiden(sub, RESOLUTION * C.density(sub) / C.density(G.g), G.seed + r + 1)
    return consensus(G, parts, weighted=False)


def consensus_resolutions(G):
    parts = np.array([C.leiden(G.ig, RESOLUTION * s, G.seed + i) for i, s in enumerate((0.5, 1.0, 2.0))])
    return consensus(G, parts, weighted=True)


def directed(G):
    """The fuzzy weights before their union (as ``fuzzy_graph``: w_ij of i's neighbour j)."""
    union = C.fuzzy_graph(G.idx, G.sim)  # only for the multiple below; weights recomputed
    n, k = G.idx.shape
    excess = np.maximum((1.0 - G.sim.astype(np.float64)) - (1.0 - G.sim[:, :1].astype(np.float64)), 0.0)
    lo, hi, sigma = np.zeros(n), np.full(n, np.inf), np.ones(n)
    for _ in range(64):
        big = np.exp(-excess / sigma[:, None]).sum(axis=1) > np.log2(max(k, 2))
        hi, lo = np.where(big, sigma, hi), np.where(big, lo, sigma)
        sigma = np.where(np.isinf(hi), sigma * 2, (lo + hi) / 2)
    w = np.exp(-excess / np.maximum(sigma, 1e-12)[:, None])
    return union, sp.csr_matrix((w.ravel(), (np.repeat(np.arange(n), k), G.idx.ravel())), shape=(n, n))


def graph_mean(G, snn=False):
    union, w = directed(G)
    graph = ((w + w.T) / 2).tocoo()
    if snn:
        n, k = G.idx.shape
        a = sp.csr_matrix((np.ones(n * k), (np.repeat(np.arange(n), k), G.idx.ravel())), shape=(n, n)) + sp.identity(n)
        shared = np.asarray((a @ a.T).tocsr()[graph.row, graph.col]).ravel()
        graph = sp.coo_matrix((graph.data * shared / (2 * (k + 1) - shared), (graph.row, graph.col)), shape=graph.shape)
    graph = graph.tocsr()
    graph.eliminate_zeros()
    return leiden_then_outliers(G, graph, RESOLUTION * C.density(graph) / C.density(union))


def outliers_antihub(G):
    labels = C.relabel(C.leiden(G.ig, RESOLUTION, G.seed))
    n, k = G.idx.shape
    src, dst = np.repeat(np.arange(n), k), G.idx.ravel()
    listed_by_own = np.bincount(dst[labels[src] == labels[dst]], minlength=n)
    agree = (labels[G.idx] == labels[:, None]).mean(axis=1)
    return finish(G, labels, C.outliers(G.v, labels, G.idx) | ((listed_by_own <= 1) & (agree < 0.5)))


def outliers_sparse_split(G):
    labels = C.relabel(C.leiden(G.ig, RESOLUTION, G.seed))
    dk = 1.0 - G.sim.mean(axis=1)
    agree = (labels[G.idx] == labels[:, None]).mean(axis=1)
    return finish(G, labels, C.outliers(G.v, labels, G.idx) | ((agree < 0.5) & (dk > np.quantile(dk, 0.75))))


def refine(G, bar=None):
    """Each topic split by Leiden at twice the resolution on its own links, kept split when
    every part of at least k texts is closed: the share of its texts' neighbours inside the
    part is at least ``bar`` (None: the median topic's share of neighbours inside it)."""
    labels = C.relabel(C.leiden(G.ig, RESOLUTION, G.seed))
    agree = (labels[G.idx] == labels[:, None]).mean(axis=1)
    if bar is None:
        bar = float(np.median([agree[labels == t].mean() for t in range(labels.max() + 1)]))
    out, fresh = labels.copy(), labels.max() + 1
    for t in range(labels.max() + 1):
        members = np.flatnonzero(labels == t)
        if len(members) < 2 * G.k:
            continue
        parts = C.leiden(G.g[members][:, members], 2 * RESOLUTION, G.seed)
        big = [p for p, size in enumerate(np.bincount(parts)) if size >= G.k]
        if len(big) < 2:
            continue
        trial = labels.copy()
        trial[members] = -2 - parts
        closed = [(trial[G.idx[members[parts == p]]] == -2 - p).mean() for p in big]
        if min(closed) >= bar:
            for p in big[1:]:
                out[members[parts == p]] = fresh
                fresh += 1
    return finish(G, out, C.outliers(G.v, C.relabel(out), G.idx))


def resolution_2x(G):
    return leiden_then_outliers(G, G.ig, 2 * RESOLUTION)


def resolution_auto(G):
    return C.cluster_resolved(G.v, C.ClusterParams(resolution=None, seed=G.seed))[0]


CANDIDATES = {
    "pipeline": pipeline,
    "consensus-seeds": consensus_seeds,
    "consensus-subsamples": consensus_subsamples,
    "consensus-resolutions": consensus_resolutions,
    "graph-mean": graph_mean,
    "graph-snn": lambda G: graph_mean(G, snn=True),
    "outliers-antihub": outliers_antihub,
    "outliers-sparse-split": outliers_sparse_split,
    "refine-closed": refine,
    "refine-0.7": lambda G: refine(G, 0.7),
    "resolution-2x": resolution_2x,
    "resolution-auto": resolution_auto,
}


def figures(labels, fine):
    out = {
        "nmi": nmi(fine, labels),
        "ari": ari(fine, labels),
        "topics": len(set(labels.tolist()) - {C.OUTLIER}),
        "biggest": np.bincount(labels[labels >= 0]).max() / len(labels),
        "unassigned": float(np.mean(labels == C.OUTLIER)),
    }
    oos = fine == "oos"
    if oos.any():
        inside = labels[oos & (labels >= 0)]
        out["oos_unassigned"] = float(np.mean(labels[oos] == C.OUTLIER))
        out["oos_one_topic"] = np.bincount(inside).max() / oos.sum() if len(inside) else 0.0
    return out


def views(vectors, fine):
    """(name, vectors, fine labels, seed): the whole set at each seed, then 50% subsamples."""
    for seed in SEEDS:
        yield f"all s{seed}", vectors, fine, seed
    rng = np.random.default_rng(42)
    for h in range(HALVES):
        keep = np.sort(rng.choice(len(vectors), len(vectors) // 2, replace=False))
        yield f"half{h}", vectors[keep], fine[keep], 42


def main():
    cache = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/topic_fine")
    cache.mkdir(parents=True, exist_ok=True)
    print(
        "data        candidate              NMI mean (min) ARI mean   topics  biggest  unassigned  [CLINC: out-of-scope unassigned, most in one topic]  CPU s"
    )
    for ds in ("bitext", "clinc150", "sample_logs"):
        texts, fine, _coarse = load(ds)
        with Store(cache / "cache.duckdb") as store:
            vectors, _ = text_vectors(store, texts, DEFAULT_MODEL)
        fine = np.asarray(fine)
        graphs = [(name, Graph(v, seed), f) for name, v, f, seed in views(vectors, fine)]
        for cand, fn in CANDIDATES.items():
            rows, cpu = [], 0.0
            for _name, G, f in graphs:
                t = time.process_time()
                labels = fn(G)
                cpu += time.process_time() - t
                rows.append(figures(labels, f))
            nm = [r["nmi"] for r in rows]
            line = (
                f"{ds:11s} {cand:22s} {np.mean(nm):.3f} ({np.min(nm):.3f})  {np.mean([r['ari'] for r in rows]):.3f}"
                f"  {np.mean([r['topics'] for r in rows]):6.0f}  {100 * max(r['biggest'] for r in rows):5.1f}%"
                f"  {100 * np.mean([r['unassigned'] for r in rows]):5.1f}%"
            )
            if "oos_unassigned" in rows[0]:
                line += (
                    f"  {100 * np.mean([r['oos_unassigned'] for r in rows]):5.1f}%"
                    f" {100 * max(r['oos_one_topic'] for r in rows):4.1f}%"
                )
            print(line + f"  {cpu / len(rows):5.2f}  per view: " + " ".join(f"{x:.3f}" for x in nm), flush=True)


if __name__ == "__main__":
    main()
