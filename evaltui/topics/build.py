"""Building a topic map: texts -> embeddings (cached) -> clusters -> labels -> stored map.

The root spans' texts are deduplicated first (a text is embedded and clustered once).
When there are more distinct texts than ``sample_size``, a seeded sample is clustered and
the rest join by nearest centroid (MiniLM) or, beyond ``cheap_above`` texts, by the cheap
TF-IDF classifier trained on the sample (see ``evaltui.topics.cheap``).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING
from collections.abc import Callable

import numpy as np
import pyarrow as pa

from evaltui.store import topics as topic_store
from evaltui.topics.cluster import OUTLIER, ClusterParams
from evaltui.topics.embed import DEFAULT_MODEL
from evaltui.topics.text import FacetError, text_sql

if TYPE_CHECKING:
    from evaltui.store import Store

# (stage, done, total): stages are texts, embed, cluster, label, assign, store.
BuildProgress = Callable[[str, int, int], None]

MATCH_SIMILARITY = 0.8  # a new cluster keeps an old topic's key when their centroids are this close
VALIDATION_SIZE = 2000  # texts embedded only to measure the cheap path against MiniLM


@dataclass
class BuildOptions:
    facet: str = "first_message"
    model: str = DEFAULT_MODEL
    cluster: ClusterParams = field(default_factory=ClusterParams)
    sample_size: int = 20_000
    cheap_above: int = 50_000  # texts beyond the sample: more than this -> the cheap path
    threshold: float | None = None  # a fixed assignment distance; None: each topic's radius
    name_with_llm: bool = True


@dataclass
class BuildResult:
    map_id: int
    conversations: int
    topics: int
    groups: int
    unassigned_share: float
    kept_keys: list[str]
    timings: dict[str, float]
    cheap_agreement: float | None = None
    cheap_assigned: int = 0


def _noop(stage: str, done: int, total: int) -> None:
    pass


def build_map(store: Store, options: BuildOptions | None = None, progress: BuildProgress | None = None) -> BuildResult:
    """Cluster the root spans' texts into a new active topic map and file every span under it."""
    opts = options or BuildOptions()
    progress = progress or _noop
    timings: dict[str, float] = {}

    t0 = time.perf_counter()
    progress("texts", 0, 1)
    spans = topic_store.root_texts(store, text_sql(opts.facet))
    span_ids = spans.column("span_id").to_pylist()
    span_texts = spans.column("text").to_pylist()
    if opts.facet == "summary":
        span_texts = _summaries(store, span_texts)
    from evaltui.topics.embed import text_hash

    span_hashes = [text_hash(t) if t else None for t in span_texts]
    unique: dict[str, str] = {}
    for h, t in zip(span_hashes, span_texts):
        if h is not None:
            unique.setdefault(h, t)
    hashes = sorted(unique)
    timings["texts"] = time.perf_counter() - t0
    if not hashes:
        raise FacetError("no conversation has any text to cluster: ingest logs first")

    rng = np.random.default_rng(opts.cluster.seed)
    order = rng.permutation(len(hashes))
    sample_idx = np.sort(order[: opts.sample_size])
    rest_idx = np.sort(order[opts.sample_size :])
    use_cheap = len(rest_idx) > opts.cheap_above
    sample_hashes = [hashes[i] for i in sample_idx]
    sample_texts = [unique[h] for h in sample_hashes]

    t0 = time.perf_counter()
    from evaltui.topics.represent import text_vectors

    vectors, weights = text_vectors(store, sample_texts, opts.model, progress=lambda d, n: progress("embed", d, n))
    timings["embed"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    progress("cluster", 0, 1)
    from evaltui.topics import cluster as clu
    from evaltui.topics import groups as topic_groups
    from evaltui.topics.represent import lexical

    lexical_view = lexical(sample_texts) if opts.cluster.lexical_share > 0 else None
    labels, graph = clu.cluster_graph(vectors, opts.cluster, lexical_view)
    k = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    group_of = topic_groups.group_topics(graph, labels, vectors, lexical_view, opts.cluster.lexical_share)
    cents = clu.centroids(vectors, labels)
    nearest, dist = clu.distances(vectors, cents)
    own = np.where(labels >= 0, 1.0 - np.einsum("ij,ij->i", vectors, cents[np.maximum(labels, 0)]) if k else dist, dist)
    radius = clu.radii(own, labels, k) if opts.threshold is None else np.full(k, opts.threshold)
    timings["cluster"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    progress("label", 0, 1)
    from evaltui.topics.label import keywords as top_keywords
    from evaltui.topics.label import readable_names

    words = top_keywords(sample_texts, labels.tolist(), k)
    readable = readable_names(sample_texts, vectors, labels, k, weights)
    n_groups = int(group_of.max()) + 1 if k else 0
    text_groups = np.where(labels >= 0, group_of[np.maximum(labels, 0)], OUTLIER) if k else labels
    group_words = top_keywords(sample_texts, text_groups.tolist(), n_groups)
    group_readable = readable_names(sample_texts, vectors, text_groups, n_groups, weights)
    member_sizes = np.bincount(labels[labels >= 0], minlength=k) if k else np.zeros(0, dtype=np.int64)
    group_cents = _group_centroids(cents, member_sizes, group_of, n_groups)
    names: list[str | None] = [None] * k
    group_names: list[str | None] = [None] * n_groups
    if opts.name_with_llm and k:
        from evaltui.topics.naming import group_prompts, llm_names, topic_prompts

        closest = [[sample_texts[i] for i in np.argsort(np.where(labels == c, own, np.inf))[:8]] for c in range(k)]
        to_group = 1.0 - vectors @ group_cents.T if n_groups else np.zeros((len(vectors), 0))
        group_closest = [
            [sample_texts[i] for i in np.argsort(np.where(text_groups == g, to_group[:, g], np.inf))[:5]]
            for g in range(n_groups)
        ]
        group_topics = [[readable[t] for t in np.argsort(-member_sizes) if group_of[t] == g] for g in range(n_groups)]
        answers = llm_names(
            store, topic_prompts(words, closest) + group_prompts(group_words, group_topics, group_closest)
        )
        if answers:
            names, group_names = answers[:k], answers[k:]
    timings["label"] = time.perf_counter() - t0

    # Each distinct text: (topic, distance, method).
    placed: dict[str, tuple[int, float, str]] = {
        h: (int(lab), float(own[i]), "cluster") for i, (h, lab) in enumerate(zip(sample_hashes, labels))
    }
    t0 = time.perf_counter()
    agreement = None
    cheap_assigned = 0
    if len(rest_idx):
        rest_hashes = [hashes[i] for i in rest_idx]
        rest_texts = [unique[h] for h in rest_hashes]
        if use_cheap:
            agreement, rest_topics = _cheap_path(
                store, opts, sample_texts, vectors, cents, radius, rest_texts, progress, weights
            )
            rest_dist = np.full(len(rest_texts), np.nan)
            method = "cheap"
            cheap_assigned = len(rest_texts)
        else:
            rest_vectors, _ = text_vectors(store, rest_texts, opts.model, weights, lambda d, n: progress("embed", d, n))
            rest_topics, rest_dist = clu.assign_nearest(rest_vectors, cents, radius)
            method = "centroid"
        for h, topic, d in zip(rest_hashes, rest_topics, rest_dist):
            placed[h] = (int(topic), float(d), method)
    timings["assign"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    progress("store", 0, 1)
    topic_of = np.array([placed[h][0] if h else OUTLIER for h in span_hashes], dtype=np.int64)
    sizes = np.bincount(topic_of[topic_of >= 0], minlength=k) if k else np.zeros(0, dtype=np.int64)
    keys, kept = _stable_keys(store, cents, words)
    group_keys = _stable_group_keys(store, group_cents, group_words, keys)
    topics_table = pa.Table.from_pydict(
        {
            "topic_id": list(range(k)),
            "key": keys,
            "label": readable,
            "name": names,
            "keywords": words,
            "size": [int(s) for s in sizes],
            "radius": [float(r) for r in radius],
            "centroid": [c.tolist() for c in cents],
            "group_id": [int(g) for g in group_of],
        },
        schema=topic_store.TOPICS_ARROW_SCHEMA,
    )
    group_sizes = np.bincount(group_of, weights=sizes, minlength=n_groups) if k else np.zeros(0)
    groups_table = pa.Table.from_pydict(
        {
            "group_id": list(range(n_groups)),
            "key": group_keys,
            "label": group_readable,
            "name": group_names,
            "keywords": group_words,
            "size": [int(s) for s in group_sizes],
        },
        schema=topic_store.GROUPS_ARROW_SCHEMA,
    )
    assignments = pa.Table.from_pydict(
        {
            "span_id": span_ids,
            "topic_id": [int(t) if t >= 0 else None for t in topic_of],
            "distance": [placed[h][1] if h and not np.isnan(placed[h][1]) else None for h in span_hashes],
            "method": [placed[h][2] if h else "no_text" for h in span_hashes],
        },
        schema=topic_store.ASSIGNMENTS_ARROW_SCHEMA,
    )
    params = {
        **asdict(opts.cluster),
        "groups": n_groups,
        "sentence_weights": weights.to_params(),
        "sample_size": opts.sample_size,
        "clustered_texts": len(sample_texts),
        "distinct_texts": len(hashes),
        "threshold": opts.threshold,
        "cheap_agreement": agreement,
    }
    map_id = topic_store.save_map(
        store,
        facet=opts.facet,
        model=opts.model,
        params=params,
        topics=topics_table,
        assignments=assignments,
        groups=groups_table,
    )
    timings["store"] = time.perf_counter() - t0
    return BuildResult(
        map_id=map_id,
        conversations=len(span_ids),
        topics=k,
        groups=n_groups,
        unassigned_share=float(np.mean(topic_of < 0)) if len(topic_of) else 0.0,
        kept_keys=kept,
        timings=timings,
        cheap_agreement=agreement,
        cheap_assigned=cheap_assigned,
    )


def _cheap_path(store, opts, sample_texts, sample_vectors, cents, radius, rest_texts, progress, weights):
    """Train the cheap assigner on the sample's MiniLM assignments, measure it on a held-out
    set embedded with MiniLM, then assign the rest. Returns (agreement, topics)."""
    from evaltui.topics import cluster as clu
    from evaltui.topics.cheap import CheapAssigner, agreement
    from evaltui.topics.represent import text_vectors

    # The full path's answer for the sample: nearest centroid within the radius.
    sample_topics, _ = clu.assign_nearest(sample_vectors, cents, radius)
    model = CheapAssigner(seed=opts.cluster.seed).fit(sample_texts, sample_topics)
    held_out = rest_texts[:: max(1, len(rest_texts) // VALIDATION_SIZE)][:VALIDATION_SIZE]
    held_vectors, _ = text_vectors(store, held_out, opts.model, weights, lambda d, n: progress("embed", d, n))
    truth, _ = clu.assign_nearest(held_vectors, cents, radius)
    score = agreement(model.predict(held_out), truth)
    progress("assign", 0, len(rest_texts))
    topics = model.predict(rest_texts)
    progress("assign", len(rest_texts), len(rest_texts))
    return score, topics


def _match_keys(
    cents: np.ndarray,
    old_cents: np.ndarray,
    old_keys: list[str],
    usable: Callable[[str], bool] = lambda key: True,
) -> list[str | None]:
    """For each new centroid, the key of the old centroid it matches (one-to-one, best
    matches first, at cosine >= ``MATCH_SIMILARITY``, and ``usable``), else None."""
    keys: list[str | None] = [None] * len(cents)
    if not len(cents) or not len(old_cents):
        return keys
    from scipy.optimize import linear_sum_assignment

    sims = cents @ old_cents.T
    rows, cols = linear_sum_assignment(-sims)
    for r, c in zip(rows, cols):
        if sims[r, c] >= MATCH_SIMILARITY and usable(old_keys[c]):
            keys[r] = old_keys[c]
    return keys


def _fresh_keys(keys: list[str | None], bases: list[str], taken: set[str]) -> list[str]:
    """``keys`` with each gap filled by its base, suffixed ``_2``, ``_3``... until no key
    in ``taken`` (nor one given here) has it: a retired key is never reused."""
    taken = taken | {k for k in keys if k}
    out: list[str] = []
    for key, base in zip(keys, bases):
        if key is None:
            key, n = base, 2
            while key in taken:
                key, n = f"{base}_{n}", n + 1
            taken.add(key)
        out.append(key)
    return out


def _stable_keys(store: Store, cents: np.ndarray, words: list[list[str]]) -> tuple[list[str], list[str]]:
    """Keys for the new topics: a topic whose centroid matches one of the active map's keeps
    its key (one-to-one, best matches first); the others get a new key from their keywords."""
    from evaltui.topics.label import slug

    keys: list[str | None] = [None] * len(cents)
    previous = topic_store.active_map(store)
    if previous is not None:
        old = topic_store.map_topics(store, previous["id"])
        if old:
            old_cents = np.array([t["centroid"] for t in old], dtype=np.float32)
            keys = _match_keys(cents, old_cents, [t["key"] for t in old])
    kept = [k for k in keys if k is not None]
    bases = [slug(" ".join(w[:2]), max_words=4) if w else f"topic_{i}" for i, w in enumerate(words)]
    # never reuse a retired key for new content
    return _fresh_keys(keys, bases, set(topic_store.all_topic_keys(store))), kept


def _group_centroids(cents: np.ndarray, sizes: np.ndarray, group_of: np.ndarray, n_groups: int) -> np.ndarray:
    """Each group's L2-normalised centroid: the size-weighted mean of its topics' centroids
    (computed alike for a stored map, whose topics keep centroid, size and group)."""
    out = np.zeros((n_groups, cents.shape[1] if len(cents) else 0), dtype=np.float32)
    for g in range(n_groups):
        mean = (cents[group_of == g] * sizes[group_of == g, None]).sum(axis=0)
        out[g] = mean / (np.linalg.norm(mean) or 1.0)
    return out


def _stable_group_keys(
    store: Store, group_cents: np.ndarray, words: list[list[str]], topic_keys: list[str]
) -> list[str]:
    """Keys for the new groups, as for topics: a group whose centroid matches one of the
    active map's groups keeps its key (one-to-one, best matches first); the others get a new
    key from their keywords, distinct from every topic key and every group key ever used."""
    from evaltui.topics.label import slug

    keys: list[str | None] = [None] * len(group_cents)
    previous = topic_store.active_map(store)
    if previous is not None:
        old_groups = topic_store.map_groups(store, previous["id"])
        old_topics = topic_store.map_topics(store, previous["id"])
        if old_groups and old_topics:
            old_cents = _group_centroids(
                np.array([t["centroid"] for t in old_topics], dtype=np.float32),
                np.array([max(int(t["size"] or 0), 1) for t in old_topics], dtype=np.float64),
                np.array([-1 if t["group_id"] is None else int(t["group_id"]) for t in old_topics]),
                len(old_groups),
            )
            keys = _match_keys(
                group_cents, old_cents, [g["key"] for g in old_groups], lambda key: key not in topic_keys
            )
    bases = [slug(w[0], max_words=3) if w else f"group_{i}" for i, w in enumerate(words)]
    return _fresh_keys(keys, bases, set(topic_keys) | topic_store.all_group_keys(store))


def _summaries(store: Store, transcripts: list[str | None]) -> list[str | None]:
    from evaltui.topics.naming import llm_summaries

    present = [t for t in transcripts if t]
    summaries = llm_summaries(store, present)
    if summaries is None:
        raise FacetError(
            "the summary facet needs a model endpoint: set OPENAI_BASE_URL and/or OPENAI_API_KEY, "
            "or use --text first_message"
        )
    it = iter(summaries)
    return [(next(it) or t) if t else None for t in transcripts]
