"""From embeddings to topics and groups: a k-nearest-neighbour graph with UMAP's fuzzy
weights, Leiden communities on it, outliers left unassigned, then groups of topics.
Pure functions on arrays.

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
more Leiden runs of three passes, paid by ``knn``'s cheaper top candidates (``_largest``): on
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

Groups: where the readings of the topics' nearness agree (``group_topics``): the text graph
collapsed to topics, the same similarity over a neighbourhood as large as the median topic
collapsed, each text's runner-up topic, the centred centroids' cosines and, with the lexical
view, the topics' words (their c-TF-IDF cosines); each reading is grouped by modularity at
the coarsest resolution that gives at least sqrt(k) groups for k topics
(``group_resolution``), and two topics share a group when all the groupings but at most one
put them together, on average over the pairs of topics of the two groups joined (average
linkage on the share of the groupings that agree, ``_together``: no chains, where the
connected components of that agreement joined two domains through one agreeing pair). One Leiden run is a draw among near-equal partitions (on
the sample logs 4 groups or 5, coarse NMI 0.46 or 0.55 by seed), so each reading's groups
are the medoid of ``GROUP_RUNS`` runs at seeds 0..15: the run with the highest summed
adjusted Rand index to the others. Deterministic, independent of ``ClusterParams.seed``;
the wider neighbourhood's candidates come from the lists the text graph's neighbour search
kept (``Near``: ``NEAR_KEPT`` x its candidates per text), with no second pass over all pairs
unless the median topic outgrows them (blocks with texts tied at their cut, duplicates, are
multiplied again; the same neighbours either way), the rest 0.1-0.3 s
per reading. bench/RESULTS.md "Groups: the consensus of 16 seeds",
"Groups: at least sqrt(k) of them", "Groups: where four readings agree", "Groups: the
topics' words as a fifth reading" and "Groups: all readings but one, on average, without
chains".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

OUTLIER = -1
MIN_TOPIC_SIZE = 5  # fewer texts than this are not a topic (a third of the neighbourhood)
MULTIPLES = tuple(2 ** (i / 2) for i in range(-2, 11))  # the earlier rule's multiples (``stability``)
SUBSAMPLES = 6  # resamplings per multiple (enough for a standard error)
SUBSAMPLE_FRACTION = 0.8
SELECT_AT_MOST = 5000  # texts the multiple is chosen on (a seeded sample above this)
GROUP_RUNS = 16  # seeds of the topics' grouping the consensus is taken over
CANDIDATES = 2  # with the lexical view, the words re-rank the vectors' nearest 2 x n**0.4 (``knn``)
NEAR_KEPT = 2  # the text graph's search keeps NEAR_KEPT x its candidates per text for the groups' (``Near``)


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
    # map before on 4,500-6,500 texts (its eight more Leiden runs paid by ``knn``)
    refine: bool = True
    seed: int = 42
    # weight of the texts' TF-IDF cosine (``represent.lexical``) beside the vectors' when the
    # words re-rank the vectors' candidate neighbours (``knn``); 0: the vectors alone. 0.5, the
    # mean of the two: above MiniLM alone in fine NMI on 13 of the 14 measured sets and
    # stand-ins (bench/RESULTS.md "The representation: a lexical view beside MiniLM" and "The lexical
    # view re-ranks MiniLM's candidates")
    lexical_share: float = 0.5


def neighbours(n: int, most: int) -> int:
    """The neighbourhood for n texts: ``most``, but n**0.4 when that is smaller (6 for 88
    texts), so that on a small log a neighbourhood stays smaller than a topic."""
    return int(max(3, min(most, round(n**0.4))))


def knn(
    vectors: np.ndarray, k: int, block: int = 2048, lexical: Any = None, share: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Each text's k nearest neighbours (not itself), nearest first, and their similarities.
    Exact, in blocks, so memory stays at block x n (vectors L2-normalised).

    ``lexical``: the texts' L2-normalised sparse TF-IDF rows (``represent.lexical``). The
    candidates are then the vectors' nearest ``CANDIDATES`` x max(k, n**0.4) (twice the
    neighbourhood ``neighbours`` gives n texts before its cap: 12 of 88 texts, 32 of 1,000,
    62 of 5,500), and of those the k with the highest (1 - share) x the vectors' cosine +
    share x the lexical one: the words re-rank MiniLM's candidates, they never bring in a text
    MiniLM puts farther. Why: ranked over all texts, the mixed similarity lets two requests
    that share only a wrapper or a phrase ("Good morning, how long does standard shipping take
    Thanks." and "Excuse me, how long does a refund take after the return arrives Can you
    check?") be each other's nearest, over texts MiniLM ranks far nearer: on the tests'
    88-conversation fixture (4 requests x 22) the shipping questions joined the refund topic,
    where MiniLM alone, and this rule, give the 4 requests exactly. Measured over every set and stand-in (two draws): fine NMI
    above MiniLM alone on 13 of 14 rows (not CLINC150 64x17_oos @13: 0.809 against 0.824),
    groups higher on 11
    (bench/RESULTS.md "The lexical view re-ranks MiniLM's candidates")."""
    return _knn(vectors, k, block, lexical, share)[:2]


@dataclass(frozen=True)
class Near:
    """Each text's ``cols.shape[1]`` nearest other texts by the vectors alone (per row: the
    columns as ``_largest`` gives them, their cosines ``vals``, the same floats as the block
    products'), kept by one neighbour search for a later one over the same ``vectors``."""

    vectors: np.ndarray
    cols: np.ndarray
    vals: np.ndarray


def _knn(
    vectors: np.ndarray,
    k: int,
    block: int = 2048,
    lexical: Any = None,
    share: float = 0.5,
    keep: int = 0,
    near: Near | None = None,
) -> tuple[np.ndarray, np.ndarray, Near | None]:
    """``knn``, and with ``keep`` each text's ``keep`` nearest by the vectors (``Near``). With
    ``near`` (a search's ``Near`` over the same ``vectors`` object), the vectors' candidates
    come from those lists where they hold them (``_within``: the same columns as a pass over
    all pairs), and only the blocks with a row they cannot settle are multiplied again: the
    groups' wider neighbourhood (``group_topics``) then costs no second pass over n x n
    cosines. The same neighbours as ``knn`` in every case."""
    n = len(vectors)
    k = max(1, min(k, n - 1))
    idx = np.empty((n, k), dtype=np.int64)
    sim = np.empty((n, k), dtype=np.float32)
    # the candidates' word cosines alone (``_pair_cosines``) where the rows are sorted, as
    # ``represent.lexical``'s are; else the block's whole product with every text
    lexical_t = lexical.T.tocsr() if lexical is not None and not lexical.has_sorted_indices else None
    pool = min(n - 1, CANDIDATES * max(k, round(n**0.4)))
    need = pool if lexical is not None else k  # the vectors' columns taken per text (``_largest``)
    keep = min(n - 1, keep)
    if near is not None and (near.vectors is not vectors or near.cols.shape[1] < need):
        near = None
    kept: list[tuple[np.ndarray, np.ndarray]] = []
    scratch = _Scratch.for_blocks(vectors, block)
    for start in range(0, n, block):
        rows = np.arange(start, min(start + block, n))
        sims: np.ndarray | None = None
        if near is not None and not keep:
            cols, vals = near.cols[start : start + block], near.vals[start : start + block]
        else:
            sims = _block(vectors, start, block, scratch)
            if keep:
                cols = _largest(sims, keep, scratch)
                vals = np.take_along_axis(sims, cols, axis=1)
                kept.append((cols, vals))
        if sims is not None and (not keep or need > keep):
            cand = _largest(sims, need, scratch)
            vec = np.take_along_axis(sims, cand, axis=1)
        else:
            cand, at, tied = _within(cols, vals, need)
            vec = np.take_along_axis(vals, at, axis=1)
            if tied.any():  # ties at the need-th cosine: as ``_largest``, from the whole rows
                sims = _block(vectors, start, block, scratch) if sims is None else sims
                cand[tied] = np.argpartition(-sims[tied], need - 1, axis=1)[:, :need]
                vec[tied] = np.take_along_axis(sims[tied], cand[tied], axis=1)
        if lexical is not None:
            if lexical_t is None:
                words = _pair_cosines(lexical, rows, cand)
            else:
                words = np.take_along_axis((lexical[start : start + block] @ lexical_t).toarray(), cand, axis=1)
            mixed = (1.0 - share) * vec + share * words
            part = np.argpartition(-mixed, k - 1, axis=1)[:, :k]
            vals_k = np.take_along_axis(mixed, part, axis=1)
        else:
            part, vals_k = cand, vec
        order = np.argsort(-vals_k, axis=1)
        part = np.take_along_axis(part, order, axis=1)
        idx[start : start + block] = part if lexical is None else np.take_along_axis(cand, part, axis=1)
        sim[start : start + block] = np.take_along_axis(vals_k, order, axis=1)
    if not keep:
        return idx, sim, None
    return idx, sim, Near(vectors, np.concatenate([c for c, _ in kept]), np.concatenate([v for _, v in kept]))


@dataclass(frozen=True)
class _Scratch:
    """Arrays of one block's shape, made once per search and written over block after block
    (``_block``'s product, ``_largest``'s partition and marks)."""

    product: np.ndarray
    values: np.ndarray
    marks: np.ndarray

    @classmethod
    def for_blocks(cls, vectors: np.ndarray, block: int) -> _Scratch:
        shape = (min(block, len(vectors)), len(vectors))
        kind = np.result_type(vectors.dtype, vectors.dtype)
        return cls(np.empty(shape, dtype=kind), np.empty(shape, dtype=kind), np.empty(shape, dtype=bool))


def _block(vectors: np.ndarray, start: int, block: int, scratch: _Scratch | None = None) -> np.ndarray:
    """The cosines of the texts ``start`` .. ``start + block`` with every text, each with
    itself at -inf (one matrix product per block: the same floats whenever it is made again,
    into ``scratch.product`` when given)."""
    stop = min(start + block, len(vectors))
    if scratch is None:
        sims = vectors[start:stop] @ vectors.T
    else:
        sims = np.matmul(vectors[start:stop], vectors.T, out=scratch.product[: stop - start])
    rows = np.arange(start, stop)
    sims[rows - start, rows] = -np.inf
    return sims


def _within(cols: np.ndarray, vals: np.ndarray, need: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``_largest(sims, need)`` taken from each row's ``cols.shape[1]`` largest (``cols``,
    ``vals``; ``Near``): (the columns, their positions in ``cols``, the rows it cannot settle).
    A row whose need-th value is not tied among its kept ones holds exactly the ``need``
    columns at or above it (everything not kept is below), in ascending order as
    ``_largest`` gives them; a tied row (duplicate texts) is left to the caller."""
    width = cols.shape[1]
    at = np.zeros((len(cols), need), dtype=np.int64)
    if need == width:  # the kept lists themselves, as ``_largest`` gave them
        at[:] = np.arange(width)
        return cols.copy(), at, np.zeros(len(cols), dtype=bool)
    kth = np.partition(vals, width - need, axis=1)[:, width - need]
    above = vals >= kth[:, None]
    ok = above.sum(axis=1) == need
    if ok.any():
        pos = np.nonzero(above[ok])[1].reshape(-1, need)
        order = np.argsort(np.take_along_axis(cols[ok], pos, axis=1), axis=1)
        at[ok] = np.take_along_axis(pos, order, axis=1)
    return np.take_along_axis(cols, at, axis=1), at, ~ok


PAIR_ROWS = 128  # texts whose word rows ``_pair_cosines`` spreads out at once (128 x terms floats)


def _pair_cosines(lexical: Any, rows: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """``(lexical[rows] @ lexical.T)`` at the columns ``cand`` (one row of candidates per text
    of ``rows``): the word cosines of the candidate pairs only, the same float32 values as that
    product's. scipy's sparse product (``csr_matmat``) adds each shared term's product
    (float32) one at a time, in the order of the row's terms; for rows with sorted terms
    (``represent.lexical``'s) that is the terms' order in either row, so here each pair's
    products, taken in its candidate's term order (0 where the text lacks the term: adding 0
    changes no float), are added column by column in that order. Why: the product with every
    text computed ~n cosines per text to keep 2 x n**0.4 of them (bench/RESULTS.md "A time
    margin on CLINC150")."""
    indptr, indices, data = lexical.indptr, lexical.indices, lexical.data
    terms = lexical.shape[1]
    lengths = np.diff(indptr)
    out = np.zeros(cand.shape, dtype=data.dtype)
    spread = np.zeros(min(PAIR_ROWS, len(rows)) * terms, dtype=data.dtype)
    for first in range(0, len(rows), PAIR_ROWS):
        mine = rows[first : first + PAIR_ROWS]
        owner, at = _entries(indptr, lengths, mine)
        place = owner * terms + indices[at]
        spread[place] = data[at]  # each text's words, spread out on its own row
        theirs = cand[first : first + PAIR_ROWS].ravel()
        pair, their_at = _entries(indptr, lengths, theirs)
        longest = int(lengths[theirs].max(initial=0))
        if longest:
            products = np.zeros((len(theirs), longest), dtype=data.dtype)
            within = their_at - indptr[theirs][pair]
            products[pair, within] = spread[(pair // cand.shape[1]) * terms + indices[their_at]] * data[their_at]
            total = out[first : first + PAIR_ROWS].reshape(-1)  # a view: filled in place
            for column in range(longest):
                total += products[:, column]
        spread[place] = 0.0
    return out


def _entries(indptr: np.ndarray, lengths: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The stored entries of ``rows`` of a CSR matrix: (which of ``rows`` each belongs to, its
    position in the matrix's ``indices`` / ``data``), row after row in storage order."""
    counts = lengths[rows]
    owner = np.repeat(np.arange(len(rows)), counts)
    starts = np.cumsum(counts) - counts
    return owner, indptr[rows][owner] + np.arange(int(counts.sum())) - starts[owner]


def _largest(sims: np.ndarray, k: int, scratch: _Scratch | None = None) -> np.ndarray:
    """The columns of each row's k largest values (in no order): the k-th largest value by a
    partition of the values, then the columns at or above it; a row with ties at that value
    (more than k columns) takes its k by ``np.argpartition``. The same columns as
    ``np.argpartition(-sims, k - 1)[:, :k]`` wherever the k-th value is not tied, at a fifth of
    its CPU over thousands of columns (that one negates the block and moves a full row of 8-byte
    indices per row: 0.31 s against 0.07 s for 2,048 x 5,500 and k = 62). ``scratch``: arrays
    of the block's shape (``_Scratch``) the partition and the marks are made in, so that a
    search over many blocks does not fault in fresh pages for each."""
    n = sims.shape[1]
    if k >= n:
        return np.argsort(-sims, axis=1, kind="stable")[:, :k]
    if scratch is None:
        kth = np.partition(sims, n - k, axis=1)[:, n - k]
        above = sims >= kth[:, None]
    else:
        part = scratch.values[: len(sims)]
        np.copyto(part, sims)
        part.partition(n - k, axis=1)
        kth = part[:, n - k].copy()
        above = np.greater_equal(sims, kth[:, None], out=scratch.marks[: len(sims)])
    counts = above.sum(axis=1)
    if (counts == k).all():
        return np.nonzero(above)[1].reshape(len(sims), k)
    out = np.empty((len(sims), k), dtype=np.int64)
    exact = counts == k
    out[exact] = np.nonzero(above[exact])[1].reshape(-1, k)
    tied = np.flatnonzero(~exact)
    out[tied] = np.argpartition(-sims[tied], k - 1, axis=1)[:, :k]
    return out


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
    agree = (labels[idx] == labels[:, None]).mean(axis=1)
    cents = centroids(vectors, labels)
    own = np.einsum("ij,ij->i", vectors, cents[labels])
    core = agree >= 0.8
    if core.sum() < 4:
        return agree < 0.5
    q1, q3 = np.quantile(own[core], [0.25, 0.75])
    return (own < q1 - 1.5 * (q3 - q1)) & (agree < 0.5)


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
    import scipy.sparse as sp

    n, k, topics = len(labels), idx.shape[1], int(labels.max()) + 1
    member = sp.csr_matrix((np.ones(int(on.sum())), (np.flatnonzero(on), labels[on])), shape=(n, topics))
    inside = np.asarray((member.T @ graph @ member).diagonal()).ravel()
    degree = member.T @ np.asarray(graph.sum(axis=1)).ravel()
    sizes = np.bincount(labels[on], minlength=topics)
    closure = inside / np.maximum(degree, 1e-12) / np.clip((sizes - 1) / max(k, 1), 1e-12, 1.0)
    q1, q3 = np.quantile(closure, [0.25, 0.75])
    agree = (labels[idx] == labels[:, None]).mean(axis=1)
    held = np.bincount(labels[on], weights=(agree[on] >= 0.5).astype(np.float64), minlength=topics)
    loose = (closure < q1 - 1.5 * (q3 - q1)) & (held < sizes / 2)
    return on & loose[np.maximum(labels, 0)]


def without_loose(graph: Any, labels: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``labels`` with the texts of ``loose_topics`` unassigned, renumbered largest first."""
    return relabel(np.where(loose_topics(graph, labels, idx), OUTLIER, labels))


def cluster_graph(
    vectors: np.ndarray, params: ClusterParams = ClusterParams(), lexical: Any = None
) -> tuple[np.ndarray, Any]:
    """Topic labels (0..k-1 largest first, or OUTLIER) and the neighbour graph they came from.
    ``lexical``: the texts' TF-IDF rows (``represent.lexical``), a second view for finding
    neighbours (see ``knn``); None: the vectors alone."""
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
    idx, sim, near = _knn(vectors, k, lexical=lexical, share=share, keep=keep)
    graph = fuzzy_graph(idx, sim)
    graph.near = near  # for the groups' wider neighbourhood (``group_topics``)
    if params.resolution is not None and params.refine:
        resolution, labels = refine(vectors, graph, idx, params.resolution, params.seed)
        return without_loose(graph, labels, idx), graph, resolution
    if params.resolution is not None:
        labels = topics_at(vectors, graph, idx, params.resolution, params.seed)
        return without_loose(graph, labels, idx), graph, float(params.resolution)
    if n <= SELECT_AT_MOST:
        multiple, labels = plateau(vectors, graph, idx, params.seed)
        return without_loose(graph, labels, idx), graph, multiple * density(graph)
    pick = np.sort(np.random.default_rng(params.seed).choice(n, SELECT_AT_MOST, replace=False))
    sub_idx, sub_sim = knn(
        vectors[pick],
        neighbours(SELECT_AT_MOST, params.n_neighbors),
        lexical=None if lexical is None else lexical[pick],
        share=share,
    )
    multiple, _ = plateau(vectors[pick], fuzzy_graph(sub_idx, sub_sim), sub_idx, params.seed)
    resolution = multiple * density(graph)
    return without_loose(graph, topics_at(vectors, graph, idx, resolution, params.seed), idx), graph, resolution


def cluster(vectors: np.ndarray, params: ClusterParams = ClusterParams()) -> np.ndarray:
    """Cluster labels for L2-normalised vectors: 0..k-1 (largest first) or OUTLIER."""
    if len(vectors) == 0:
        return np.zeros(0, dtype=np.int64)
    return cluster_graph(vectors, params)[0]


def _collapse(graph: Any, labels: np.ndarray, k: int) -> Any:
    """The graph with each topic collapsed to one node (links between topics summed, a
    topic's links to itself and the unassigned texts dropped)."""
    import scipy.sparse as sp

    member = labels >= 0
    s = sp.csr_matrix((np.ones(int(member.sum())), (np.flatnonzero(member), labels[member])), shape=(len(labels), k))
    between = (s.T @ graph @ s).tocsr()
    between.setdiag(0)
    between.eliminate_zeros()
    return between


def _runner_up(vectors: np.ndarray, labels: np.ndarray, cents: np.ndarray) -> Any:
    """Each assigned text's vote for its nearest other topic (the one it would join were its
    own gone), weighted by the cosine to that topic's centroid; symmetric, k x k."""
    import scipy.sparse as sp

    k = len(cents)
    member = np.flatnonzero(labels >= 0)
    rows, cols, vals = [], [], []
    for start in range(0, len(member), 8192):
        part = member[start : start + 8192]
        sims = vectors[part] @ cents.T
        sims[np.arange(len(part)), labels[part]] = -np.inf
        best = sims.argmax(axis=1)
        rows.append(labels[part])
        cols.append(best)
        vals.append(np.maximum(sims[np.arange(len(part)), best], 0.0))
    votes = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(k, k))
    out = (votes + votes.T).tocsr()
    out.eliminate_zeros()
    return out


def _above_median(sims: np.ndarray) -> Any:
    """A full topic graph from a k x k similarity: each pair's similarity less the median of
    all pairs', the pairs above that median only."""
    import scipy.sparse as sp

    off = ~np.eye(len(sims), dtype=bool)
    w = np.where(off, sims - np.median(sims[off]), 0.0) if off.any() else np.zeros_like(sims)
    return sp.csr_matrix(np.maximum(w, 0.0))


def _centroid_graph(cents: np.ndarray) -> Any:
    """The topics' centroids, the mean centroid taken off, as a full graph: each pair's cosine
    less the median of all pairs' cosines, the pairs above that median only."""
    centred = cents - cents.mean(axis=0)
    centred /= np.where((n := np.linalg.norm(centred, axis=1, keepdims=True)) > 0, n, 1.0)
    return _above_median(centred @ centred.T)


def _words_graph(lexical: Any, labels: np.ndarray, k: int) -> Any:
    """The topics' words: each topic's texts as one document (their TF-IDF rows summed), each
    term weighted by its share of the topic times log(1 + the mean topic's mass / the term's
    mass over all topics) (c-TF-IDF, as ``label.c_tf_idf``: words every topic uses sink), and
    the topics' cosines as a full graph above their median. Sparse throughout (k x terms)."""
    import scipy.sparse as sp

    member = labels >= 0
    s = sp.csr_matrix((np.ones(int(member.sum())), (labels[member], np.flatnonzero(member))), shape=(k, len(labels)))
    mass = (s @ lexical).tocsr().astype(np.float64)
    per_topic = np.asarray(mass.sum(axis=1)).ravel()
    per_term = np.asarray(mass.sum(axis=0)).ravel()
    idf = np.log(1.0 + per_topic.sum() / max(k, 1) / np.maximum(per_term, 1e-12))
    words = sp.diags(1.0 / np.maximum(per_topic, 1e-12)) @ mass @ sp.diags(idf)
    norms = np.sqrt(np.asarray(words.multiply(words).sum(axis=1)).ravel())
    words = sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ words
    return _above_median((words @ words.T).toarray())


def _sqrt_groups(topics_graph: Any, k: int) -> np.ndarray:
    """Modularity groups of a topic graph at ``group_resolution`` (at least sqrt(k) groups),
    the medoid of ``GROUP_RUNS`` seeds; each topic alone when the graph has no links."""
    if topics_graph.nnz == 0:
        return np.arange(k, dtype=np.int64)
    topics = as_igraph(topics_graph)
    resolution, first = _group_resolution(topics, k)  # ``first``: seed 0's run at that resolution
    runs = [first] + [leiden(topics, resolution, seed, objective="modularity") for seed in range(1, GROUP_RUNS)]
    return most_agreed(runs)


def group_topics(
    graph: Any, labels: np.ndarray, vectors: np.ndarray | None = None, lexical: Any = None, share: float = 0.0
) -> np.ndarray:
    """Groups of topics, one group id per topic 0..k-1, largest first.

    With ``vectors`` (the product's rule): four readings of how near two topics are, five with
    the lexical view, each grouped by modularity at ``group_resolution`` (at least sqrt(k)
    groups, the medoid of ``GROUP_RUNS`` seeds); two topics share a group when all the
    groupings but at most one put them together (3 of 4, or 4 of 5), on average over the pairs
    of topics of the two groups joined (``_together``: average linkage on the share of the
    groupings that agree, joined while that mean share is at least (n - 1) / n):
    1. ``graph``, the texts' neighbour graph the topics came from, collapsed to topics;
    2. the same similarity (``lexical`` and ``share`` as for the topics) over a neighbourhood
       as large as the median topic, collapsed (with k = 15 against topics of 30-45 texts,
       most of a text's neighbours are in its own topic and the links between topics are few);
    3. each text's runner-up topic (the nearest other centroid), votes summed;
    4. the centroids' cosines, the mean centroid taken off, above their median;
    5. with ``lexical`` (share > 0): the topics' words, each topic's texts as one document
       (c-TF-IDF, ``_words_graph``), their cosines above their median: the words a domain's
       intents share ("card", "flight") that the sentence vectors weigh little.
    Why: the groups of any one reading miss where the others are right (on CLINC150's 10
    domains over ~140 topics each reading alone scores 0.46-0.53 coarse NMI), and where the
    readings disagree the topics stay apart instead of being joined on one reading's noise:
    the number of groups comes from the data, not from sqrt(k) alone. The words reading alone
    is the weakest (CLINC150 0.475); its worth is as the fifth voice that can keep two topics
    apart: with it, over every set and the stand-ins at draws 13 and 14 (lexical share 0.5,
    pipeline seeds 42 and 1), goals met on 10 and 9 of 14 rows against the four readings'
    (more than half agreeing) 8 and 6, no goal the four meet lost; CLINC150 0.519 -> 0.576 at
    seed 42 (goal 0.564; 0.528 -> 0.561 at seed 1), Bitext 1,076 0.762 -> 0.805 (goal 0.775).
    The price is more groups where the readings disagree: CLINC150 34-36 (was 16-20), Bitext
    16 (15), gpt35 19-20 (17), the sample logs 16-19 (12-14), the stand-ins 8-18 (5-13); the
    CLINC150 stand-ins still miss (0.61-0.68 against 0.67-0.68). In `bench/topics.py
    --standins`: CLINC150 0.576 (goal 0.562), Bitext 1,076 0.832 (goal 0.796), no goal lost.
    bench/RESULTS.md "Groups: the topics' words as a fifth reading". Without the wider neighbourhood the agreement is worse
    than reading 1 alone ("Groups: where four readings agree").
    Why on average and not the connected components of the agreeing pairs (the rule before):
    components chain, joining two domains through one agreeing pair. On CLINC150 (131 topics,
    pipeline seed 42) 337 of the 400 pairs of topics that shared a group only through a chain
    sat in different domains (139 of the 339 pairs that agreed directly), in two groups of 28
    (meta, small talk, home, utility) and 21 topics (banking, credit cards, travel, work); the
    groups scored 0.546 coarse NMI, below the 131 topics ungrouped (0.567), against a goal of
    0.564. Average linkage at the same share: 0.589 / 0.582 / 0.591 at seeds 42 / 1 / 2 (the
    rule before 0.546 / 0.544 / 0.561), at least +0.010 over the goal on 15 draws of the map
    (pipeline seeds, vectors moved by noise), with no group goal lost on the 14 rows x 3 seeds;
    its largest group 12-13 topics (24-28), 45-48 groups of which 15-17 hold one topic (31-36,
    11-13); Bitext 17-18 groups (16), the sample logs 34-39 of 135 topics (28-32).
    bench/RESULTS.md "Groups: all readings but one, on average, without chains".

    Without ``vectors``: reading 1 alone (the rule before, kept for the benches that compare it
    and for callers without vectors)."""
    k = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    if k == 0 or graph is None:
        return np.zeros(k, dtype=np.int64)
    if vectors is None:
        groups = _sqrt_groups(_collapse(graph, labels, k), k)
    else:
        on = labels[labels >= 0]
        typical = int(max(neighbours(len(labels), ClusterParams().n_neighbors), np.median(np.bincount(on))))
        idx, sim, _ = _knn(
            vectors, typical, lexical=lexical if share > 0 else None, share=share, near=getattr(graph, "near", None)
        )
        cents = centroids(vectors, labels)
        readings = [
            _collapse(graph, labels, k),
            _collapse(fuzzy_graph(idx, sim), labels, k),
            _runner_up(vectors, labels, cents),
            _centroid_graph(cents),
        ]
        if lexical is not None and share > 0:
            readings.append(_words_graph(lexical, labels, k))
        parts = np.array([_sqrt_groups(r, k) for r in readings])
        groups = _together((parts[:, :, None] == parts[:, None, :]).mean(axis=0), (len(readings) - 1) / len(readings))
    member = labels >= 0
    sizes = np.bincount(labels[member], minlength=k)
    weight = {g: int(sizes[groups == g].sum()) for g in np.unique(groups)}
    order = sorted(weight, key=lambda g: (-weight[g], int(np.flatnonzero(groups == g)[0])))
    mapping = {g: i for i, g in enumerate(order)}
    return np.array([mapping[g] for g in groups], dtype=np.int64)


def _together(share: np.ndarray, at_least: float) -> np.ndarray:
    """Groups of items from ``share`` (k x k, the share of the groupings that put two items
    together): average linkage on 1 - share, two groups joined while the mean share over their
    pairs of items is at least ``at_least``; one group id per item."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    if len(share) < 2:
        return np.zeros(len(share), dtype=np.int64)
    apart = 1.0 - share
    np.fill_diagonal(apart, 0.0)
    tree = linkage(squareform(np.clip(apart, 0.0, 1.0), checks=False), "average")
    return np.asarray(fcluster(tree, 1.0 - at_least + 1e-9, "distance"), dtype=np.int64) - 1


GROUP_STEPS = tuple(2 ** (i / 4) for i in range(25))  # modularity resolutions tried for the groups: 1 to 64


def group_resolution(topics: Any, k: int) -> float:
    """The modularity resolution of the groups: the first of ``GROUP_STEPS`` (1, then up by
    2^(1/4)) at which one Leiden run (seed 0) on ``topics`` (the topic graph, k nodes) gives
    at least sqrt(k) groups.

    Why not 1: modularity at 1 joins what a reader of the map needs apart when the topics'
    links are weak and even: on CLINC150 (143 topics over 10 domains) it gives 6-7 groups
    that each mix several domains (groups' NMI against the domains 0.40-0.43). Why sqrt(k):
    a reader who scans the groups and then the topics of one group reads G + k/G names, the
    fewest at G = sqrt(k); a map that already has that many groups at 1 (Bitext: 16 groups
    over 101 topics) keeps them. Derived from the number of topics only, so no setting is
    tuned to a data set; measured on Bitext, CLINC150 and the sample logs at five pipeline
    seeds, on 50% subsamples and at four fine resolutions, never lower than modularity at 1
    (bench/RESULTS.md "Groups: at least sqrt(k) of them")."""
    return _group_resolution(topics, k)[0]


def _group_resolution(topics: Any, k: int) -> tuple[float, np.ndarray]:
    """``group_resolution`` and its run (seed 0 at that resolution), which is the first of the
    groups' ``GROUP_RUNS`` (Leiden is deterministic for a seed: the same partition)."""
    want = np.sqrt(k)
    for resolution in GROUP_STEPS:
        run = leiden(topics, resolution, 0, objective="modularity")
        if len(set(run.tolist())) >= want:
            return resolution, run
    return GROUP_STEPS[-1], run


def most_agreed(partitions: list[np.ndarray]) -> np.ndarray:
    """The partition with the highest summed adjusted Rand index to the others (the first
    such on a tie): the medoid of the runs."""
    n = len(partitions)
    agree = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            agree[i, j] = agree[j, i] = adjusted_rand(partitions[i], partitions[j])
    return partitions[int(np.argmax(agree.sum(axis=1)))]


def adjusted_rand(a: np.ndarray, b: np.ndarray) -> float:
    """The adjusted Rand index of two labellings of the same items (labels >= 0), the same
    value as scikit-learn's ``adjusted_rand_score`` (its pair counts and formula), without its
    input checks: the groups compare 4 x 120 pairs of partitions of a few hundred topics, where
    those checks cost ~4 ms a pair (2 s of a CLINC150 build) and the counting microseconds."""
    a = np.unique(a, return_inverse=True)[1].ravel()
    b = np.unique(b, return_inverse=True)[1].ravel()
    size = int(len(a))
    cells = np.bincount(a * (int(b.max(initial=0)) + 1) + b).astype(np.int64)
    rows = np.bincount(a).astype(np.int64)
    cols = np.bincount(b).astype(np.int64)
    squares = int((cells**2).sum())
    fp = int((rows**2).sum()) - squares  # pairs together in a, apart in b
    fn = int((cols**2).sum()) - squares  # apart in a, together in b
    tp = squares - size
    tn = size * size - fp - fn - squares
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


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
