"""From embeddings to topics: a k-nearest-neighbour graph with UMAP's fuzzy weights (its
lists from ``nearest``), Leiden communities on it, outliers and loose topics left
unassigned; the topics' groups are made in ``groups``. Pure functions on arrays.

Why this and not a fixed cluster size: a minimum cluster size (HDBSCAN's) or a number of
dimensions fits one data set: intents of 170 messages want another size than intents of
30. The graph here is normalised per text (each text's neighbour weights sum to about
log2(k), UMAP's local connectivity), and Leiden's constant Potts model keeps a community
whole while the links inside it are denser than ``resolution``: a density, not a size, so
the number and size of topics come from the data, with no resolution limit.

A text is left unassigned when it sits outside its topic on both counts: it is farther from
the topic's centre than the confident members' lower fence (Tukey's Q1 - 1.5 IQR of the
similarities of texts whose neighbours agree), and fewer than half of its neighbours are in
its topic.

A topic is left unassigned whole when it sits outside the map on the same two counts
(``loose_topics``, on the map the resolution rule settles on, after it: inside ``topics_at``
it would move ``refine``'s choice): its closure (the link weight inside it over its texts'
whole link weight, divided by what its size allows, min(1, (s - 1) / k)) is under the
topics' lower fence (Q1 - 1.5 IQR), and most of its texts have fewer than half of their
neighbours in it. Why: requests no intent covers (CLINC150's 1,000 out-of-scope) are each
other's nearest for want of better, so Leiden makes topics of them whose links mostly lead
out; one text at a time they cannot be told from an intent's loose members (bench/RESULTS.md
"Out-of-scope requests"), as a topic they can. On CLINC150 it takes 11-13 topics, 91-96%
out-of-scope: NMI 0.829-0.830 -> 0.843-0.844, ARI 0.30-0.32 -> 0.49-0.51, unassigned 8.5-8.9%
-> 12.8-13.7% (pipeline seeds 42, 1, 2). Over the 14 rows (the four sets, the stand-ins at
draws 13 and 14) x 3 seeds it loses no goal and gains those three; what it costs where no
such population exists: at most one topic per row (Bitext's delete_account, 0.5-0.8% of the
texts; mixed topics of 36-76% one intent elsewhere), NMI down by 0.004 at most, ARI by
0.025. The closure
is over what the size allows because a topic smaller than the neighbourhood cannot keep its
texts' links (the raw closure's fence took pure intents of small topics), and the second
count because a fence of a tight spread (eight clean blobs, Bitext's topics) lies just under
its bulk. bench/RESULTS.md "A pass over the fine map's assignments".

How fine: a resolution that is a multiple of the graph's own density p = 2m / n(n-1) gives
nearly the same number of topics whatever the number of texts (a community of s texts has an
inner density of about log2(k) / s, against p of about log2(k) / n), where a fixed resolution
is a fixed topic size in texts (bench/RESULTS.md: 20,000 texts of one log gave 420 topics at
a fixed resolution, 129 chosen; 2,500 of them 58 and 78). Which multiple is asked of the
data (``ClusterParams.resolution`` None, `topics build --resolution auto`): the map is made
at each multiple on a grid (0.35p to 45p, steps of sqrt 2), and the one taken is the map that
changes least towards both its neighbours on the grid (the smallest mean variation of
information to the maps one step coarser and one step finer: a plateau, where the data has a
scale of its own), among the maps whose typical text sits in a topic at least as large as
its neighbourhood (finer maps are in pieces a text's own neighbours cannot agree on). Of the
label-free criteria measured (bench/RESULTS.md "The resolution from the data: the plateau of
the maps"), it is the one that meets the NMI goal on more sets than the fixed 0.0075 at
every pipeline seed and costs no set a goal the fixed value meets; silhouette and
Davies-Bouldin favour ever finer maps (DBCV too, on the stand-ins it was tried on),
Calinski-Harabasz and modularity coarse ones, and the earlier rule (the multiple whose
communities come back on 80% subsamples, ``stability``, kept for the benches that compare
it) costs 2-4x more and, on stand-ins embedded afresh, missed goals the fixed 0.0075 meets.
Above ``SELECT_AT_MOST`` texts the multiple is chosen on a seeded sample of that many, which
bounds its cost; the resolution is then that multiple of the full graph's density.

``ClusterParams.refine`` (the default): the plateau on a narrow band around the fixed
resolution, never coarser than it. The map is made at 0.35x .. 5.66x of
``ClusterParams.resolution`` (0.0075, steps of sqrt 2); the one with the smallest mean variation
of information to its two neighbours among 0.5x..4x (with the same stop rule on topics smaller
than the neighbourhood) is taken, and the fixed map when that one is coarser. The fixed map is
Leiden run to convergence; the other eight stop after ``REFINE_ITERATIONS`` (3) passes (ARI
0.97-1.0 to converged ones on CLINC150, where the end maps took 2-3x the passes of the middle
ones).
Why: at a fixed resolution a topic holds ~40 texts whatever the data, so intents of 17-30 texts
(CLINC150, its stand-ins, the unseen public sets of 1,076 texts / 64 intents and 3,080 / 77)
are merged two by two; on a band the plateau cannot wander to the far ends that made the full
grid erratic; never coarser, because a coarser map loses Bitext 1,076's biggest-topic goal (the
0.5x-2.83x band took 0.5x there) while Bitext's sets, the ones that want coarser maps, meet
every goal at 1x; and the coarse side is kept as candidates because where the data's plateau
lies there (Bitext 1,076, the sample logs) the fixed map is the right answer, where a band of
1x-4x alone took a marginally flatter finer map (Bitext 1,076 at 2.83x: NMI 0.873 -> 0.840, its
goal lost in a bench run). On cached vectors, over the four sets and the stand-ins at both
draws (14 rows) and three pipeline seeds, against the fixed map with the groups' goal counted,
it loses no goal and gains 4 / 4 / 8 at seeds 42 / 1 / 2 (CLINC150's NMI at 1 and 2, 2.83x;
64x17_oos NMI, ARI and groups at 4x; 77x30's ARI, NMI @14 at 42, groups @13 at 1), the same
as with ten maps at convergence (0.25x-5.66x, the rule measured first). What it costs: eight
more Leiden runs of three passes, paid by ``nearest.knn``'s cheaper top candidates (``_largest``): on
CLINC150 the map and its groups take 2.99 s of CPU against 3.17 s for the fixed map before
(Bitext gpt35 4.50 against 4.38, Bitext 1.82 against 1.74; medians of 5 at load 7-10). Where
no goal moves it still moves the map: the sample logs at 4x at seed 42 (NMI 0.866 -> 0.782,
ARI 0.70 -> 0.33, over the goals still), the 1,000-text stand-in at 2x. bench/RESULTS.md
"refine by default". That 4x map is the demo generator's phrasings (each intent's first messages
are written from five sentences: ARI 0.89 against intent x sentence), a plateau as flat as the
intents' scale on the coarse side; no label-free reading measured (the VI's depth over Leiden
seeds, topic size, mutual neighbours, split directions, seed reproducibility) stops that move
without costing a goal refine meets. bench/RESULTS.md "refine's finer move on the sample logs". Neighbour statistics read as a scale (the shared-neighbour overlap and
the similarity profile over the first 200 neighbours) did not track the intents' size: their
break sits at 16-29 neighbours on every set, Bitext's intents of 160 included. bench/RESULTS.md
"How fine: the plateau on a band around the default resolution".

The neighbour search is ``nearest`` (this module's graph is built on its lists); the
groups of topics are ``groups``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from evaltui.topics.nearest import CANDIDATES, NEAR_KEPT, knn, neighbours, search

OUTLIER = -1
MIN_TOPIC_SIZE = 5  # fewer texts than this are not a topic (a third of the neighbourhood)
MULTIPLES = tuple(2 ** (i / 2) for i in range(-2, 11))  # the earlier rule's multiples (``stability``)
SUBSAMPLES = 6  # resamplings per multiple (enough for a standard error)
SUBSAMPLE_FRACTION = 0.8
SELECT_AT_MOST = 5000  # texts the multiple is chosen on (a seeded sample above this)


@dataclass(frozen=True)
class ClusterParams:
    n_neighbors: int = 15  # UMAP's and BERTopic's default neighbourhood (fewer for few texts)
    # link density a topic needs (CPM; with ``refine``, the coarsest the map is made at); None:
    # chosen from the data, the plateau of the maps over multiples of the graph's density
    # 0.35p-45p (`--resolution auto`, see the module docstring; erratic at the grid's far ends,
    # bench/RESULTS.md "The resolution from the data: the plateau of the maps")
    resolution: float | None = 0.0075
    # True: the map is taken where it changes least between neighbouring steps of 0.5x..4x of
    # ``resolution``, never coarser than 1x (``refine``, the module docstring); False:
    # ``resolution`` exactly. Default: over 14 rows x 3 pipeline seeds no goal lost, 4 / 4 / 8
    # gained (the CLINC150 stand-ins, CLINC150's NMI at 2 seeds), CPU within 0.2 s of the fixed
    # map before on 4,500-6,500 texts (its eight more Leiden runs paid by ``nearest.knn``)
    refine: bool = True
    seed: int = 42
    # weight of the texts' TF-IDF cosine (``represent.lexical``) beside the vectors' when the
    # words re-rank the vectors' candidate neighbours (``nearest.knn``); 0: the vectors alone. 0.5, the
    # mean of the two: above MiniLM alone in fine NMI on 13 of the 14 measured sets and
    # stand-ins (bench/RESULTS.md "The representation: a lexical view beside MiniLM" and "The lexical
    # view re-ranks MiniLM's candidates")
    lexical_share: float = 0.5


def fuzzy_graph(idx: np.ndarray, sim: np.ndarray) -> Any:
    """UMAP's fuzzy simplicial set of the neighbour lists, as a symmetric sparse matrix:
    w = exp(-(d - rho) / sigma), rho the distance to the nearest neighbour and sigma such
    that a text's weights sum to log2(k); then the fuzzy union w + w' - w*w'."""
    import scipy.sparse as sp

    n, k = idx.shape
    dist = 1.0 - sim.astype(np.float64)
    excess = np.maximum(dist - dist[:, :1], 0.0)
    target = np.log2(max(k, 2))
    lo, hi, sigma = np.zeros(n), np.full(n, np.inf), np.ones(n)
    for _ in range(64):  # bisection on sigma, all texts at once
        total = np.exp(-excess / sigma[:, None]).sum(axis=1)
        big = total > target
        hi = np.where(big, sigma, hi)
        lo = np.where(big, lo, sigma)
        sigma = np.where(np.isinf(hi), sigma * 2, (lo + hi) / 2)
    weights = np.exp(-excess / np.maximum(sigma, 1e-12)[:, None])
    graph = sp.csr_matrix((weights.ravel(), (np.repeat(np.arange(n), k), idx.ravel())), shape=(n, n))
    return (graph + graph.T - graph.multiply(graph.T)).tocsr()


def as_igraph(graph: Any) -> Any:
    """A symmetric sparse matrix as a weighted igraph Graph (build it once to run Leiden
    on the same graph at several resolutions)."""
    import igraph as ig
    import scipy.sparse as sp

    upper = sp.triu(graph, 1).tocoo()
    return ig.Graph(
        n=graph.shape[0], edges=np.column_stack([upper.row, upper.col]).tolist(), edge_attrs={"weight": upper.data}
    )


def leiden(graph: Any, resolution: float, seed: int, objective: str = "CPM", iterations: int = -1) -> np.ndarray:
    """Leiden communities of a weighted graph (a sparse matrix or ``as_igraph``'s Graph),
    deterministic for a seed; ``iterations``: Leiden's passes (-1: until a pass changes nothing)."""
    import random

    import igraph as ig

    g = graph if isinstance(graph, ig.Graph) else as_igraph(graph)
    ig.set_random_number_generator(random.Random(seed))
    try:
        parts = g.community_leiden(
            objective_function=objective, weights="weight", resolution=resolution, n_iterations=iterations
        )
    finally:
        ig.set_random_number_generator(random)
    return np.asarray(parts.membership, dtype=np.int64)


def outliers(vectors: np.ndarray, labels: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Texts outside their topic on both counts (see the module docstring)."""
    agree = agreement(labels, idx)
    cents = centroids(vectors, labels)
    own = np.einsum("ij,ij->i", vectors, cents[labels])
    core = agree >= 0.8
    if core.sum() < 4:
        return agree < 0.5
    return (own < lower_fence(own[core])) & (agree < 0.5)


def agreement(labels: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Per text, the share of its neighbours (``idx``: its k neighbours) in its own topic."""
    return (labels[idx] == labels[:, None]).mean(axis=1)


def lower_fence(values: np.ndarray) -> float:
    """Tukey's lower fence of ``values``: Q1 - 1.5 IQR."""
    q1, q3 = np.quantile(values, [0.25, 0.75])
    return float(q1 - 1.5 * (q3 - q1))


def membership(labels: np.ndarray, k: int) -> Any:
    """The texts x topics 0/1 sparse matrix of ``labels`` (unassigned texts: empty rows)."""
    import scipy.sparse as sp

    on = labels >= 0
    return sp.csr_matrix((np.ones(int(on.sum())), (np.flatnonzero(on), labels[on])), shape=(len(labels), k))


def density(graph: Any) -> float:
    """The graph's link density 2m / n(n-1) (m the summed weight of its links)."""
    n = graph.shape[0]
    return float(graph.sum()) / max(n * (n - 1), 1)


def _subgraph(idx: np.ndarray, sim: np.ndarray, keep: np.ndarray, k: int) -> Any:
    """The fuzzy graph of the texts ``keep``, each with its k nearest neighbours among them
    (taken from a longer neighbour list, so no new similarities are computed)."""
    pos = np.full(len(idx), -1)
    pos[keep] = np.arange(len(keep))
    inside = pos[idx[keep]]
    ok = inside >= 0
    k = max(1, min(k, int(ok.sum(axis=1).min())))
    first = np.argsort(~ok, axis=1, kind="stable")[:, :k]
    return fuzzy_graph(np.take_along_axis(inside, first, axis=1), np.take_along_axis(sim[keep], first, axis=1))


def stability(idx: np.ndarray, sim: np.ndarray, k: int, seed: int, subsamples: int = SUBSAMPLES) -> np.ndarray:
    """Per multiple of ``MULTIPLES`` and per subsample: the adjusted Rand index between the
    communities of all texts and those of an 80% subsample (on the texts it holds). ``idx`` /
    ``sim``: neighbour lists longer than k (3k), so a subsample finds k neighbours in them.
    The grid stops before the first multiple at which the median text's community is smaller
    than its neighbourhood (k): such a map is in pieces a text's own neighbours cannot
    agree on (on a few hundred texts that happens from about 4p), however stable."""
    from sklearn.metrics import adjusted_rand_score

    n = len(idx)
    graph = fuzzy_graph(idx[:, :k], sim[:, :k])
    p = density(graph)
    graph = as_igraph(graph)
    rng = np.random.default_rng(seed)
    subs = []
    for _ in range(subsamples):
        keep = np.sort(rng.choice(n, int(SUBSAMPLE_FRACTION * n), replace=False))
        sub = _subgraph(idx, sim, keep, k)
        subs.append((keep, as_igraph(sub), density(sub)))
    rows: list[list[float]] = []
    for m in MULTIPLES:
        whole = leiden(graph, p * m, seed)
        if rows and np.median(np.bincount(whole)[whole]) < k:
            break  # finer still: most texts in topics smaller than their neighbourhood
        rows.append(
            [
                adjusted_rand_score(whole[keep], leiden(sub, p_sub * m, seed + j + 1))
                for j, (keep, sub, p_sub) in enumerate(subs)
            ]
        )
    return np.array(rows)


def choose_multiple(scores: np.ndarray) -> float:
    """The coarsest multiple whose stability (smoothed over its neighbours on the grid) is
    within one standard error of the most stable one's."""
    padded = np.pad(scores, ((1, 1), (0, 0)), mode="edge")
    smooth = (padded[:-2] + padded[1:-1] + padded[2:]) / 3
    mean = smooth.mean(axis=1)
    se = smooth.std(axis=1, ddof=1) / np.sqrt(smooth.shape[1])
    best = int(np.argmax(mean))
    return MULTIPLES[int(np.flatnonzero(mean >= mean[best] - se[best])[0])]  # rows: the first multiples


PLATEAU_MULTIPLES = tuple(2 ** (i / 2) for i in range(-3, 12))  # 0.35p to 45p, steps of sqrt 2


def variation_of_information(a: np.ndarray, b: np.ndarray) -> float:
    """VI(a, b) = H(a) + H(b) - 2 I(a, b), in nats (unassigned texts: one cluster)."""
    from sklearn.metrics import mutual_info_score

    def entropy(x: np.ndarray) -> float:
        share = np.bincount(x - x.min()) / len(x)
        share = share[share > 0]
        return float(-(share * np.log(share)).sum())

    return entropy(a) + entropy(b) - 2 * float(mutual_info_score(a, b))


def plateau(vectors: np.ndarray, graph: Any, idx: np.ndarray, seed: int) -> tuple[float, np.ndarray]:
    """The multiple of the graph's density p whose map changes least between its neighbours
    on ``PLATEAU_MULTIPLES`` (module docstring), and that map's labels. ``idx``: the texts'
    k-neighbour lists the graph was built from."""
    k = idx.shape[1]
    maps, typical = maps_at(vectors, graph, idx, [m * density(graph) for m in PLATEAU_MULTIPLES], seed)
    change = [
        float(np.mean([variation_of_information(maps[i], maps[j]) for j in (i - 1, i + 1) if 0 <= j < len(maps)]))
        for i in range(len(maps))
    ]
    whole = [i for i in range(len(maps)) if typical[i] >= k] or list(range(len(maps)))
    inner = [i for i in whole if 0 < i < len(maps) - 1] or whole
    best = min(inner, key=lambda i: change[i])
    return PLATEAU_MULTIPLES[best], maps[best]


REFINE_STEPS = tuple(2 ** (i / 2) for i in range(-3, 6))  # 0.35x .. 5.66x of the fixed resolution
REFINE_ITERATIONS = 3  # Leiden's passes for refine's maps other than the fixed one


def refine(vectors: np.ndarray, graph: Any, idx: np.ndarray, base: float, seed: int) -> tuple[float, np.ndarray]:
    """The resolution among 0.5x..4x of ``base`` (steps of sqrt 2) whose map changes least
    towards both its neighbours on ``REFINE_STEPS`` (the smallest mean variation of
    information, as ``plateau``), among the maps whose typical text sits in a topic at least
    as large as its neighbourhood; ``base`` itself when that map is coarser. And its labels."""
    k = idx.shape[1]
    at_base = REFINE_STEPS.index(1.0)
    maps, typical = maps_at(
        vectors,
        graph,
        idx,
        [m * base for m in REFINE_STEPS],
        seed,
        [-1 if i == at_base else REFINE_ITERATIONS for i in range(len(REFINE_STEPS))],
    )
    steps = [variation_of_information(maps[i], maps[i + 1]) for i in range(len(maps) - 1)]
    inner = range(1, len(maps) - 1)
    whole = [i for i in inner if typical[i] >= k] or [at_base]
    best = max(at_base, min(whole, key=lambda i: (steps[i - 1] + steps[i]) / 2))
    return REFINE_STEPS[best] * base, maps[best]


def maps_at(
    vectors: np.ndarray,
    graph: Any,
    idx: np.ndarray,
    resolutions: list[float],
    seed: int,
    iterations: list[int] | None = None,
) -> tuple[list[np.ndarray], list[float]]:
    """The map at each resolution (``topics_at``) and the size of the topic its typical text
    sits in (the median over texts of their topic's size; 0 when none is assigned)."""
    g = as_igraph(graph)
    its = iterations or [-1] * len(resolutions)
    maps = [topics_at(vectors, g, idx, r, seed, i) for r, i in zip(resolutions, its)]
    typical = []
    for labels in maps:
        on = labels[labels >= 0]
        typical.append(float(np.median(np.bincount(on)[on])) if len(on) else 0.0)
    return maps, typical


def topics_at(
    vectors: np.ndarray, graph: Any, idx: np.ndarray, resolution: float, seed: int, iterations: int = -1
) -> np.ndarray:
    """Topic labels at one resolution: Leiden, then outliers and topics under
    ``MIN_TOPIC_SIZE`` unassigned (0..k-1 largest first, or OUTLIER)."""
    labels = relabel(leiden(graph, resolution, seed, iterations=iterations))
    labels = np.where(outliers(vectors, labels, idx), OUTLIER, labels)
    if not (labels >= 0).any():
        return labels
    sizes = np.bincount(labels[labels >= 0], minlength=int(labels.max()) + 1)
    small = (labels >= 0) & (sizes[np.maximum(labels, 0)] < MIN_TOPIC_SIZE)
    return relabel(np.where(small, OUTLIER, labels))


def loose_topics(graph: Any, labels: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The texts of the topics outside the map on both counts, as ``outliers`` judges texts
    (see the module docstring): the topic's closure (the link weight inside it over its
    texts' whole link weight, divided by what its size allows: a text of a topic of s texts
    has at most s - 1 of its k neighbours there, min(1, (s - 1) / k)) is under the topics'
    lower fence (Tukey's Q1 - 1.5 IQR), and most of its texts have fewer than half of their
    neighbours in it. ``graph``: the symmetric sparse neighbour graph; ``idx``: the k
    neighbours of each text."""
    on = labels >= 0
    if not on.any():
        return np.zeros(len(labels), dtype=bool)
    k, topics = idx.shape[1], int(labels.max()) + 1
    member = membership(labels, topics)
    inside = np.asarray((member.T @ graph @ member).diagonal()).ravel()
    degree = member.T @ np.asarray(graph.sum(axis=1)).ravel()
    sizes = np.bincount(labels[on], minlength=topics)
    closure = inside / np.maximum(degree, 1e-12) / np.clip((sizes - 1) / max(k, 1), 1e-12, 1.0)
    held = np.bincount(labels[on], weights=(agreement(labels, idx)[on] >= 0.5).astype(np.float64), minlength=topics)
    loose = (closure < lower_fence(closure)) & (held < sizes / 2)
    return on & loose[np.maximum(labels, 0)]


def without_loose(graph: Any, labels: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``labels`` with the texts of ``loose_topics`` unassigned, renumbered largest first."""
    return relabel(np.where(loose_topics(graph, labels, idx), OUTLIER, labels))


def cluster_graph(
    vectors: np.ndarray, params: ClusterParams = ClusterParams(), lexical: Any = None
) -> tuple[np.ndarray, Any]:
    """Topic labels (0..k-1 largest first, or OUTLIER) and the neighbour graph they came from.
    ``lexical``: the texts' TF-IDF rows (``represent.lexical``), a second view for finding
    neighbours (see ``nearest.knn``); None: the vectors alone."""
    labels, graph, _ = cluster_resolved(vectors, params, lexical)
    return labels, graph


def cluster_resolved(
    vectors: np.ndarray, params: ClusterParams = ClusterParams(), lexical: Any = None
) -> tuple[np.ndarray, Any, float]:
    """As ``cluster_graph``, and the resolution used (the chosen one unless ``params`` fixes it).
    The map at that resolution (``topics_at``), then its loose topics unassigned
    (``without_loose``)."""
    n = len(vectors)
    if n < MIN_TOPIC_SIZE:
        return np.full(n, OUTLIER, dtype=np.int64), None, float("nan")
    k = neighbours(n, params.n_neighbors)
    share = params.lexical_share
    lexical = lexical if share > 0 else None
    keep = NEAR_KEPT * CANDIDATES * max(k, round(n**0.4))
    idx, sim, near = search(vectors, k, lexical=lexical, share=share, keep=keep)
    graph = fuzzy_graph(idx, sim)
    graph.near = near  # for the groups' wider neighbourhood (``groups.group_topics``)
    if params.resolution is not None and params.refine:
        resolution, labels = refine(vectors, graph, idx, params.resolution, params.seed)
    elif params.resolution is not None:
        resolution = float(params.resolution)
        labels = topics_at(vectors, graph, idx, resolution, params.seed)
    elif n <= SELECT_AT_MOST:
        multiple, labels = plateau(vectors, graph, idx, params.seed)
        resolution = multiple * density(graph)
    else:
        pick = np.sort(np.random.default_rng(params.seed).choice(n, SELECT_AT_MOST, replace=False))
        sub_idx, sub_sim = knn(
            vectors[pick],
            neighbours(SELECT_AT_MOST, params.n_neighbors),
            lexical=None if lexical is None else lexical[pick],
            share=share,
        )
        multiple, _ = plateau(vectors[pick], fuzzy_graph(sub_idx, sub_sim), sub_idx, params.seed)
        resolution = multiple * density(graph)
        labels = topics_at(vectors, graph, idx, resolution, params.seed)
    return without_loose(graph, labels, idx), graph, resolution


def cluster(vectors: np.ndarray, params: ClusterParams = ClusterParams()) -> np.ndarray:
    """Cluster labels for L2-normalised vectors: 0..k-1 (largest first) or OUTLIER."""
    if len(vectors) == 0:
        return np.zeros(0, dtype=np.int64)
    return cluster_graph(vectors, params)[0]


def centroids(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The L2-normalised mean vector of each cluster 0..k-1."""
    k = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    out = np.zeros((k, vectors.shape[1]), dtype=np.float32)
    for c in range(k):
        mean = vectors[labels == c].mean(axis=0)
        out[c] = mean / (np.linalg.norm(mean) or 1.0)
    return out


def relabel(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters 0..k-1, largest first (ties by first appearance); outliers stay -1."""
    labels = np.asarray(labels, dtype=np.int64)
    values, first, inverse, sizes = np.unique(labels, return_index=True, return_inverse=True, return_counts=True)
    inside = values != OUTLIER
    order = np.lexsort((first[inside], -sizes[inside]))  # largest first, then first seen
    mapping = np.full(len(values), OUTLIER, dtype=np.int64)
    mapping[np.flatnonzero(inside)[order]] = np.arange(len(order))
    return mapping[inverse.ravel()]


def distances(vectors: np.ndarray, cents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(nearest centroid, cosine distance to it) per vector."""
    if len(cents) == 0:
        return np.full(len(vectors), OUTLIER), np.full(len(vectors), np.nan)
    nearest = np.empty(len(vectors), dtype=np.int64)
    dist = np.empty(len(vectors), dtype=np.float64)
    for start in range(0, len(vectors), 8192):
        sims = vectors[start : start + 8192] @ cents.T
        nearest[start : start + 8192] = sims.argmax(axis=1)
        dist[start : start + 8192] = 1.0 - sims.max(axis=1)
    return nearest, dist


def radii(
    dist_to_own: np.ndarray, labels: np.ndarray, k: int, quantile: float = 0.95, floor: float = 0.05
) -> np.ndarray:
    """Per cluster, the assignment threshold: the ``quantile`` of its members' distances."""
    out = np.full(k, floor)
    for c in range(k):
        member = dist_to_own[labels == c]
        if len(member):
            out[c] = max(floor, float(np.quantile(member, quantile)))
    return out


def assign_nearest(vectors: np.ndarray, cents: np.ndarray, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest-centroid topics; a vector farther than its nearest topic's threshold is OUTLIER.

    Returns (topic per vector, distance to the nearest centroid).
    """
    nearest, dist = distances(vectors, cents)
    if len(cents) == 0:
        return nearest, dist
    topic = np.where(dist <= thresholds[nearest], nearest, OUTLIER)
    return topic, dist
