"""Which texts a topic map should leave unassigned: rules tried against CLINC150's
out-of-scope requests, and what each costs the data sets without such requests.

    .venv/bin/python bench/topic_outliers.py [--db CACHE.duckdb] [--data bitext,clinc150,sample_logs]

Embeddings as in ``bench/topic_granularity.py`` (evaltui's sentence-weighted MiniLM,
cached in ``--db``). Per data set, the pipeline's Leiden partition at the resolution chosen
from the data (``--resolution auto``), then each rule below decides the unassigned texts;
topics left with fewer than ``MIN_TOPIC_SIZE`` texts are unassigned too (as the pipeline does;
"topics >= k" raises that floor to the neighbourhood size). Printed: NMI / ARI against the
fine labels (unassigned as one cluster), topics, unassigned share, and for CLINC150 the share
of out-of-scope requests unassigned, plus how well each text-level measure ranks them (AUC).
dk is a text's mean cosine distance to its k nearest neighbours (its local sparsity).
- pipeline: the pipeline's rule (far from its topic's centre and most neighbours elsewhere);
- dk global fence: pipeline, or dk above Q3 + 1.5 IQR of all texts' dk;
- dk topic fence: pipeline, or dk above Q3 + 1.5 IQR of its own topic's dk;
- dk topic fence, few agree: the same, only when fewer than half its neighbours share its topic;
- sparse topics: pipeline, or the whole topic when its median dk is above Q3 + 1.5 IQR of
  the topics' medians;
- topics >= k: pipeline, and topics smaller than a neighbourhood are unassigned;
- mixture: pipeline, or the texts of the sparser component when a two-component Gaussian
  mixture of log dk beats one component by BIC (so only data with a sparse population).
Prints a table per data set, then one JSON object.
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


def fence(x, m: float = 1.5) -> float:
    import numpy as np

    q1, q3 = np.quantile(x, [0.25, 0.75])
    return float(q3 + m * (q3 - q1))


def rules(vectors, raw, idx, sim) -> dict:
    """name -> (unassigned mask before the size floor, smallest topic kept)."""
    import numpy as np
    from sklearn.mixture import GaussianMixture

    from evaltui.topics import cluster as clu

    k = idx.shape[1]
    base = clu.outliers(vectors, raw, idx)
    dk = 1.0 - sim.mean(axis=1)
    agree = (raw[idx] == raw[:, None]).mean(axis=1)
    topics = int(raw.max()) + 1
    sizes = np.bincount(raw, minlength=topics)
    topic_fence = np.array([fence(dk[raw == t]) if sizes[t] >= 4 else np.inf for t in range(topics)])
    medians = np.array([np.median(dk[raw == t]) for t in range(topics)])
    x = np.log(dk)[:, None]
    one, two = GaussianMixture(1, random_state=0).fit(x), GaussianMixture(2, random_state=0, n_init=3).fit(x)
    sparse = np.zeros(len(raw), dtype=bool)
    if two.bic(x) < one.bic(x):
        sparse = two.predict(x) == int(np.argmax(two.means_[:, 0]))
    floor = clu.MIN_TOPIC_SIZE
    return {
        "pipeline": (base, floor),
        "dk global fence": (base | (dk > fence(dk)), floor),
        "dk topic fence": (base | (dk > topic_fence[raw]), floor),
        "dk topic fence, few agree": (base | ((dk > topic_fence[raw]) & (agree < 0.5)), floor),
        "sparse topics": (base | (medians > fence(medians))[raw], floor),
        "topics >= k": (base, max(floor, k)),
        "mixture": (base | sparse, floor),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="bitext,clinc150,sample_logs")
    parser.add_argument("--db", default=None, help="Embedding cache (a DuckDB file); a throwaway one by default.")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.filterwarnings("ignore")
    import numpy as np
    from sklearn.metrics import adjusted_rand_score as ari
    from sklearn.metrics import normalized_mutual_info_score as nmi
    from sklearn.metrics import roc_auc_score

    from evaltui.store import Store
    from evaltui.topics import cluster as clu
    from evaltui.topics import nearest as N
    from evaltui.topics.embed import DEFAULT_MODEL
    from evaltui.topics.represent import text_vectors
    from topics import load

    out: dict = {"date": time.strftime("%Y-%m-%d %H:%M"), "data": {}}
    with tempfile.TemporaryDirectory() as tmp, Store(Path(args.db or Path(tmp) / "cache.duckdb")) as store:
        for name in args.data.split(","):
            texts, fine, _ = load(name)
            vectors, _ = text_vectors(store, texts, DEFAULT_MODEL)
            fine = np.asarray(fine)
            _, graph, resolution = clu.cluster_resolved(vectors, clu.ClusterParams(resolution=None))
            k = N.neighbours(len(vectors), clu.ClusterParams().n_neighbors)
            idx, sim = N.knn(vectors, k)
            raw = clu.relabel(clu.leiden(graph, resolution, clu.ClusterParams().seed))
            rows = {}
            for rule, (mask, floor) in rules(vectors, raw, idx, sim).items():
                labels = np.where(mask, clu.OUTLIER, raw)
                sizes = np.bincount(labels[labels >= 0], minlength=int(raw.max()) + 1)
                labels = clu.relabel(
                    np.where((labels >= 0) & (sizes[np.maximum(labels, 0)] < floor), clu.OUTLIER, labels)
                )
                row = {
                    "nmi": nmi(fine, labels),
                    "ari": ari(fine, labels),
                    "topics": int(labels.max()) + 1,
                    "unassigned": float(np.mean(labels < 0)),
                }
                if (fine == "oos").any():
                    row["oos_unassigned"] = float(np.mean(labels[fine == "oos"] < 0))
                rows[rule] = row
            entry = {"resolution_x_density": resolution / clu.density(graph), "rules": rows}
            if (fine == "oos").any():
                oos = fine == "oos"
                cents = clu.centroids(vectors, raw)
                entry["auc"] = {
                    "dk": roc_auc_score(oos, 1.0 - sim.mean(axis=1)),
                    "own-centroid distance": roc_auc_score(oos, -np.einsum("ij,ij->i", vectors, cents[raw])),
                    "neighbours elsewhere": roc_auc_score(oos, -(raw[idx] == raw[:, None]).mean(axis=1)),
                }
            out["data"][name] = entry
            print(
                f"\n== {name}: {len(texts):,} texts, resolution {entry['resolution_x_density']:.2f}x the graph's density"
            )
            print(f"{'rule':28s}{'NMI':>7s}{'ARI':>7s}{'topics':>8s}{'unassigned':>12s}{'oos unassigned':>16s}")
            for rule, r in rows.items():
                oos_share = f"{r['oos_unassigned']:.1%}" if "oos_unassigned" in r else "-"
                print(
                    f"{rule:28s}{r['nmi']:>7.3f}{r['ari']:>7.3f}{r['topics']:>8d}{r['unassigned']:>12.1%}{oos_share:>16s}"
                )
            if "auc" in entry:
                print(
                    "out-of-scope ranked by (AUC): " + ", ".join(f"{m} {a:.3f}" for m, a in entry["auc"].items()),
                    flush=True,
                )
    print(json.dumps(out, default=float))


if __name__ == "__main__":
    main()
