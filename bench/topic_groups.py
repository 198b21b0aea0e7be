"""Groups of topics across seeds (issue 13, item 2): the groups' coarse NMI at pipeline
seeds 42, 1, 2, 3, 4 for the single-seed grouping (modularity Leiden at the pipeline's seed,
the grouping before commit "groups: the consensus of 16 seeds"), for `group_topics` (the
medoid of 16 seeds) and for other consensus rules over the same 16 runs (connected
components of the co-association at > 0.5, modularity Leiden on the co-association), and
the medoid over other seed sets (100-115; 8 and 32 runs) to show the choice is not a
lucky seed set. Embeddings are computed once (int8
default model) and cached in a DuckDB store under the given directory.

    PYTHONPATH=. .venv/bin/python bench/topic_groups.py [cache_dir]
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
from sklearn.metrics import adjusted_rand_score as ari  # noqa: E402
from sklearn.metrics import normalized_mutual_info_score as nmi  # noqa: E402
from topics import load  # noqa: E402

from evaltui.store import Store  # noqa: E402
from evaltui.topics import cluster as C  # noqa: E402
from evaltui.topics.embed import DEFAULT_MODEL  # noqa: E402
from evaltui.topics.represent import text_vectors  # noqa: E402

SEEDS = (42, 1, 2, 3, 4)
RUNS = 16


def between(graph, labels):
    import scipy.sparse as sp

    k = int(labels.max()) + 1
    member = labels >= 0
    s = sp.csr_matrix((np.ones(int(member.sum())), (np.flatnonzero(member), labels[member])), shape=(len(labels), k))
    b = (s.T @ graph @ s).tocsr()
    b.setdiag(0)
    b.eliminate_zeros()
    return b


def runs(b, seeds=range(RUNS)):
    g = C.as_igraph(b)
    return np.array([C.leiden(g, 1.0, s, objective="modularity") for s in seeds])


def coassoc(parts):
    return (parts[:, :, None] == parts[:, None, :]).mean(0)


def by_components(co):
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    return connected_components(sp.csr_matrix(co > 0.5), directed=False)[1]


def by_leiden(co):
    import scipy.sparse as sp

    m = sp.csr_matrix(co)
    m.setdiag(0)
    m.eliminate_zeros()
    return C.leiden(m, 1.0, 0, objective="modularity")


def by_medoid(parts):
    agree = np.array([[ari(a, b) for b in parts] for a in parts])
    return parts[int(np.argmax(agree.sum(1)))]


def spread(labels, g):
    return np.where(labels >= 0, g[np.maximum(labels, 0)], -1)


def main():
    cache = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/topic_groups")
    cache.mkdir(parents=True, exist_ok=True)
    for ds in ("sample_logs", "bitext", "clinc150"):
        texts, _fine, coarse = load(ds)
        with Store(cache / "cache.duckdb") as store:
            vec, _ = text_vectors(store, texts, DEFAULT_MODEL)
        rows = {k: [] for k in ("single", "group_topics", "components", "co-leiden", "med100", "med8", "med32")}
        ng = {k: [] for k in rows}
        cost = []
        for seed in SEEDS:
            labels, graph, _ = C.cluster_resolved(vec, C.ClusterParams(seed=seed))
            b = between(graph, labels)
            single = C.leiden(b, 1.0, seed, objective="modularity")
            c0 = time.process_time()
            cur = C.group_topics(graph, labels)
            cost.append(time.process_time() - c0)
            parts = runs(b)
            co = coassoc(parts)
            found = {
                "single": single,
                "group_topics": cur,
                "components": by_components(co),
                "co-leiden": by_leiden(co),
                "med100": by_medoid(runs(b, range(100, 116))),
                "med8": by_medoid(runs(b, range(8))),
                "med32": by_medoid(runs(b, range(32))),
            }
            for name, g in found.items():
                rows[name].append(nmi(coarse, spread(labels, g)))
                ng[name].append(len(set(g.tolist())))
        print(f"== {ds}: {len(texts)} texts; group_topics CPU {np.mean(cost):.3f} s per map (mean of 5)")
        for name, v in rows.items():
            print(
                f"{ds:12s} {name:12s} "
                + " ".join(f"{x:.3f}" for x in v)
                + f"  mean {np.mean(v):.3f} min {np.min(v):.3f}  groups {ng[name]}",
                flush=True,
            )


if __name__ == "__main__":
    main()
