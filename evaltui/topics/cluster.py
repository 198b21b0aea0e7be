"""From embeddings to clusters: a k-nearest-neighbour graph, a spectral embedding of it
(the dimension reduction), then HDBSCAN. Pure functions on arrays.

Why spectral rather than UMAP: on short support messages it separates intents as
well as UMAP does (UMAP's own initialisation is this spectral embedding) at a fraction
of the time, with no numba compilation on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

OUTLIER = -1


@dataclass(frozen=True)
class ClusterParams:
    n_neighbors: int = 15
    n_components: int = 5
    min_cluster_size: int | None = None  # None: 1% of the texts, within [10, 500]
    min_samples: int | None = None
    max_topics: int = 60
    seed: int = 42

    def resolved_min_cluster_size(self, n: int) -> int:
        if self.min_cluster_size:
            return self.min_cluster_size
        return int(min(500, max(10, round(n / 100))))


def knn_graph(vectors: np.ndarray, k: int, block: int = 2048) -> Any:
    """A symmetric sparse graph of cosine similarities to each text's k nearest neighbours.

    Exact, in blocks, so memory stays at block x n (vectors are L2-normalised).
    """
    import scipy.sparse as sp

    n = len(vectors)
    k = max(1, min(k, n - 1))
    rows, cols, vals = [], [], []
    for start in range(0, n, block):
        sims = vectors[start : start + block] @ vectors.T
        idx = np.arange(start, min(start + block, n))
        sims[idx - start, idx] = -np.inf  # not its own neighbour
        nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        rows.append(np.repeat(idx, k))
        cols.append(nearest.ravel())
        vals.append(np.take_along_axis(sims, nearest, axis=1).ravel())
    weights = np.maximum(np.concatenate(vals), 1e-6)  # keep an edge even between opposite texts
    graph = sp.csr_matrix((weights, (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    return graph.maximum(graph.T)


def connected_knn_graph(vectors: np.ndarray, k: int, max_k: int = 120) -> Any:
    """The neighbour graph with k doubled until it is one piece (up to ``max_k``).

    A spectral embedding of a graph in pieces spends its dimensions on the small pieces
    (each gets an eigenvector of its own) and leaves the big one undivided: on a 20,000-text
    sample of the generated logs, k=15 left 33 pieces and HDBSCAN then found 2 topics.
    """
    from scipy.sparse.csgraph import connected_components

    graph = knn_graph(vectors, k)
    while k < min(max_k, len(vectors) - 1) and connected_components(graph, directed=False)[0] > 1:
        k = min(k * 2, max_k)
        graph = knn_graph(vectors, k)
    return graph


def reduce(vectors: np.ndarray, params: ClusterParams) -> np.ndarray:
    """A low-dimensional spectral embedding of the neighbour graph (deterministic for a seed)."""
    import warnings

    from sklearn.manifold import SpectralEmbedding

    n = len(vectors)
    if n <= params.n_components + 2:
        return vectors
    graph = connected_knn_graph(vectors, params.n_neighbors)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "graph is not fully connected": fine for clustering
        return SpectralEmbedding(
            n_components=params.n_components, affinity="precomputed", random_state=params.seed
        ).fit_transform(graph)


def hdbscan_labels(points: np.ndarray, min_cluster_size: int, min_samples: int | None = None) -> np.ndarray:
    """HDBSCAN cluster labels; OUTLIER (-1) for texts in no dense region."""
    import warnings

    import hdbscan

    if len(points) < max(min_cluster_size, 2):
        return np.full(len(points), OUTLIER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hdbscan.HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min_samples).fit_predict(points)


def centroids(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The L2-normalised mean vector of each cluster 0..k-1."""
    k = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    out = np.zeros((k, vectors.shape[1]), dtype=np.float32)
    for c in range(k):
        mean = vectors[labels == c].mean(axis=0)
        out[c] = mean / (np.linalg.norm(mean) or 1.0)
    return out


def merge_to_max(vectors: np.ndarray, labels: np.ndarray, max_topics: int) -> np.ndarray:
    """Merge the smallest cluster into its nearest (by centroid) until at most ``max_topics`` remain."""
    labels = labels.copy()
    while True:
        present = [c for c in np.unique(labels) if c != OUTLIER]
        if len(present) <= max_topics:
            break
        cents = centroids(vectors, relabel(labels))
        sizes = np.bincount(relabel(labels)[labels != OUTLIER])
        smallest = int(np.argmin(sizes))
        sims = cents @ cents[smallest]
        sims[smallest] = -np.inf
        target = int(np.argmax(sims))
        rl = relabel(labels)
        labels = np.where(rl == smallest, target, rl)
    return relabel(labels)


def relabel(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters 0..k-1, largest first (ties by first appearance); outliers stay -1."""
    present = [c for c in dict.fromkeys(labels.tolist()) if c != OUTLIER]
    sizes = {c: int((labels == c).sum()) for c in present}
    order = sorted(present, key=lambda c: (-sizes[c], present.index(c)))
    mapping = {c: i for i, c in enumerate(order)}
    return np.array([mapping.get(c, OUTLIER) for c in labels.tolist()], dtype=np.int64)


def cluster(vectors: np.ndarray, params: ClusterParams = ClusterParams()) -> np.ndarray:
    """Cluster labels for L2-normalised vectors: 0..k-1 (largest first) or OUTLIER."""
    if len(vectors) == 0:
        return np.zeros(0, dtype=np.int64)
    points = reduce(vectors, params)
    labels = hdbscan_labels(points, params.resolved_min_cluster_size(len(vectors)), params.min_samples)
    return merge_to_max(vectors, relabel(labels), params.max_topics)


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
