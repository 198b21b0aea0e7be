"""Issue 13 item 2 (session 30): why CLINC150's groups mix its domains, and grouping rules that
do not chain. Two steps.

``dump``: for every shared set and the stand-ins (draws 13 and 14) at each pipeline seed, the
product's fine map (``cluster_resolved`` at the defaults, lexical share 0.5, on cached vectors)
and the five readings ``group_topics`` groups (k x k, the same functions), stored per row and
seed in DUMP_DIR (the fine maps are the product's; only the grouping is studied).

``rules``: each rule on the stored readings, scored as bench/topics.py scores the groups (NMI of
the groups against the coarse labels, unassigned texts one cluster), with the goal per row of
``topic_group_rules.BT_COARSE`` + 0.05, the number of groups and how many hold one topic.
``diagnose``: per reading, its groups' coarse NMI and purity; for main's rule, where its mixed
groups come from (pairs joined directly by the agreement, or only through a chain).

    PYTHONPATH=. nice .venv/bin/python bench/topic_group_chains.py dump CACHE_DIR DUMP_DIR [--seeds 42,1,2]
    PYTHONPATH=. nice .venv/bin/python bench/topic_group_chains.py rules DUMP_DIR [--rules main,avg0.8,...]
    PYTHONPATH=. nice .venv/bin/python bench/topic_group_chains.py diagnose DUMP_DIR [--only clinc150]
"""

from __future__ import annotations

import argparse
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
import scipy.sparse as sp  # noqa: E402
from topic_group_rules import BT_COARSE  # noqa: E402
from topics import study_sets  # noqa: E402

from evaltui.topics import cluster as C  # noqa: E402
from evaltui.topics import groups as G  # noqa: E402
from evaltui.topics import nearest as N  # noqa: E402

READINGS = ("text", "wide", "runner", "centred", "words")


def dump(cache: str, out: str, seeds: list[int], only: str, noise: float = 0.0) -> None:
    """``noise``: a draw of the vectors, each component moved by N(0, noise) (seeded by the
    pipeline seed) and renormalised, rows named NAME~noise: as a machine whose encoder rounds
    otherwise (the int8 encoder's vectors differ slightly between machines)."""
    from evaltui.store import Store
    from evaltui.topics.embed import DEFAULT_MODEL
    from evaltui.topics.represent import lexical, text_vectors

    Path(out).mkdir(parents=True, exist_ok=True)
    with Store(Path(cache) / "cache.duckdb") as store:
        for name, loader in study_sets("13,14", only=only):
            texts, fine, coarse = loader()
            clean, _ = text_vectors(store, texts, DEFAULT_MODEL)
            view = lexical(texts)
            for seed in seeds:
                c0 = time.process_time()
                vectors = clean
                if noise:
                    moved = clean + np.random.default_rng(seed).normal(0, noise, clean.shape).astype(np.float32)
                    vectors = moved / np.linalg.norm(moved, axis=1, keepdims=True)
                params = C.ClusterParams(seed=seed)
                labels, graph, resolution = C.cluster_resolved(vectors, params, view)
                k = int(labels.max()) + 1
                on = labels[labels >= 0]
                typical = int(max(N.neighbours(len(labels), params.n_neighbors), np.median(np.bincount(on))))
                idx, sim = N.knn(vectors, typical, lexical=view, share=params.lexical_share)
                cents = C.centroids(vectors, labels)
                readings = [
                    G._collapse(graph, labels, k),
                    G._collapse(C.fuzzy_graph(idx, sim), labels, k),
                    G._runner_up(vectors, labels, cents),
                    G._centroid_graph(cents),
                    G._words_graph(view, labels, k),
                ]
                product = G.group_topics(graph, labels, vectors, view, params.lexical_share)
                np.savez_compressed(
                    Path(out) / f"{name}{f'~{noise:g}' if noise else ''}_{seed}.npz",
                    labels=labels,
                    fine=np.array(fine),
                    coarse=np.array(coarse),
                    cents=cents,
                    readings=np.array([r.toarray() for r in readings]),
                    product=product,
                    resolution=resolution,
                )
                print(f"{name} seed {seed}: {k} topics, {time.process_time() - c0:.1f} s CPU", flush=True)


def load_rows(path: str, only: str = "") -> list[tuple[str, int, dict]]:
    rows = []
    for name, _ in study_sets("13,14", only=only):
        for f in sorted(Path(path).glob(f"{name}*.npz")):
            head, seed = f.stem.rsplit("_", 1)
            if head.split("~")[0] == name:
                rows.append((head, int(seed), dict(np.load(f))))
    order = {s: i for i, s in enumerate((42, 1, 2))}
    return sorted(rows, key=lambda r: order.get(r[1], 9))


def coarse_nmi(d: dict, groups: np.ndarray) -> float:
    from sklearn.metrics import normalized_mutual_info_score

    labels = d["labels"]
    spread = np.where(labels >= 0, np.asarray(groups)[np.maximum(labels, 0)], -1)
    return float(normalized_mutual_info_score(d["coarse"], spread))


def majority(d: dict) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Each topic's majority coarse label (index into names) and its share of the topic."""
    labels, coarse = d["labels"], d["coarse"]
    names = sorted(set(coarse.tolist()))
    ci = np.array([names.index(x) for x in coarse])
    k = int(labels.max()) + 1
    counts = np.array([np.bincount(ci[labels == t], minlength=len(names)) for t in range(k)])
    return counts.argmax(axis=1), counts.max(axis=1) / counts.sum(axis=1), names


def purity(d: dict, groups: np.ndarray) -> float:
    """The share of assigned texts in their group's majority coarse label."""
    labels, coarse = d["labels"], d["coarse"]
    on = labels >= 0
    g = np.asarray(groups)[labels[on]]
    c = coarse[on]
    total = 0
    for x in np.unique(g):
        _, counts = np.unique(c[g == x], return_counts=True)
        total += counts.max()
    return total / on.sum()


_RUNS: dict = {}


def runs(d: dict, key: tuple, i: int, scales=(1.0,), seeds=G.GROUP_RUNS) -> list[np.ndarray]:
    """Leiden (modularity) runs of reading i at ``group_resolution`` x each scale, seeds 0..seeds-1."""
    ck = (key, i, tuple(scales), seeds)
    if ck not in _RUNS:
        b = sp.csr_matrix(d["readings"][i])
        k = b.shape[0]
        if b.nnz == 0:
            _RUNS[ck] = [np.arange(k)] * (len(scales) * seeds)
        else:
            g = C.as_igraph(b)
            base = G.group_resolution(g, k)
            _RUNS[ck] = [C.leiden(g, base * s, seed, objective="modularity") for s in scales for seed in range(seeds)]
    return _RUNS[ck]


def medoids(d: dict, key: tuple, which=range(5), scale: float = 1.0) -> np.ndarray:
    return np.array([G.most_agreed(runs(d, key, i, (scale,))) for i in which])


def cc(mask: np.ndarray) -> np.ndarray:
    from scipy.sparse.csgraph import connected_components

    m = mask.copy()
    np.fill_diagonal(m, False)
    return connected_components(sp.csr_matrix(m), directed=False)[1]


def linkage_groups(share: np.ndarray, at_least: float, method: str = "average") -> np.ndarray:
    """Agglomerative on 1 - share, merged while the linkage's share is >= at_least."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    if len(share) < 2:
        return np.zeros(len(share), dtype=np.int64)
    dist = 1.0 - share
    np.fill_diagonal(dist, 0.0)
    z = linkage(squareform(np.clip(dist, 0, None), checks=False), method)
    return fcluster(z, 1.0 - at_least + 1e-9, "distance") - 1


def agreement(parts: np.ndarray) -> np.ndarray:
    a = (parts[:, :, None] == parts[:, None, :]).mean(axis=0)
    np.fill_diagonal(a, 0.0)
    return a


def rule(name: str, d: dict, key: tuple) -> np.ndarray:
    """The groups of rule ``name`` on stored row ``d`` (see ``show_rules``' docstring);
    ``RULE|nc``: the same with the centroids' reading on raw centroids (the mean not taken off)."""
    if name.endswith("|nc"):
        cents = d["cents"]
        readings = d["readings"].copy()
        readings[3] = G._above_median(cents @ cents.T).toarray()
        return rule(name[:-3], {**d, "readings": readings}, (*key, "nc"))
    k = d["readings"].shape[1]
    if name == "product":
        return d["product"]
    if name == "(topics)":
        return np.arange(k)
    if name == "(oracle)":
        return majority(d)[0]
    if name.startswith("R") and name[1:].isdigit():  # one reading's medoid
        return medoids(d, key, [int(name[1:])])[0]
    parts = medoids(d, key)
    a = agreement(parts)
    if name == "main":  # connected components of all-but-one agreeing
        return cc(a >= (len(parts) - 1) / len(parts) - 1e-9)
    if name == "clique":  # complete linkage: every pair in a group agreed on all but one
        return linkage_groups(a, (len(parts) - 1) / len(parts), "complete")
    if name.startswith("sc"):  # sc<scale>_<t>: each reading's medoid at scale x its sqrt resolution, avg >= t
        scale, t = name[2:].split("_")
        return linkage_groups(agreement(medoids(d, key, scale=float(scale))), float(t), "average")
    if name.startswith("avg"):  # average linkage on the medoids' agreement, merged while >= t
        return linkage_groups(a, float(name[3:]), "average")
    if name.startswith("wavg"):
        return linkage_groups(a, float(name[4:]), "weighted")
    if name.startswith("co"):  # co-association over all 80 runs, average linkage >= t
        allruns = np.array([r for i in range(5) for r in runs(d, key, i)])
        return linkage_groups(agreement(allruns), float(name[2:]), "average")
    if name.startswith("cpm"):  # CPM on the agreement shares: a group's pairs agree >= t on average
        g = C.as_igraph(sp.csr_matrix(a))
        t = float(name[3:])
        return G.most_agreed([C.leiden(g, t, s) for s in range(G.GROUP_RUNS)])
    if name.startswith("leid"):  # modularity groups of the all-but-one agreement graph at resolution r
        m = a >= (len(parts) - 1) / len(parts) - 1e-9
        w = sp.csr_matrix(np.where(m, a, 0.0))
        if w.nnz == 0:
            return np.arange(k)
        g = C.as_igraph(w)
        return G.most_agreed([C.leiden(g, float(name[4:]), s, objective="modularity") for s in range(G.GROUP_RUNS)])
    raise SystemExit(f"unknown rule {name}")


def show_rules(path: str, names: list[str], only: str, quiet: bool = False) -> None:
    """Each rule on each stored row; the first rule is the reference for "lost"."""
    met: dict = {n: {} for n in names}
    margin: dict = {n: {} for n in names}
    base: dict = {}
    lost: dict = {n: [] for n in names}
    counts: dict = {n: {} for n in names}
    print("set | seed | topics | goal | " + " | ".join(names), flush=True)
    for name, seed, d in load_rows(path, only):
        goal = BT_COARSE[name.split("~")[0]] + 0.05
        cells = []
        for n in names:
            g = np.asarray(rule(n, d, (name, seed)))
            v = coarse_nmi(d, g)
            sizes = np.bincount(np.unique(g, return_inverse=True)[1].ravel())
            met[n].setdefault(seed, 0)
            met[n][seed] += v >= goal
            if name.startswith("clinc150") and "_" not in name:
                margin[n].setdefault(seed, []).append(v - goal)
            if n == names[0]:
                base[(name, seed)] = v >= goal
            elif base.get((name, seed)) and v < goal:
                lost[n].append(f"{name}@{seed}")
            counts[n].setdefault(name, []).append(f"{len(sizes)}/{int((sizes == 1).sum())}")
            cells.append(f"{v:.3f}{'*' if v >= goal else ' '}({len(sizes)}/{int((sizes == 1).sum())})")
        if not quiet:
            print(f"{name} | {seed} | {d['readings'].shape[1]} | {goal:.3f} | " + " | ".join(cells), flush=True)
    for n in names:
        print(
            f"{n}: rows met "
            + " / ".join(f"{v}" for v in met[n].values())
            + " at seeds "
            + " / ".join(str(s) for s in met[n])
            + "; CLINC150 margins "
            + " ".join(f"{x:+.3f}" for v in margin[n].values() for x in v)
            + f"; lost against {names[0]}: {lost[n]}",
            flush=True,
        )
        print("   groups/singles: " + "; ".join(f"{k} {' '.join(v)}" for k, v in counts[n].items()), flush=True)


def diagnose(path: str, only: str) -> None:
    for name, seed, d in load_rows(path, only):
        key = (name, seed)
        k = d["readings"].shape[1]
        maj, share, names = majority(d)
        print(f"== {name} seed {seed}: {k} topics; topics alone {coarse_nmi(d, np.arange(k)):.3f}", flush=True)
        for i, r in enumerate(READINGS):
            g = medoids(d, key, [i])[0]
            print(
                f"  reading {r:8s}: groups {len(set(g.tolist())):3d} coarse NMI {coarse_nmi(d, g):.3f} "
                f"purity {purity(d, g):.3f}",
                flush=True,
            )
        parts = medoids(d, key)
        a = agreement(parts) * len(parts)
        main = cc(a >= len(parts) - 1)
        print(f"  main: {len(set(main.tolist()))} groups, NMI {coarse_nmi(d, main):.3f}, purity {purity(d, main):.3f}")
        # pairs inside main's groups: same majority domain or not, joined directly (>= n-1) or by a chain
        same = maj[:, None] == maj[None, :]
        inside = main[:, None] == main[None, :]
        np.fill_diagonal(inside, False)
        direct = a >= len(parts) - 1
        for label, m in (("direct", inside & direct), ("chained", inside & ~direct)):
            n = int(m.sum() // 2)
            mixed = int((m & ~same).sum() // 2)
            print(f"  pairs in groups {label:8s}: {n:5d}, of which across domains {mixed:5d}")
        # the pairs the readings agree on that cross domains: which readings put them together
        across = direct & ~same
        iu = np.triu_indices(k, 1)
        pick = across[iu]
        if pick.any():
            together = (parts[:, :, None] == parts[:, None, :])[:, iu[0], iu[1]][:, pick]
            print(
                "  cross-domain direct pairs, readings that join them: "
                + ", ".join(f"{r} {together[i].mean():.2f}" for i, r in enumerate(READINGS)),
            )
            same_pick = (direct & same)[iu]
            together_same = (parts[:, :, None] == parts[:, None, :])[:, iu[0], iu[1]][:, same_pick]
            print(
                "  same-domain direct pairs, readings that join them:  "
                + ", ".join(f"{r} {together_same[i].mean():.2f}" for i, r in enumerate(READINGS)),
            )
        oos = names.index("oos") if "oos" in names else -1
        iu = np.triu_indices(k, 1)
        for r in ("main", "avg0.8"):
            g = np.asarray(rule(r, d, key))
            sizes = np.bincount(np.unique(g, return_inverse=True)[1].ravel())
            pair = (g[:, None] == g[None, :])[iu] & (maj[iu[0]] != maj[iu[1]])
            with_oos = int((((maj[iu[0]] == oos) | (maj[iu[1]] == oos)) & pair).sum())
            print(
                f"  {r}: {len(sizes)} groups, {int((sizes == 1).sum())} of one topic, largest {sizes.max()}, "
                f"{(k - (sizes == 1).sum()) / max(1, (sizes > 1).sum()):.1f} topics per group of 2+, "
                f"purity {purity(d, g):.3f}, cross-domain pairs in groups {int(pair.sum())} "
                f"(with a topic mostly out-of-scope {with_oos})"
            )
        for g in np.unique(main):
            members = np.flatnonzero(main == g)
            doms = [names[maj[t]] for t in members]
            if len(set(doms)) > 1:
                sub = a[np.ix_(members, members)]
                clique = bool(((sub >= len(parts) - 1) | np.eye(len(members), dtype=bool)).all())
                print(
                    f"  mixed group {g}: {len(members)} topics, {'clique' if clique else 'chain'}: "
                    + ", ".join(f"{names[x]} {doms.count(names[x])}" for x in sorted(set(maj[members])))
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("dump", "rules", "diagnose"))
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--seeds", default="42,1,2")
    parser.add_argument("--only", default="")
    parser.add_argument("--rules", default="main,product,(topics),(oracle)")
    parser.add_argument("--noise", type=float, default=0.0, help="dump: a draw of the vectors (see dump)")
    parser.add_argument("--quiet", action="store_true", help="rules: the summary only")
    args = parser.parse_args()
    if args.step == "dump":
        dump(args.paths[0], args.paths[1], [int(s) for s in args.seeds.split(",")], args.only, args.noise)
    elif args.step == "rules":
        show_rules(args.paths[0], args.rules.split(","), args.only, args.quiet)
    else:
        diagnose(args.paths[0], args.only)


if __name__ == "__main__":
    main()
