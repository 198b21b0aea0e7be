"""Which label-free statistic recovers the resolution each set wants (issue 13 item 1)?

On every shared data set and the stand-ins (two draws), the pipeline's partition at each
multiple of the graph's density p on a grid (0.35p .. 45p, steps of sqrt 2), scored against
the labels (NMI, ARI, biggest topic, unassigned) and by criteria that use no labels:
- silhouette (cosine, on the texts' vectors, unassigned texts left out), Calinski-Harabasz,
  Davies-Bouldin (on the same), modularity (resolution 1) of the partition on the fuzzy graph;
- the variation of information to the partitions at the neighbouring multiples (a plateau);
- neighbour kappa: the share of a text's k neighbours in its own topic, corrected for chance
  ((a - e) / (1 - e), e = sum of squared topic shares);
- the mutual-neighbour profile: the share of mutual pairs among each text's r nearest (j among
  i's r nearest and i among j's), over r; its peak r* estimates a typical class size, and the
  pick is the multiple whose partition's typical topic size (text-weighted median) is nearest r*;
- the earlier ``--resolution auto`` rule (``cluster.stability`` + ``choose_multiple``: the
  multiple whose communities come back on 80% subsamples), and the product's ``auto`` after
  this study (``ClusterParams(resolution=None)``: the VI plateau, on a 5,000-text sample above
  ``SELECT_AT_MOST``).
Prints one row per set: the NMI-best multiple, each criterion's pick with its NMI, and which
goals the pick meets (NMI >= BERTopic + 0.03, ARI >= BERTopic's, biggest <= 2x the largest
class + 5 points, unassigned <= BERTopic's + 5 points; BERTopic's figures of the same draws,
bench/RESULTS.md). The per-multiple figures go to a JSON file for further rules.

    PYTHONPATH=. .venv/bin/python bench/topic_resolution.py CACHE_DIR [--seeds 13,14] [--seed 42]
        [--cold] [--data NAMES] [--standins NAMES] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import warnings  # noqa: E402

warnings.filterwarnings("ignore")
import numpy as np  # noqa: E402
from topic_grid import BERTOPIC  # noqa: E402
from topics import DATASETS, STANDINS, scores, study_sets  # noqa: E402

from evaltui.store import Store  # noqa: E402
from evaltui.topics import cluster as C  # noqa: E402
from evaltui.topics import nearest as N  # noqa: E402
from evaltui.topics.embed import DEFAULT_MODEL  # noqa: E402
from evaltui.topics.represent import text_vectors  # noqa: E402

GRID = C.PLATEAU_MULTIPLES  # multiples of p: 0.35p .. 45p
RS = (5, 7, 10, 14, 20, 28, 40, 57, 80, 113, 160, 226, 320)  # neighbourhoods of the mutual profile
# BERTopic's unassigned share on the same draws (bench/RESULTS.md, the run BERTOPIC's figures come from)
BT_UNASSIGNED = {
    "bitext": 0.054,
    "bitext_gpt35": 0.065,
    "clinc150": 0.109,
    "sample_logs": 0.043,
    "clinc150_77x30@13": 0.058,
    "clinc150_64x17_oos@13": 0.072,
    "bitext_3080@13": 0.066,
    "bitext_1076@13": 0.032,
    "sample_logs_1000@13": 0.133,
    "clinc150_77x30@14": 0.042,
    "clinc150_64x17_oos@14": 0.101,
    "bitext_3080@14": 0.067,
    "bitext_1076@14": 0.041,
    "sample_logs_1000@14": 0.120,
}


def pipeline_labels(vectors, g, idx, resolution, seed=42):
    """``cluster.cluster_resolved``'s labels at a fixed resolution, on a prebuilt graph."""
    labels = C.relabel(C.leiden(g, resolution, seed))
    labels = np.where(C.outliers(vectors, labels, idx), C.OUTLIER, labels)
    sizes = np.bincount(labels[labels >= 0], minlength=int(labels.max()) + 1)
    small = (labels >= 0) & (sizes[np.maximum(labels, 0)] < C.MIN_TOPIC_SIZE)
    return C.relabel(np.where(small, C.OUTLIER, labels))


def mutual_profile(idx: np.ndarray) -> dict[int, float]:
    """Share of mutual pairs among each text's r nearest, per r of RS (idx: >= max r long)."""
    n, big = idx.shape
    rank = np.broadcast_to(np.arange(big), (n, big))
    rows = np.repeat(np.arange(n), big)
    keys = rows * n + idx.ravel()
    back = idx.ravel() * n + rows  # the pair seen from j
    order = np.argsort(keys)
    pos = np.searchsorted(keys[order], back)
    pos = np.minimum(pos, len(keys) - 1)
    found = keys[order][pos] == back
    back_rank = np.where(found, rank.ravel()[order][pos], big)
    worst = np.maximum(rank.ravel(), back_rank)
    return {r: float((worst < r).sum() / (n * r)) for r in RS if r <= big}


def vi(a: np.ndarray, b: np.ndarray) -> float:
    from sklearn.metrics import mutual_info_score

    def h(x):
        p = np.bincount(x - x.min()) / len(x)
        p = p[p > 0]
        return float(-(p * np.log(p)).sum())

    return h(a) + h(b) - 2 * mutual_info_score(a, b)


def criteria(vectors, graph, g, idx, labels) -> dict:
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

    out = {}
    on = labels >= 0
    k = int(labels.max()) + 1 if on.any() else 0
    if 2 <= k < on.sum():
        out["silhouette"] = float(silhouette_score(vectors[on], labels[on], metric="cosine"))
        out["calinski_harabasz"] = float(calinski_harabasz_score(vectors[on], labels[on]))
        out["davies_bouldin"] = float(davies_bouldin_score(vectors[on], labels[on]))
    member = np.where(on, labels, labels.max() + 1 + np.arange(len(labels)))  # unassigned: alone
    out["modularity"] = float(g.modularity(member.tolist(), weights="weight"))
    same = (member[idx] == member[:, None]).mean()
    shares = np.bincount(member) / len(member)
    e = float((shares**2).sum())
    out["neighbour_kappa"] = float((same - e) / (1 - e))
    sizes = np.bincount(labels[on]) if on.any() else np.zeros(1)
    out["typical_size"] = float(np.median(sizes[labels[on]])) if on.any() else 0.0
    return out


def goals(name, s, fine) -> dict:
    bt_nmi, bt_ari = BERTOPIC[name]
    inscope = [f for f in fine if f != "oos"]
    largest = max(Counter(inscope).values()) / len(fine)
    return {
        "nmi": s["nmi"] >= bt_nmi + 0.03,
        "ari": s["ari"] >= bt_ari,
        "biggest": s["biggest"] <= 2 * largest + 0.05,
        "unassigned": s["unassigned"] <= BT_UNASSIGNED[name] + 0.05,
    }


def study(name, texts, fine, coarse, store, seed: int = 42) -> dict:
    vectors, _ = text_vectors(store, texts, DEFAULT_MODEL)
    n = len(vectors)
    k = N.neighbours(n, C.ClusterParams().n_neighbors)
    t0 = time.process_time()
    long_idx, long_sim = N.knn(vectors, min(max(RS), n - 1))
    idx, sim = long_idx[:, :k], long_sim[:, :k]
    graph = C.fuzzy_graph(idx, sim)
    p = C.density(graph)
    g = C.as_igraph(graph)
    profile = mutual_profile(long_idx)
    rows = []
    partitions = []
    for m in GRID:
        labels = pipeline_labels(vectors, g, idx, m * p, seed)
        s = scores(labels, fine, coarse)
        row = {
            "multiple": m,
            "resolution": m * p,
            **{x: s[x] for x in ("nmi", "ari", "topics", "biggest", "unassigned")},
        }
        row["goals"] = goals(name, s, fine)
        row.update(criteria(vectors, graph, g, idx, labels))
        rows.append(row)
        partitions.append(labels)
    for i, row in enumerate(rows):
        near = [vi(partitions[i], partitions[j]) for j in (i - 1, i + 1) if 0 <= j < len(rows)]
        row["vi_neighbours"] = float(np.mean(near))
    # the earlier rule (subsample stability, `--resolution auto` until this study)
    auto = C.choose_multiple(C.stability(*N.knn(vectors, 3 * k), k, seed)) * p
    auto_labels = pipeline_labels(vectors, g, idx, auto, seed)
    s = scores(auto_labels, fine, coarse)
    auto_row = {"multiple": auto / p, **{x: s[x] for x in ("nmi", "ari", "topics", "biggest", "unassigned")}}
    auto_row["goals"] = goals(name, s, fine)
    default_labels = pipeline_labels(vectors, g, idx, 0.0075, seed)
    s = scores(default_labels, fine, coarse)
    default_row = {"multiple": 0.0075 / p, **{x: s[x] for x in ("nmi", "ari", "topics", "biggest", "unassigned")}}
    default_row["goals"] = goals(name, s, fine)
    plateau_labels, _, chosen = C.cluster_resolved(vectors, C.ClusterParams(resolution=None, seed=seed))
    s = scores(plateau_labels, fine, coarse)
    plateau_row = {"multiple": chosen / p, **{x: s[x] for x in ("nmi", "ari", "topics", "biggest", "unassigned")}}
    plateau_row["goals"] = goals(name, s, fine)
    sizes = Counter(f for f in fine if f != "oos")
    return {
        "name": name,
        "n": n,
        "k": k,
        "p": p,
        "classes": len(sizes),
        "class_size_median": float(np.median(list(sizes.values()))),
        "profile": profile,
        "grid": rows,
        "auto": auto_row,
        "plateau": plateau_row,
        "default": default_row,
        "cpu": time.process_time() - t0,
    }


PICKS = {  # criterion: (key, argmax or argmin)
    "silhouette": ("silhouette", max),
    "calinski_harabasz": ("calinski_harabasz", max),
    "davies_bouldin": ("davies_bouldin", min),
    "modularity": ("modularity", max),
    "neighbour_kappa": ("neighbour_kappa", max),
}


def picks(res: dict) -> dict:
    # the stop rule of cluster.stability: no partition whose typical text sits in a topic
    # smaller than its neighbourhood (pieces its own neighbours cannot agree on)
    grid = [r for r in res["grid"] if r["typical_size"] >= res["k"]] or res["grid"]
    out = {}
    for crit, (key, how) in PICKS.items():
        valid = [r for r in grid if key in r]
        if valid:
            out[crit] = how(valid, key=lambda r: r[key])
    # a plateau needs a neighbour on both sides: the grid's two ends are not candidates
    inner = [r for r in grid if GRID[0] < r["multiple"] < GRID[-1]] or grid
    out["vi_plateau"] = min(inner, key=lambda r: r["vi_neighbours"])
    r_star = max(res["profile"], key=res["profile"].get)
    out["mutual_size"] = min(grid, key=lambda r: abs(np.log(max(r["typical_size"], 1) / r_star)))
    out["stability (earlier auto)"] = res["auto"]
    out["product auto (plateau)"] = res["plateau"]
    out["default 0.0075"] = res["default"]
    return out


def mark(row: dict) -> str:
    missed = [g for g, ok in row["goals"].items() if not ok]
    return f"{row['multiple']:.1f}p {row['nmi']:.3f}" + (" [" + ",".join(missed) + "]" if missed else " ok")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cache")
    parser.add_argument("--seeds", default="13,14", help="stand-in draws")
    parser.add_argument("--data", default=",".join(DATASETS))
    parser.add_argument("--standins", default=",".join(STANDINS))
    parser.add_argument("--seed", type=int, default=42, help="the pipeline's seed (Leiden, subsamples)")
    parser.add_argument("--cold", action="store_true", help="embed each set afresh, in its own batches")
    parser.add_argument("--json", default=None, help="write the per-multiple figures here")
    args = parser.parse_args()
    sets = study_sets(args.seeds, data=args.data.split(","), standins=args.standins.split(","))
    results = []
    met: Counter[str] = Counter()
    for name, loader in sets:
        texts, fine, coarse = loader()
        # --cold: each set embedded on its own (fresh store), as bench/topics.py does; int8
        # activations are quantised per batch, so a text's vector depends a little on its batch
        path = Path(tempfile.mkdtemp(dir=args.cache)) if args.cold else Path(args.cache)
        with Store(path / "cache.duckdb") as store:
            res = study(name, texts, fine, coarse, store, args.seed)
        if args.cold:
            shutil.rmtree(path)
        results.append(res)
        best = max(res["grid"], key=lambda r: r["nmi"])
        chosen = picks(res)
        r_star = max(res["profile"], key=res["profile"].get)
        print(
            f"{name} n={res['n']} classes={res['classes']} (median {res['class_size_median']:.0f}) "
            f"goal {BERTOPIC[name][0] + 0.03:.3f} | best {mark(best)} | mutual r*={r_star} | "
            + " | ".join(f"{c}: {mark(r)}" for c, r in chosen.items())
            + f" | cpu {res['cpu']:.0f}s",
            flush=True,
        )
        met["best"] += best["goals"]["nmi"]
        for c, r in chosen.items():
            met[c] += r["goals"]["nmi"]
            met[c + " all"] += all(r["goals"].values())
    print("NMI goal met, rows of", len(results), ":", dict(met))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
