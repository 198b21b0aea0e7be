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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

OUTLIER = -1
MIN_TOPIC_SIZE = 5  # fewer texts than this are not a topic (a third of the neighbourhood)


@dataclass(frozen=True)
class ClusterParams:
    n_neighbors: int = 15  # UMAP's and BERTopic's default neighbourhood (fewer for few texts)
    resolution: float = 0.0075  # link density a topic needs (constant Potts model)
    seed: int = 42


def neighbours(n: int, most: int) -> int:
    """The neighbourhood for n texts: ``most``, but n**0.4 when that is smaller (6 for 88
    texts), so that on a small log a neighbourhood stays smaller than a topic."""
    return int(max(3, min(most, round(n**0.4))))


def knn(vectors: np.ndarray, k: int, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Each text's k nearest neighbours (not itself), nearest first, and their cosine
    similarities. Exact, in blocks, so memory stays at block x n (vectors L2-normalised)."""
    n = len(vectors)
    k = max(1, min(k, n - 1))
    idx = np.empty((n, k), dtype=np.int64)
    sim = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, block):
        sims = vectors[start : start + block] @ vectors.T
        rows = np.arange(start, min(start + block, n))
        sims[rows - start, rows] = -np.inf
        part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        vals = np.take_along_axis(sims, part, axis=1)
        order = np.argsort(-vals, axis=1)
        idx[start : start + block] = np.take_along_axis(part, order, axis=1)
        sim[start : start + block] = np.take_along_axis(vals, order, axis=1)
    return idx, sim


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


def leiden(graph: Any, resolution: float, seed: int, objective: str = "CPM") -> np.ndarray:
    """Leiden communities of a weighted graph (igraph), deterministic for a seed."""
    import random

    import igraph as ig
    import scipy.sparse as sp

    n = graph.shape[0]
    upper = sp.triu(graph, 1).tocoo()
    g = ig.Graph(n=n, edges=np.column_stack([upper.row, upper.col]).tolist(), edge_attrs={"weight": upper.data})
    ig.set_random_number_generator(random.Random(seed))
    try:
        parts = g.community_leiden(objective_function=objective, weights="weight", resolution=resolution, n_iterations=-1)
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


def cluster_graph(vectors: np.ndarray, params: ClusterParams = ClusterParams()) -> tuple[np.ndarray, Any]:
    """Topic labels (0..k-1 largest first, or OUTLIER) and the neighbour graph they came from."""
    n = len(vectors)
    if n < MIN_TOPIC_SIZE:
        return np.full(n, OUTLIER, dtype=np.int64), None
    idx, sim = knn(vectors, neighbours(n, params.n_neighbors))
    graph = fuzzy_graph(idx, sim)
    labels = relabel(leiden(graph, params.resolution, params.seed))
    labels = np.where(outliers(vectors, labels, idx), OUTLIER, labels)
    sizes = np.bincount(labels[labels >= 0], minlength=int(labels.max()) + 1)
    small = (labels >= 0) & (sizes[np.maximum(labels, 0)] < MIN_TOPIC_SIZE)
    return relabel(np.where(small, OUTLIER, labels)), graph


def cluster(vectors: np.ndarray, params: ClusterParams = ClusterParams()) -> np.ndarray:
    """Cluster labels for L2-normalised vectors: 0..k-1 (largest first) or OUTLIER."""
    if len(vectors) == 0:
        return np.zeros(0, dtype=np.int64)
    return cluster_graph(vectors, params)[0]


def group_topics(graph: Any, labels: np.ndarray, seed: int = 42) -> np.ndarray:
    """Groups of topics: modularity communities of the graph with each topic collapsed to
    one node (links between topics summed). One group id per topic 0..k-1, largest first."""
    import scipy.sparse as sp

    k = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    if k == 0 or graph is None:
        return np.zeros(k, dtype=np.int64)
    member = labels >= 0
    s = sp.csr_matrix((np.ones(int(member.sum())), (np.flatnonzero(member), labels[member])), shape=(len(labels), k))
    between = (s.T @ graph @ s).tocsr()
    between.setdiag(0)
    between.eliminate_zeros()
    if between.nnz == 0:
        return np.arange(k, dtype=np.int64)
    groups = leiden(between, 1.0, seed, objective="modularity")
    sizes = np.bincount(labels[member], minlength=k)
    weight = {g: int(sizes[groups == g].sum()) for g in np.unique(groups)}
    order = sorted(weight, key=lambda g: (-weight[g], int(np.flatnonzero(groups == g)[0])))
    mapping = {g: i for i, g in enumerate(order)}
    return np.array([mapping[g] for g in groups], dtype=np.int64)


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
    present = [c for c in dict.fromkeys(labels.tolist()) if c != OUTLIER]
    sizes = {c: int((labels == c).sum()) for c in present}
    order = sorted(present, key=lambda c: (-sizes[c], present.index(c)))
    mapping = {c: i for i, c in enumerate(order)}
    return np.array([mapping.get(c, OUTLIER) for c in labels.tolist()], dtype=np.int64)


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


def radii(dist_to_own: np.ndarray, labels: np.ndarray, k: int, quantile: float = 0.95, floor: float = 0.05) -> np.ndarray:
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
