"""refine's finer move, read from the data (issue 13, session 30, branch issue-13cap).

``cluster.refine`` takes the map among 1x..4x of 0.0075 (steps of sqrt 2) whose map changes
least towards its two neighbours (mean variation of information, VI), never coarser than 1x.
On the sample logs at pipeline seed 42 that is 4x (133 topics for 32 intents). This script
records, per row (the four shared sets and the stand-ins at draws 13 and 14) and pipeline seed,
everything a label-free rule could read, and the labels' verdict on each candidate map, so
rules can be scored offline (``--rules``):

- the VI curve of refine's nine maps (0.35x..5.66x; Leiden to convergence at 1x, 3 passes
  elsewhere, exactly as ``refine``) at the pipeline seed and at ``NOISE`` other Leiden seeds
  (the curve's noise), each map's typical topic size (median over texts) and topic count;
- the ARI between the maps of two Leiden seeds at each step (how reproducible a scale is);
- per finer candidate against the 1x map: H(1x | finer) and H(finer | 1x) (regroupings
  against splits), and the split directions' agreement (each finer topic's centroid less its
  1x parent's: does one direction recur across parents, a factor crossing the topics, such as
  the sample logs' tones, or is each split its own);
- the texts' mutual-neighbour components (median size of a text's component);
- per candidate 1x..4x at the pipeline seed: the map's scores and groups (``group_topics``)
  and the goals it misses (bench/topic_refine.py's ``missed``); on the sample logs also NMI
  against intent x tone.

Then three follow-ups on the same cache:
- ``--phrasings``: the sample logs' nine maps (seed 42) against the intents and against intent x
  phrasing (which of the generator's five "ask" sentences of an intent, ``evaltui/demo/texts.py``,
  a first message was written from), on the product's graph and on MiniLM's alone;
- ``--seed-ari ROWS``: the mean (and sd) pairwise ARI of the maps of 8 Leiden seeds at 1x..4x;
- ``--repro JSON``: per row and pipeline seed where refine goes finer, the mean pairwise ARI of
  4 Leiden seeds' maps (the seed, +1000, +2000, +3000) at 1x and at the pick, and what three
  reproducibility rules would do (keep the pick only when it is no less reproducible than 1x;
  or within one pair-sd of it; or within one standard error).

    PYTHONPATH=. nice .venv/bin/python bench/topic_cap.py CACHE_DIR --json OUT [--seeds 42,1,2] [--only ...]
    PYTHONPATH=. .venv/bin/python bench/topic_cap.py --rules OUT
    PYTHONPATH=. nice .venv/bin/python bench/topic_cap.py CACHE_DIR --phrasings
    PYTHONPATH=. nice .venv/bin/python bench/topic_cap.py CACHE_DIR --seed-ari sample_logs,clinc150_64x17_oos@13,...
    PYTHONPATH=. nice .venv/bin/python bench/topic_cap.py CACHE_DIR --repro OUT
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
warnings.filterwarnings("ignore")
import numpy as np  # noqa: E402

NOISE = (1000, 2000, 3000, 4000)  # Leiden seeds added to the pipeline seed for the curve's noise
AT_BASE = 3  # index of 1x in cluster.REFINE_STEPS
CANDIDATES = range(3, 8)  # 1x .. 4x


def cond_entropy(a: np.ndarray, b: np.ndarray) -> float:
    """H(a | b) in nats."""
    from sklearn.metrics import mutual_info_score

    share = np.bincount(a - a.min()) / len(a)
    share = share[share > 0]
    return float(-(share * np.log(share)).sum()) - float(mutual_info_score(a, b))


def split_directions(vectors: np.ndarray, base: np.ndarray, fine: np.ndarray) -> dict:
    """Each finer topic whose texts sit mostly (> half) in one 1x topic that is split: its
    centroid less the parent's, normalised. Per such piece the best cosine to a piece of
    another parent; the median of those (a factor crossing the topics gives high values)."""
    from evaltui.topics.cluster import centroids

    on = (base >= 0) & (fine >= 0)
    cb = centroids(vectors, np.where(on, base, -1))
    cf = centroids(vectors, np.where(on, fine, -1))
    parent, dirs = [], []
    for t in range(len(cf)):
        members = base[on & (fine == t)]
        if not len(members):
            continue
        p = int(np.bincount(members).argmax())
        if np.mean(members == p) <= 0.5:
            continue
        if len(set(fine[on & (base == p)].tolist())) < 2:
            continue
        d = cf[t] - cb[p]
        if np.linalg.norm(d) == 0:
            continue
        parent.append(p)
        dirs.append(d / np.linalg.norm(d))
    if len(dirs) < 4:
        return {"pieces": len(dirs), "best_other": None}
    D = np.array(dirs)
    cos = D @ D.T
    par = np.array(parent)
    cos[par[:, None] == par[None, :]] = -np.inf
    return {"pieces": len(dirs), "best_other": float(np.median(cos.max(axis=1)))}


def mutual_components(idx: np.ndarray) -> float:
    """Median over texts of the size of their component in the mutual k-neighbour graph."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    n, k = idx.shape
    a = sp.csr_matrix((np.ones(n * k), (np.repeat(np.arange(n), k), idx.ravel())), shape=(n, n))
    m = a.multiply(a.T)
    comp = connected_components(m, directed=False)[1]
    sizes = np.bincount(comp)
    return float(np.median(sizes[comp]))


def tones() -> dict:
    """Each distinct first message of the sample logs: its intent and tone ("intent/tone")."""
    from topics import first_messages

    return {text: meta["intent"] + "/" + meta.get("tone", "") for text, meta in first_messages()}


def row_graph(store, loader) -> tuple:
    """(texts, fine, coarse, vectors, view, idx, graph) of one row, as the product builds them."""
    from evaltui.topics import cluster as C
    from evaltui.topics import nearest as N
    from evaltui.topics.embed import DEFAULT_MODEL
    from evaltui.topics.represent import lexical, text_vectors

    texts, fine, coarse = loader()
    vectors, _ = text_vectors(store, texts, DEFAULT_MODEL)
    view = lexical(texts)
    k = N.neighbours(len(texts), C.ClusterParams().n_neighbors)
    idx, sim = N.knn(vectors, k, lexical=view, share=C.ClusterParams().lexical_share)
    return texts, fine, coarse, vectors, view, idx, C.fuzzy_graph(idx, sim)


def phrasings(args) -> None:
    import re

    from sklearn.metrics import adjusted_rand_score as ari
    from sklearn.metrics import normalized_mutual_info_score as nmi
    from topics import load

    from evaltui.demo.texts import _INTENTS
    from evaltui.store import Store
    from evaltui.topics import cluster as C
    from evaltui.topics import nearest as N

    pats = {
        intent: [
            re.compile(".*?".join(re.escape(p) for p in re.split(r"\{\w+\}", a[1:])), re.I | re.S) for a in spec["ask"]
        ]
        for intents in _INTENTS.values()
        for intent, spec in intents.items()
    }
    texts, fine, _ = load("sample_logs")
    ask = []
    for t, f in zip(texts, fine):
        hit = [j for j, p in enumerate(pats[f]) if p.search(t)]
        ask.append(f"{f}/{hit[0] if hit else 'none'}")
    unmatched = sum(a.endswith("/none") for a in ask)
    print(f"intent x phrasing: {len(set(ask))} classes, {unmatched} texts matched no ask sentence (own class)")
    its = [-1 if i == AT_BASE else C.REFINE_ITERATIONS for i in range(len(C.REFINE_STEPS))]
    with Store(Path(args.cache) / "cache.duckdb") as store:
        _, _, _, vectors, _, idx, graph = row_graph(store, lambda: load("sample_logs"))
        idx0, sim0 = N.knn(vectors, idx.shape[1])
        for label, (ix, g) in {"lexical 0.5": (idx, graph), "MiniLM alone": (idx0, C.fuzzy_graph(idx0, sim0))}.items():
            maps, typical = C.maps_at(vectors, g, ix, [m * 0.0075 for m in C.REFINE_STEPS], 42, its)
            vi = [C.variation_of_information(maps[i], maps[i + 1]) for i in range(len(maps) - 1)]
            print(f"{label}: VI between neighbouring maps " + " ".join(f"{x:.3f}" for x in vi))
            for m, step, typ in zip(maps, C.REFINE_STEPS, typical):
                on = m >= 0
                print(
                    f"  {step:.2f}x topics {int(m.max()) + 1:3d} typical {typ:3.0f} | intent NMI {nmi(fine, m):.3f} "
                    f"ARI {ari(np.array(fine)[on], m[on]):.3f} | intent x phrasing NMI {nmi(ask, m):.3f} "
                    f"ARI {ari(np.array(ask)[on], m[on]):.3f}"
                )


def seed_ari(args) -> None:
    import itertools

    from sklearn.metrics import adjusted_rand_score as ari
    from topics import study_sets

    from evaltui.store import Store
    from evaltui.topics import cluster as C

    seeds = [42, 1, 2, 1042, 1001, 1002, 2042, 3042]
    with Store(Path(args.cache) / "cache.duckdb") as store:
        for name, loader in study_sets("13,14", only=args.seed_ari):
            _, _, _, vectors, _, idx, graph = row_graph(store, loader)
            g = C.as_igraph(graph)
            cells = []
            for i in CANDIDATES:
                its = -1 if i == AT_BASE else C.REFINE_ITERATIONS
                maps = [C.topics_at(vectors, g, idx, C.REFINE_STEPS[i] * 0.0075, s, its) for s in seeds]
                a = np.array([ari(x, y) for x, y in itertools.combinations(maps, 2)])
                cells.append(f"{C.REFINE_STEPS[i]:.2f}x {a.mean():.3f}±{a.std(ddof=1):.3f} (min {a.min():.2f})")
            print(f"{name:24s} pairwise ARI, {len(seeds)} seeds: " + " | ".join(cells), flush=True)


def repro(args) -> None:
    import itertools

    from sklearn.metrics import adjusted_rand_score as ari
    from topics import study_sets

    from evaltui.store import Store
    from evaltui.topics import cluster as C

    rows = {r["name"]: r for r in json.loads(Path(args.repro).read_text())}
    tally = {s: {"no_lower": [0, 0], "within_sd": [0, 0], "within_se": [0, 0]} for s in ("42", "1", "2")}
    with Store(Path(args.cache) / "cache.duckdb") as store:
        for name, loader in study_sets("13,14"):
            row = rows.get(name)
            todo = [(s, rec) for s, rec in (row or {}).get("seeds", {}).items() if rec["pick"] > 1.0]
            if not todo:
                continue
            _, _, _, vectors, _, idx, graph = row_graph(store, loader)
            g = C.as_igraph(graph)
            for s, rec in todo:
                p = min(range(len(C.REFINE_STEPS)), key=lambda i: abs(C.REFINE_STEPS[i] - rec["pick"]))
                res = {}
                for i in (AT_BASE, p):
                    its = -1 if i == AT_BASE else C.REFINE_ITERATIONS
                    maps = [
                        C.topics_at(vectors, g, idx, C.REFINE_STEPS[i] * 0.0075, int(s) + d, its)
                        for d in (0, 1000, 2000, 3000)
                    ]
                    a = np.array([ari(x, y) for x, y in itertools.combinations(maps, 2)])
                    res[i] = (float(a.mean()), float(a.std(ddof=1)))
                (a1, s1), (ap, sp) = res[AT_BASE], res[p]
                keep = {"no_lower": ap >= a1, "within_sd": a1 - ap <= sp, "within_se": a1 - ap <= sp / np.sqrt(6)}
                at_pick, at_1x = set(rec["cand"][str(p)]["missed"]), set(rec["cand"][str(AT_BASE)]["missed"])
                for rule, ok in keep.items():
                    if not ok:
                        tally[s][rule][0] += len(at_1x - at_pick)
                        tally[s][rule][1] += len(at_pick - at_1x)
                print(
                    f"{name:24s} seed {s:>2s} pick {rec['pick']:.2f}x  ARI of 4 seeds: 1x {a1:.3f}±{s1:.3f}  "
                    f"pick {ap:.3f}±{sp:.3f}  "
                    + " ".join(f"{r}:{'keep' if ok else '1x'}" for r, ok in keep.items())
                    + f"  | goals missed at the pick {sorted(at_pick)}, at 1x {sorted(at_1x)}",
                    flush=True,
                )
    for s, rules in tally.items():
        print(
            f"seed {s}: lost / gained against main's refine " + "  ".join(f"{r} {a}/{b}" for r, (a, b) in rules.items())
        )


def study(args) -> None:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
    from topic_refine import missed
    from topics import scores, study_sets

    from evaltui.store import Store
    from evaltui.topics import cluster as C
    from evaltui.topics import groups as G
    from evaltui.topics import nearest as N
    from evaltui.topics.embed import DEFAULT_MODEL
    from evaltui.topics.represent import lexical, text_vectors

    params = C.ClusterParams()
    steps_at = [m * params.resolution for m in C.REFINE_STEPS]
    its = [-1 if i == AT_BASE else C.REFINE_ITERATIONS for i in range(len(C.REFINE_STEPS))]
    tone_of = tones()
    seeds = [int(s) for s in args.seeds.split(",")]
    out = []
    with Store(Path(args.cache) / "cache.duckdb") as store:
        for name, loader in study_sets("13,14", only=args.only):
            texts, fine, coarse = loader()
            t0 = time.process_time()
            vectors, _ = text_vectors(store, texts, DEFAULT_MODEL)
            view = lexical(texts)
            k = N.neighbours(len(texts), params.n_neighbors)
            idx, sim = N.knn(vectors, k, lexical=view, share=params.lexical_share)
            graph = C.fuzzy_graph(idx, sim)
            row: dict = {"name": name, "n": len(texts), "k": k, "mutual": mutual_components(idx), "seeds": {}}
            row["intents"] = len(set(fine) - {"oos"})
            it = [tone_of.get(t, "") for t in texts] if name.startswith("sample_logs") else None
            for seed in seeds:
                curves = {}
                maps_by = {}
                for s in [seed] + [seed + d for d in NOISE]:
                    maps, typical = C.maps_at(vectors, graph, idx, steps_at, s, its)
                    vi = [C.variation_of_information(maps[i], maps[i + 1]) for i in range(len(maps) - 1)]
                    curves[s] = {
                        "vi": vi,
                        "typical": typical,
                        "topics": [int(m.max()) + 1 for m in maps],
                        "unassigned": [float(np.mean(m < 0)) for m in maps],
                    }
                    maps_by[s] = maps
                maps = maps_by[seed]
                other = maps_by[seed + NOISE[0]]
                rec: dict = {
                    "curves": {str(s): c for s, c in curves.items()},
                    "ari_seeds": [float(adjusted_rand_score(a, b)) for a, b in zip(maps, other)],
                    "pick": float(C.refine(vectors, graph, idx, params.resolution, seed)[0] / params.resolution),
                    "cand": {},
                }
                for i in CANDIDATES:
                    m = maps[i]
                    g = G.group_topics(graph, m, vectors, view, params.lexical_share)
                    groups = np.where(m >= 0, g[np.maximum(m, 0)], -1)
                    sc = scores(m, fine, coarse, groups)
                    on = (maps[AT_BASE] >= 0) & (m >= 0)
                    c = {
                        "scores": sc,
                        "missed": missed(name, sc, fine),
                        "regroup": cond_entropy(maps[AT_BASE][on], m[on]),
                        "split": cond_entropy(m[on], maps[AT_BASE][on]),
                        "directions": split_directions(vectors, maps[AT_BASE], m) if i > AT_BASE else None,
                        "directions_half": split_directions(vectors, maps[AT_BASE - 1], maps[AT_BASE])
                        if i == AT_BASE
                        else None,
                    }
                    if it is not None:
                        c["nmi_intent_tone"] = float(normalized_mutual_info_score(it, m))
                    rec["cand"][str(i)] = c
                row["seeds"][str(seed)] = rec
                print(
                    f"{name:24s} seed {seed:3d} pick {rec['pick']:.2f}x  vi "
                    + " ".join(f"{v:.3f}" for v in curves[seed]["vi"])
                    + "  ari_seeds "
                    + " ".join(f"{a:.2f}" for a in rec["ari_seeds"])
                    + "  typical "
                    + " ".join(f"{t:.0f}" for t in curves[seed]["typical"]),
                    flush=True,
                )
            row["cpu"] = time.process_time() - t0
            print(f"{name}: mutual-component median {row['mutual']:.0f}, k {k}, {row['cpu']:.1f} s", flush=True)
            out.append(row)
            Path(args.json).write_text(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cache", nargs="?", default="")
    parser.add_argument("--json", default="")
    parser.add_argument("--seeds", default="42,1,2")
    parser.add_argument("--only", default="")
    parser.add_argument("--rules", default="")
    parser.add_argument("--phrasings", action="store_true")
    parser.add_argument("--seed-ari", default="")
    parser.add_argument("--repro", default="")
    args = parser.parse_args()
    if args.phrasings:
        return phrasings(args)
    if args.seed_ari:
        return seed_ari(args)
    if args.repro:
        return repro(args)
    if args.rules:
        from topic_cap_rules import curves_table, report

        rows = json.loads(Path(args.rules).read_text())
        curves_table(rows)
        report(rows)
        return
    study(args)


if __name__ == "__main__":
    main()
