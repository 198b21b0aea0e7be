"""How fine the map should be, at the default lexical share (issue 13 item 1, session 28).

On every shared data set and the stand-ins (two draws), the product's map (lexical share 0.5,
``cluster.topics_at``) at each multiple of the default resolution on a grid (0.25x .. 8x,
steps of sqrt 2), scored against the labels (NMI, ARI, biggest topic, unassigned, CLINC150's
out-of-scope spread), and the figures a label-free rule can read from the data: the
neighbour structure (each text's similarity profile and shared-neighbour overlap over its
first 200 neighbours) and the maps themselves (variation of information between neighbouring
multiples). Writes everything to a JSON file; ``--rules`` scores the band rules from such
files, one per pipeline seed (no labels used by a rule, only by the scoring): goals lost /
gained against the fixed map, per band, and the picks.

    PYTHONPATH=. nice .venv/bin/python bench/topic_scale.py CACHE_DIR --json OUT [--seed S]
    PYTHONPATH=. .venv/bin/python bench/topic_scale.py --rules OUT_42 OUT_1 OUT_2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
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

GRID = tuple(2 ** (i / 2) for i in range(-4, 7))  # multiples of the default resolution: 0.25x .. 8x
R = 200  # the neighbour profile's depth
# BERTopic 0.17.4 defaults (NMI, ARI, unassigned): the quiet run of record of main (2026-12-07
# 14:18 UTC) for the data sets and the seed-13 stand-ins; seed 14: bench/topic_grid.py's table
BERTOPIC = {
    "bitext": (0.738, 0.269, 0.047),
    "bitext_gpt35": (0.718, 0.237, 0.058),
    "clinc150": (0.801, 0.229, 0.122),
    "sample_logs": (0.660, 0.254, 0.053),
    "clinc150_77x30@13": (0.902, 0.698, 0.057),
    "clinc150_64x17_oos@13": (0.853, 0.462, 0.077),
    "bitext_3080@13": (0.757, 0.352, 0.062),
    "bitext_1076@13": (0.797, 0.520, 0.041),
    "sample_logs_1000@13": (0.670, 0.325, 0.102),
    "clinc150_77x30@14": (0.911, 0.742, 0.042),
    "clinc150_64x17_oos@14": (0.854, 0.496, 0.101),
    "bitext_3080@14": (0.758, 0.372, 0.067),
    "bitext_1076@14": (0.834, 0.638, 0.041),
    "sample_logs_1000@14": (0.676, 0.333, 0.120),
}


def vi(a: np.ndarray, b: np.ndarray) -> float:
    from evaltui.topics.cluster import variation_of_information

    return variation_of_information(a, b)


def profiles(vectors: np.ndarray, k: int) -> dict:
    """Mean over texts, per rank j (1..R): the cosine to the j-th nearest (vectors alone) and
    the share of the j-th neighbour's k nearest that are among the text's own k nearest."""
    from evaltui.topics import nearest as N

    idx, sim = N.knn(vectors, min(R, len(vectors) - 1))
    own = idx[:, :k]
    n = len(vectors)
    overlap = np.zeros(idx.shape[1])
    for start in range(0, n, 1024):
        rows = np.arange(start, min(start + 1024, n))
        block = np.zeros((len(rows), n), dtype=bool)
        block[np.arange(len(rows))[:, None], own[rows]] = True
        nb = own[idx[rows]]  # (b, R, k): the neighbours' own k nearest
        hits = block[np.arange(len(rows))[:, None, None], nb]
        overlap += hits.mean(axis=2).sum(axis=0)
    return {
        "sim": sim.mean(axis=0).tolist(),
        "sim_median": np.median(sim, axis=0).tolist(),
        "overlap": (overlap / n).tolist(),
    }


def study(name, texts, fine, coarse, store, seed: int = 42) -> dict:
    from topics import scores

    from evaltui.topics import cluster as C
    from evaltui.topics import nearest as N
    from evaltui.topics.embed import DEFAULT_MODEL
    from evaltui.topics.represent import lexical, text_vectors

    params = C.ClusterParams()
    vectors, _ = text_vectors(store, texts, DEFAULT_MODEL)
    n = len(vectors)
    k = N.neighbours(n, params.n_neighbors)
    t0 = time.process_time()
    view = lexical(texts)
    idx, sim = N.knn(vectors, k, lexical=view, share=params.lexical_share)
    graph = C.fuzzy_graph(idx, sim)
    p = C.density(graph)
    g = C.as_igraph(graph)
    maps, rows = [], []
    for m in GRID:
        labels = C.topics_at(vectors, g, idx, m * params.resolution, seed)
        s = scores(labels, fine, coarse)
        on = labels[labels >= 0]
        typical = float(np.median(np.bincount(on)[on])) if len(on) else 0.0
        rows.append({"multiple": m, "typical": typical, **s})
        maps.append(labels)
    for i, row in enumerate(rows):
        row["vi_next"] = vi(maps[i], maps[i + 1]) if i + 1 < len(maps) else None
    cpu = time.process_time() - t0
    sizes = Counter(f for f in fine if f != "oos")
    return {
        "name": name,
        "n": n,
        "k": k,
        "p": p,
        "classes": len(sizes),
        "class_size_median": float(np.median(list(sizes.values()))),
        "largest_class": max(sizes.values()) / n,
        "profile": profiles(vectors, k),
        "grid": rows,
        "cpu": cpu,
    }


def goals(res: dict, row: dict) -> list[str]:
    """The goals a map misses (NMI, ARI, biggest, unassigned, out-of-scope spread)."""
    nmi, ari, unassigned = BERTOPIC[res["name"]]
    missed = []
    if row["nmi"] < nmi + 0.03:
        missed.append("nmi")
    if row["ari"] < ari:
        missed.append("ari")
    if row["biggest"] > 2 * res["largest_class"] + 0.05:
        missed.append("biggest")
    if row["unassigned"] > unassigned + 0.05:
        missed.append("unassigned")
    if row.get("oos_largest_share", 0.0) > 0.10:
        missed.append("oos")
    return missed


def band_pick(res: dict, lo: int, hi: int, clip: bool) -> int:
    """The grid index a band rule takes: the smallest mean VI to both neighbours among GRID[lo..hi]
    (maps whose typical topic is at least the neighbourhood), the fixed map (1x) when ``clip`` and
    the pick is coarser."""
    g = res["grid"]
    base = GRID.index(1.0)

    def change(i: int) -> float:
        return float(np.mean([g[j]["vi_next"] for j in (i - 1, i)]))

    cand = [i for i in range(lo, hi + 1) if g[i]["typical"] >= res["k"]] or [base]
    best = min(cand, key=change)
    return max(best, base) if clip else best


BANDS = {  # name: (first, last candidate on GRID, clipped at 1x)
    "0.5x-2.83x": (2, 7, False),
    "0.71x-4x": (3, 8, False),
    "1x-2.83x": (4, 7, False),
    "1x-4x": (4, 8, False),
    "1x-5.66x": (4, 9, False),
    "0.35x-4x, 1x when coarser (cluster.refine)": (1, 8, True),
}


def score_rules(paths: list[str]) -> None:
    runs = [json.loads(Path(p).read_text()) for p in paths]
    base = GRID.index(1.0)
    for band, (lo, hi, clip) in BANDS.items():
        cells = []
        for res_list in runs:
            lost = gained = 0
            picks = []
            for res in res_list:
                b = band_pick(res, lo, hi, clip)
                now, before = set(goals(res, res["grid"][b])), set(goals(res, res["grid"][base]))
                lost += len(now - before)
                gained += len(before - now)
                picks.append(f"{GRID[b]:.2f}")
            cells.append(f"lost {lost} gained {gained} [{' '.join(picks)}]")
        print(f"{band}: " + " | ".join(cells))


def main() -> None:
    from topics import study_sets

    from evaltui.store import Store

    if sys.argv[1:2] == ["--rules"]:
        score_rules(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cache")
    parser.add_argument("--json", required=True)
    parser.add_argument("--seeds", default="13,14")
    parser.add_argument("--only", default="")
    parser.add_argument("--seed", type=int, default=42, help="the pipeline's seed (Leiden)")
    args = parser.parse_args()
    Path(args.cache).mkdir(parents=True, exist_ok=True)
    out = []
    with Store(Path(args.cache) / "cache.duckdb") as store:
        for name, loader in study_sets(args.seeds, only=args.only):
            texts, fine, coarse = loader()
            res = study(name, texts, fine, coarse, store, args.seed)
            out.append(res)
            print(
                name,
                " ".join(f"{r['multiple']:.2f}x:{r['nmi']:.3f}/{r['ari']:.2f}/{r['topics']}" for r in res["grid"]),
                f"cpu {res['cpu']:.0f}s",
                flush=True,
            )
            Path(args.json).write_text(json.dumps(out))


if __name__ == "__main__":
    main()
