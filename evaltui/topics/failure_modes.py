"""Failure modes: why a topic (or a group of topics) fails, by clustering the rationales of
its failing judge scores and the notes of its failing human labels.

Per scorer (a judge and the people who label for it share a scorer key), the distinct
rationales are embedded (MiniLM, cached in the store) and clustered by complete linkage on
cosine distance, cut below the median distance between two of them: every two rationales
of a mode are closer than a typical pair of that scorer's rationales. Nothing is tuned to a
data set; the scale comes from the rationales themselves. Beyond ``MAX_CLUSTERED`` distinct
rationales (a bound on memory, not a quality setting) the most frequent are clustered and
the rest join their nearest mode. A mode is named by its most central rationale, trimmed
(or by an LLM when an endpoint is configured), with c-TF-IDF keywords beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from collections.abc import Sequence

import numpy as np

if TYPE_CHECKING:
    from evaltui.store import Store

MAX_CLUSTERED = 2000  # distinct rationales per scorer in the linkage (its memory grows as n^2)
NAME_CHARS = 72

NAME_PROMPT = (
    "An evaluator failed replies of a support assistant for these reasons (one failure mode).\n"
    "Keywords: {keywords}.\nReasons:\n{examples}\n\n"
    "Reply with only a short name for this failure mode (3 to 7 words, lowercase, no punctuation)."
)


@dataclass
class FailureMode:
    """One reason a topic fails, with how often it is given and one example."""

    name: str
    scorer: str  # the scorer key whose rationales (and human notes) these are
    count: int  # failing grades in this mode
    share: float  # of all failing grades with a rationale in the topic
    keywords: list[str]
    example_span_id: str
    example_rationale: str
    sources: dict[str, int] = field(default_factory=dict)  # "judge-v1": 50, "human": 4
    labelled: int = 0  # judge failures in this mode that people also labelled
    people_passed: int = 0  # ... and people passed
    rationales: list[str] = field(default_factory=list)  # its most frequent distinct rationales (up to 5)


def trim(text: str, limit: int = NAME_CHARS) -> str:
    """The first sentence of ``text``, cut at a word boundary within ``limit`` characters."""
    text = " ".join(text.split())
    for stop in (". ", "; ", ": "):
        head = text.split(stop, 1)[0]
        if head != text and len(head) >= 12:  # "Bad: misleading" keeps its tail: a short head says nothing
            text = head
            break
    text = text.rstrip(".;: ")
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:- ")
    return cut + "…"


def cluster_rationales(vectors: np.ndarray) -> np.ndarray:
    """Mode labels 0..k-1 of L2-normalised ``vectors`` (one per distinct rationale).

    Complete linkage on cosine distance, cut just below the median pairwise distance, so
    every two members of a mode are closer than the median pair. Labels are numbered by
    first appearance, so the result depends only on the input order.
    """
    n = len(vectors)
    if n <= 1:
        return np.zeros(n, dtype=np.int64)
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    dist = np.clip(pdist(vectors.astype(np.float64), "cosine"), 0.0, 2.0)
    cut = np.nextafter(float(np.median(dist)), 0.0)
    raw = fcluster(linkage(dist, "complete"), cut, criterion="distance")
    first: dict[int, int] = {}
    return np.array([first.setdefault(int(r), len(first)) for r in raw], dtype=np.int64)


def central(vectors: np.ndarray, weights: np.ndarray) -> int:
    """Index of the member most similar, weighted by counts, to the others (the medoid)."""
    sims = vectors @ (vectors.T @ weights)
    return int(np.argmax(sims))


def nearest_mode(vectors: np.ndarray, labels: np.ndarray, weights: np.ndarray, others: np.ndarray) -> np.ndarray:
    """For rationales left out of the linkage: the mode whose weighted centroid is closest."""
    k = int(labels.max()) + 1
    cents = np.zeros((k, vectors.shape[1]))
    np.add.at(cents, labels, vectors * weights[:, None])
    cents /= np.maximum(np.linalg.norm(cents, axis=1, keepdims=True), 1e-12)
    return np.argmax(others @ cents.T, axis=1)


def build_modes(rows: Sequence[dict[str, Any]], vectors_of: Any, threshold: Any = None) -> list[FailureMode]:
    """Failure modes of ``rows`` (from ``evaltui.store.failures.failing_rationales``), largest first.

    ``vectors_of(texts) -> (n, d) array`` embeds distinct rationales; ``threshold(key)`` tells
    whether a person's label passed.
    """
    from evaltui.topics.label import keywords as top_keywords

    total = len(rows)
    if not total:
        return []
    by_scorer: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_scorer.setdefault(r["scorer_key"], []).append(r)
    modes: list[FailureMode] = []
    for key in sorted(by_scorer):
        group = by_scorer[key]
        counts: dict[str, int] = {}
        for r in group:
            counts[r["rationale"]] = counts.get(r["rationale"], 0) + 1
        texts = sorted(counts, key=lambda t: (-counts[t], t))  # most frequent first: they are clustered
        weights = np.array([counts[t] for t in texts], dtype=np.float64)
        vectors = np.asarray(vectors_of(texts), dtype=np.float64)
        head = min(len(texts), MAX_CLUSTERED)
        labels = np.empty(len(texts), dtype=np.int64)
        labels[:head] = cluster_rationales(vectors[:head])
        if head < len(texts):
            labels[head:] = nearest_mode(vectors[:head], labels[:head], weights[:head], vectors[head:])
        k = int(labels.max()) + 1
        words = top_keywords(texts, labels.tolist(), k, top_n=5)
        label_of = dict(zip(texts, labels.tolist()))
        for c in range(k):
            idx = np.flatnonzero(labels == c)
            best = texts[idx[central(vectors[idx], weights[idx])]]
            in_mode = [r for r in group if label_of[r["rationale"]] == c]
            example = next(r for r in in_mode if r["rationale"] == best)
            sources: dict[str, int] = {}
            for r in in_mode:
                src = "human" if r["source"] == "human" else (r["version"] or "judge")
                sources[src] = sources.get(src, 0) + 1
            labelled = [r for r in in_mode if r["source"] != "human" and r.get("human_score") is not None]
            passed = sum(1 for r in labelled if threshold is not None and r["human_score"] >= threshold(key))
            modes.append(
                FailureMode(
                    name=trim(best),
                    scorer=key,
                    count=len(in_mode),
                    share=len(in_mode) / total,
                    keywords=words[c],
                    example_span_id=example["span_id"],
                    example_rationale=best,
                    sources=sources,
                    labelled=len(labelled),
                    people_passed=passed,
                    rationales=[texts[i] for i in idx[:5]],  # texts are most frequent first
                )
            )
    modes.sort(key=lambda m: (-m.count, m.scorer, m.name))
    return modes


def _vectors(store: Store, texts: list[str], model: str) -> np.ndarray:
    """MiniLM vectors of ``texts``: through the store's cache, which a read-only store only reads."""
    from evaltui.topics.embed import cached_vectors, embed_texts, encode, text_hash

    if not getattr(store, "read_only", False):
        return embed_texts(store, texts, model)
    hashes = [text_hash(t) for t in texts]
    found = cached_vectors(store, hashes, model)
    missing = [t for t, h in zip(texts, hashes) if h not in found]
    if missing:
        found.update(zip((text_hash(t) for t in missing), encode(missing, model)))
    return np.stack([found[h] for h in hashes])


def _llm_namer(store: Store) -> Any:
    """Names modes with the configured endpoint; None (keep the trimmed rationale) without one."""
    from evaltui.topics import naming

    client = naming._client(store)
    if client is None:
        return None

    def name(keywords: Sequence[Sequence[str]], examples: Sequence[Sequence[str]]) -> list[str | None]:
        import asyncio

        prompts = [
            NAME_PROMPT.format(keywords=", ".join(kw), examples="\n".join(f"- {e[:200]}" for e in ex))
            for kw, ex in zip(keywords, examples)
        ]
        return asyncio.run(naming._ask_all(client, prompts, max_tokens=20))

    return name


def failure_modes_of(
    store: Store,
    *,
    topic_keys: Sequence[str] | None = None,
    where: str | None = None,
    limit: int | None = 5,
    name_with_llm: bool = True,
) -> list[FailureMode]:
    """The failure modes of the conversations in ``topic_keys`` (a topic, or a group's topics)
    that match the filter ``where``; the ``limit`` largest (all when None)."""
    from evaltui.config import get_settings
    from evaltui.store.failures import failing_rationales
    from evaltui.topics.embed import DEFAULT_MODEL

    threshold = get_settings().threshold
    rows = failing_rationales(store, threshold, topic_keys=topic_keys, where=where)
    if not rows:
        return []
    modes = build_modes(rows, lambda texts: _vectors(store, texts, DEFAULT_MODEL), threshold)
    modes = modes if limit is None else modes[:limit]
    namer = _llm_namer(store) if name_with_llm and modes else None
    if namer is not None:
        # Only the modes shown are named: one call each, cached by the LLM client.
        for m, name in zip(modes, namer([m.keywords for m in modes], [m.rationales for m in modes]) or []):
            if name:
                m.name = name
    return modes


def failure_modes(store: Store, topic_key: str, limit: int = 5, *, name_with_llm: bool = True) -> list[FailureMode]:
    """The ``limit`` largest failure modes of one topic (``(unassigned)`` for the rest)."""
    return failure_modes_of(store, topic_keys=[topic_key], limit=limit, name_with_llm=name_with_llm)
