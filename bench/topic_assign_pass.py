"""A pass over the fine map's assignments (issue 13, the topic map's fine quality): does a
label-free correction of Leiden's labels and the outlier rule raise NMI / ARI on every set?

For each set (the four shared sets and the stand-ins at draws 13 and 14) and pipeline seed,
main's map is made once as ``cluster_resolved`` makes it (the neighbour graph, ``refine``'s
resolution), Leiden's raw labels at that resolution are taken again (same seed and passes; the
script checks that ``topics_at``'s rules on them give ``refine``'s map exactly), and each
candidate pass is applied to them; the groups are then recomputed (``group_topics``) and the
goals scored as bench/topic_refine.py scores them (BERTopic's figures of topic_scale.py and
topic_group_rules.py).

Candidates ("agree" is the share of a text's k neighbours in a topic, as ``outliers`` counts
it; "weight" the share of its fuzzy-graph weight; the size floor ``MIN_TOPIC_SIZE`` is applied
after every pass):

- ``main``: today's map (Leiden, the outlier rule, the size floor).
- ``lp1`` / ``lp2``: label propagation, one / two synchronous rounds: each assigned text moves to
  the topic that holds the largest share of its graph weight among its assigned neighbours,
  then the outlier rule as today on the moved labels.
- ``lpk1``: the same by the count of its k nearest neighbours (ties: its own topic).
- ``back``: each unassigned text (outlier or left by the size floor) goes to the topic that
  holds more than half of its k neighbours, when its similarity to that topic's centre passes
  the confident members' fence (the outlier rule's own two counts, read against the topic its
  neighbours name rather than the one Leiden gave it).
- ``backw``: the same by the share of graph weight (> 1/2).
- ``lp1+back``: both.
- ``closure...``: loose topics unassigned whole (``closure_pass``'s modes); ``loose``: the
  product's ``cluster.without_loose`` (the mode ``reach_median``), on the tree's cluster.py.
- ``drop50`` / ``drop33``: assigned texts with agree < 1/2 / < 1/3 unassigned whatever their
  centre similarity (stricter outliers: the neighbour count alone); ``drop33n``: agree over
  what the topic's size allows, min(k, size - 1).
- ``closure_MODE``: whole topics unassigned by their closure (``closure_pass``: "fence",
  "fence_texts", "weak", "median", "reach", "reach_weak", "reach_median"); ``loose``: the
  product's ``cluster.without_loose`` on the same map (the working tree's cluster.py; equal to
  ``closure_reach_median``).

    PYTHONPATH=. nice /work/main/.venv/bin/python bench/topic_assign_pass.py CACHE_DIR 42,1,2 \
        [--passes main,lp1,...] [--only SETS] [--json OUT] [--timing SETS] [--halves]

``--halves``: the four data sets' two random halves (numpy seed 42) instead of the 14 rows, data
we do not have (no BERTopic figures, so no goals: the scores alone).

``--timing``: the CPU of each pass alone (after the map), medians of ``--rounds``.
"""

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
from topic_refine import missed  # noqa: E402
from topics import scores, study_sets  # noqa: E402

from evaltui.store import Store  # noqa: E402
from evaltui.topics import cluster as C  # noqa: E402
from evaltui.topics import groups as G  # noqa: E402
from evaltui.topics import nearest as N  # noqa: E402
from evaltui.topics.embed import DEFAULT_MODEL  # noqa: E402
from evaltui.topics.represent import lexical, text_vectors  # noqa: E402

OUT = C.OUTLIER


def floor(labels: np.ndarray) -> np.ndarray:
    """The size floor and renumbering of ``topics_at``."""
    labels = C.relabel(labels)
    if not (labels >= 0).any():
        return labels
    sizes = np.bincount(labels[labels >= 0])
    small = (labels >= 0) & (sizes[np.maximum(labels, 0)] < C.MIN_TOPIC_SIZE)
    return C.relabel(np.where(small, OUT, labels))


def with_outliers(vectors, labels, idx):
    return floor(np.where(C.outliers(vectors, labels, idx), OUT, labels))


def weight_vote(graph, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per text: the assigned topic with the largest summed graph weight among its neighbours,
    and that weight's share of the text's weight to assigned neighbours (-1 / 0 when none)."""
    import scipy.sparse as sp

    n = len(labels)
    on = labels >= 0
    k = int(labels.max()) + 1 if on.any() else 0
    if k == 0:
        return np.full(n, OUT), np.zeros(n)
    member = sp.csr_matrix((np.ones(on.sum()), (np.flatnonzero(on), labels[on])), shape=(n, k))
    w = (graph @ member).toarray()
    total = w.sum(axis=1)
    best = w.argmax(axis=1)
    share = np.where(total > 0, w[np.arange(n), best] / np.maximum(total, 1e-12), 0.0)
    return np.where(total > 0, best, OUT), share


def count_vote(idx: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per text: the topic most of its k neighbours sit in (assigned ones) and their share of k."""
    n, k = idx.shape
    lab = labels[idx]
    top = int(labels.max()) + 1 if (labels >= 0).any() else 0
    counts = np.zeros((n, max(top, 1)), dtype=np.int32)
    rows = np.repeat(np.arange(n), k)
    flat = lab.ravel()
    ok = flat >= 0
    np.add.at(counts, (rows[ok], flat[ok]), 1)
    best = counts.argmax(axis=1)
    share = counts[np.arange(n), best] / k
    return np.where(share > 0, best, OUT), share


def propagate(graph, idx, labels, rounds: int, by: str = "weight") -> np.ndarray:
    cur = labels.copy()
    for _ in range(rounds):
        if by == "weight":
            best, _ = weight_vote(graph, cur)
        else:
            best, share = count_vote(idx, cur)
            own = (cur[idx] == cur[:, None]).mean(axis=1)
            best = np.where(own >= share, cur, best)  # ties: stay
        cur = np.where((cur >= 0) & (best >= 0), best, cur)
    return cur


def fence(vectors, labels, idx) -> float:
    """The outlier rule's lower fence on centre similarity (confident members, Q1 - 1.5 IQR)."""
    agree = (labels[idx] == labels[:, None]).mean(axis=1)
    cents = C.centroids(vectors, labels)
    own = np.einsum("ij,ij->i", vectors, cents[np.maximum(labels, 0)])
    core = (agree >= 0.8) & (labels >= 0)
    if core.sum() < 4:
        return -np.inf
    q1, q3 = np.quantile(own[core], [0.25, 0.75])
    return float(q1 - 1.5 * (q3 - q1))


def give_back(vectors, graph, idx, labels, by: str = "count") -> np.ndarray:
    """Unassigned texts to the topic that holds over half their neighbours (count or weight),
    when they pass the confident members' fence towards that topic's centre."""
    out = labels < 0
    if not out.any() or not (labels >= 0).any():
        return labels
    if by == "count":
        best, share = count_vote(idx, labels)
    else:
        best, share = weight_vote(graph, labels)
        # weight to unassigned neighbours counts against the majority
        tot = np.asarray(graph.sum(axis=1)).ravel()
        on_w = np.asarray(graph @ (labels >= 0).astype(float)).ravel()
        share = share * on_w / np.maximum(tot, 1e-12)
    cents = C.centroids(vectors, labels)
    bar = fence(vectors, labels, idx)
    sim = np.einsum("ij,ij->i", vectors, cents[np.maximum(best, 0)])
    take = out & (best >= 0) & (share > 0.5) & (sim >= bar)
    return floor(np.where(take, best, labels))


def drop(vectors, idx, labels, below: float, reach: bool = False) -> np.ndarray:
    """Assigned texts with fewer than ``below`` of their k neighbours in their topic unassigned;
    ``reach``: the share of the neighbours the topic could hold, min(k, size - 1)."""
    agree = (labels[idx] == labels[:, None]).mean(axis=1)
    if reach and (labels >= 0).any():
        k = idx.shape[1]
        size = np.bincount(labels[labels >= 0])[np.maximum(labels, 0)]
        agree = agree * k / np.maximum(np.minimum(k, size - 1), 1)
    return floor(np.where((labels >= 0) & (agree < below), OUT, labels))


def closure_pass(vectors, graph, idx, labels, mode: str = "fence") -> np.ndarray:
    """Topics that hold too little of their texts' graph weight unassigned. A topic's closure
    is the share of its texts' summed link weight that stays inside it (internal degree over
    total degree). ``mode``: "fence": closure under the topics' lower Tukey fence (Q1 - 1.5
    IQR); "fence_texts": the same, only the flagged topics' texts with fewer than half their
    neighbours in the topic; "weak": the fence and closure under 1/2 (not a community in
    Radicchi's weak sense: less weight inside than out); "median": the fence and most of its
    texts with fewer than half their neighbours in it; "reach": the fence on closure over what
    the topic's size allows, min(1, (size - 1) / k); "reach_weak": that and under 1/2;
    "reach_median": that fence and most of its texts with fewer than half their neighbours in
    it; "reach_median_n": the same with each text's count over what the topic's size allows."""
    import scipy.sparse as sp

    on = labels >= 0
    if not on.any():
        return labels
    n, k = len(labels), int(labels.max()) + 1
    member = sp.csr_matrix((np.ones(on.sum()), (np.flatnonzero(on), labels[on])), shape=(n, k))
    inside = np.asarray((member.T @ graph @ member).diagonal()).ravel()
    degree = np.asarray(member.T @ np.asarray(graph.sum(axis=1)).ravel()).ravel()
    closure = inside / np.maximum(degree, 1e-12)
    size = np.bincount(labels[on], minlength=k)
    if mode.startswith("reach"):
        closure = closure / np.minimum(1.0, (size - 1) / idx.shape[1])
    q1, q3 = np.quantile(closure, [0.25, 0.75])
    loose = closure < q1 - 1.5 * (q3 - q1)
    agree = (labels[idx] == labels[:, None]).mean(axis=1)
    if mode in ("weak", "reach_weak"):
        loose &= closure < 0.5
    if mode in ("median", "reach_median", "reach_median_n"):
        if mode == "reach_median_n":  # agree over the neighbours the topic can hold
            agree = agree * idx.shape[1] / np.maximum(np.minimum(idx.shape[1], size[np.maximum(labels, 0)] - 1), 1)
        held = np.bincount(labels[on], weights=(agree[on] >= 0.5).astype(float), minlength=k)
        loose &= held < size / 2
    hit = on & loose[np.maximum(labels, 0)]
    if mode == "fence_texts":
        hit &= agree < 0.5
    return floor(np.where(hit, OUT, labels))


def apply(name: str, vectors, graph, idx, raw: np.ndarray, final: np.ndarray) -> np.ndarray:
    if name == "main":
        return final
    if name == "lp1":
        return with_outliers(vectors, propagate(graph, idx, raw, 1), idx)
    if name == "lp2":
        return with_outliers(vectors, propagate(graph, idx, raw, 2), idx)
    if name == "lpk1":
        return with_outliers(vectors, propagate(graph, idx, raw, 1, "count"), idx)
    if name == "back":
        return give_back(vectors, graph, idx, final, "count")
    if name == "backw":
        return give_back(vectors, graph, idx, final, "weight")
    if name == "lp1+back":
        return give_back(vectors, graph, idx, with_outliers(vectors, propagate(graph, idx, raw, 1), idx), "count")
    if name == "drop50":
        return drop(vectors, idx, final, 0.5)
    if name == "drop33":
        return drop(vectors, idx, final, 1 / 3)
    if name == "loose":  # the product's ``cluster.without_loose`` (closure_reach_median)
        return C.without_loose(graph, final, idx)
    if name.startswith("closure"):
        return closure_pass(vectors, graph, idx, final, name.partition("_")[2] or "fence")
    if name == "drop50n":
        return drop(vectors, idx, final, 0.5, True)
    if name == "drop33n":
        return drop(vectors, idx, final, 1 / 3, True)
    raise ValueError(name)


def changed(a: np.ndarray, b: np.ndarray) -> float:
    """Share of texts not in the part of ``a`` that most of their part of ``b`` came from
    (unassigned counted as one part): how much of the map a pass moved."""
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    table = np.zeros((bi.max() + 1, ai.max() + 1), dtype=np.int64)
    np.add.at(table, (bi.ravel(), ai.ravel()), 1)
    return float(1 - table.max(axis=1).sum() / len(a))


def main_map(vectors, view, seed):
    """main's map as ``cluster_resolved`` makes it, with Leiden's raw labels and the graph."""
    n = len(vectors)
    params = C.ClusterParams(seed=seed)
    k = N.neighbours(n, params.n_neighbors)
    keep = N.NEAR_KEPT * N.CANDIDATES * max(k, round(n**0.4))
    idx, sim, near = N.search(vectors, k, lexical=view, share=params.lexical_share, keep=keep)
    graph = C.fuzzy_graph(idx, sim)
    graph.near = near
    resolution, final = C.refine(vectors, graph, idx, params.resolution, seed)
    multiple = resolution / params.resolution
    its = -1 if abs(multiple - 1.0) < 1e-9 else C.REFINE_ITERATIONS
    raw = C.relabel(C.leiden(C.as_igraph(graph), resolution, seed, iterations=its))
    assert np.array_equal(with_outliers(vectors, raw, idx), final), "raw labels do not give refine's map"
    return graph, idx, raw, final, multiple


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cache")
    parser.add_argument("seeds", nargs="?", default="42,1,2")
    parser.add_argument("--passes", default="main,lp1,lp2,lpk1,back,backw,lp1+back,drop50,drop33")
    parser.add_argument("--only", default="")
    parser.add_argument("--json", default="")
    parser.add_argument("--timing", default="")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--halves", action="store_true", help="the four data sets' two random halves instead")
    args = parser.parse_args()
    passes = args.passes.split(",")
    out: list = []
    with Store(Path(args.cache) / "cache.duckdb") as store:
        if args.timing:
            for name, loader in study_sets("13", only=args.timing):
                texts, _, _ = loader()
                vectors, _ = text_vectors(store, texts, DEFAULT_MODEL)
                view = lexical(texts)
                graph, idx, raw, final, _ = main_map(vectors, view, 42)
                for p in passes:
                    ts = []
                    for _ in range(args.rounds):
                        c = time.process_time()
                        apply(p, vectors, graph, idx, raw, final)
                        ts.append(time.process_time() - c)
                    print(f"{name} {p}: {np.median(ts):.3f} s CPU (load {os.getloadavg()[0]:.1f})", flush=True)
            return
        sets = [(n, f()) for n, f in study_sets("13,14", only=args.only)]
        if args.halves:  # data we do not have: each set's two random halves (no BERTopic goals)
            sets = []
            for n, f in study_sets("13", standins=(), only=args.only):
                texts, fine, coarse = f()
                order = np.random.default_rng(42).permutation(len(texts))
                for h, part in enumerate(np.array_split(order, 2)):
                    part = np.sort(part)
                    sets.append(
                        (f"{n}/half{h}", ([texts[i] for i in part], [fine[i] for i in part], [coarse[i] for i in part]))
                    )
        for seed in [int(s) for s in args.seeds.split(",")]:
            for name, (texts, fine, coarse) in sets:
                vectors, _ = text_vectors(store, texts, DEFAULT_MODEL)
                view = lexical(texts)
                graph, idx, raw, final, multiple = main_map(vectors, view, seed)
                base_missed = None
                for p in passes:
                    c = time.process_time()
                    labels = apply(p, vectors, graph, idx, raw, final)
                    t = time.process_time() - c
                    g = G.group_topics(graph, labels, vectors, view, 0.5)
                    groups = np.where(labels >= 0, g[np.maximum(labels, 0)], -1)
                    s = scores(labels, fine, coarse, groups)
                    m = missed(name, s, list(fine)) if "/half" not in name else []
                    if p == "main":
                        base_missed = m
                    ref = base_missed if base_missed is not None else m
                    lost, gained = sorted(set(m) - set(ref)), sorted(set(ref) - set(m))
                    moved = changed(final, labels)
                    row = {"seed": seed, "name": name, "pass": p, "multiple": multiple, "cpu": t, "moved": moved}
                    out.append({**row, **s, "missed": m, "lost": lost, "gained": gained})
                    oos = (
                        f" oos {s['oos_unassigned']:.1%}/{s['oos_largest_share']:.1%}" if "oos_unassigned" in s else ""
                    )
                    print(
                        f"seed {seed} {name:24s} {multiple:.2f}x {p:9s} NMI {s['nmi']:.4f} ARI {s['ari']:.3f} "
                        f"g {s['nmi_coarse']:.3f} un {s['unassigned']:.1%} big {s['biggest']:.1%}{oos} "
                        f"changed {moved:.1%} | missed {m} lost {lost} gained {gained} | {t:.2f}s",
                        flush=True,
                    )
                if args.json:
                    Path(args.json).write_text(json.dumps(out))


if __name__ == "__main__":
    main()
