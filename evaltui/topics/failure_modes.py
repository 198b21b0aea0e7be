"""Failure modes: why a topic (or a group of topics) fails, by clustering the rationales of
its failing judge scores and the notes of its failing human labels.

Per scorer (a judge and the people who label for it share a scorer key), the distinct
rationales are clustered by complete linkage on cosine distance, cut below the median
distance between two of them: every two rationales of a mode are closer than a typical pair
of that scorer's rationales. Nothing is tuned to a data set; the scale comes from the
rationales themselves. Two things beside the words decide what a mode is:

- **What was graded.** A rationale is read beside the replies it was given to: its vector is
  its MiniLM vector and the mean direction of its replies' (two unit halves, so the cosine is
  the mean of the two cosines, as the topic map's lexical view does). Words alone put
  "pushes the work back onto the customer with a checklist" next to "blames the customer"
  (both are about the customer) and far from "a wall of procedural steps"; the replies they
  judge (a numbered recovery checklist, an accusation) say which failure each one names.
  At most ``REPLIES_READ`` replies per scorer are read (a bound on embedding time: a
  read-only store, as the app's, embeds them afresh), dealt out one per rationale in turn,
  most frequent first; only rationales with a reply read are clustered, the rest join their
  nearest mode by words.
- **What people said.** Each judge rationale's failing grades carry people's labels wherever
  in the store that scorer's grade was given with that text (``store.failures.rationale_verdicts``;
  a human note is a failing label of its own). A rationale whose grades people pass more
  often than they fail (the judge is overruled: its blind spot, to fix in the judge) and one
  whose grades people fail more often (upheld: the bot's failure, to fix in the bot) never
  share a mode, however alike their words: their distance is set beyond any cut.
  Unlabelled rationales and ties are free to join either.

Beyond ``MAX_CLUSTERED`` distinct rationales (a bound on memory, not a quality setting) the
most frequent are clustered and the rest join their nearest mode by words. A mode is named
by its most central rationale, trimmed (or by an LLM when an endpoint is configured), with
c-TF-IDF keywords beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from collections.abc import Sequence

import numpy as np

if TYPE_CHECKING:
    from evaltui.store import Store

MAX_CLUSTERED = 2000  # distinct rationales per scorer in the linkage (its memory grows as n^2)
REPLIES_READ = 256  # graded replies read per scorer, dealt out over its rationales (a bound on embedding time)
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


def verdict(labelled: int, passed: int) -> int:
    """What people said of a rationale's grades: 1 they pass more of them than they fail (the
    judge is overruled), -1 they fail more (it is upheld), 0 no verdict (unlabelled or a tie)."""
    margin = 2 * passed - labelled  # passed - failed
    return int(np.sign(margin))


def cluster_rationales(vectors: np.ndarray, verdicts: np.ndarray | None = None) -> np.ndarray:
    """Mode labels 0..k-1 of L2-normalised ``vectors`` (one per distinct rationale).

    Complete linkage on cosine distance, cut just below the median pairwise distance, so
    every two members of a mode are closer than the median pair. ``verdicts`` (``verdict``
    of each rationale, or None) keep a rationale people overrule and one people uphold out of
    one mode, however close their words. Labels are numbered by first appearance, so the
    result depends only on the input order.
    """
    n = len(vectors)
    if n <= 1:
        return np.zeros(n, dtype=np.int64)
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    dist = np.clip(pdist(vectors.astype(np.float64), "cosine"), 0.0, 2.0)
    cut = np.nextafter(float(np.median(dist)), 0.0)  # the scale of the words alone
    if verdicts is not None and (verdicts > 0).any() and (verdicts < 0).any():
        i, j = np.triu_indices(n, 1)  # pdist's order of pairs
        apart = verdicts[i] * verdicts[j] < 0  # one overruled, one upheld
        dist = np.where(apart, 4.0, dist)  # beyond any cut: complete linkage never joins them
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


def build_modes(
    rows: Sequence[dict[str, Any]],
    vectors_of: Any,
    threshold: Any = None,
    evidence: dict[tuple[str, str], tuple[int, int]] | None = None,
    replies_of: Any = None,
) -> list[FailureMode]:
    """Failure modes of ``rows`` (from ``evaltui.store.failures.failing_rationales``), largest first.

    ``vectors_of(texts) -> (n, d) array`` embeds distinct rationales; ``threshold(key)`` tells
    whether a person's label passed. ``evidence``: what people said of each judge rationale's
    grades, ``{(scorer_key, rationale): (labelled, passed)}`` (``store.failures.rationale_verdicts``,
    read over the whole store), where a human note counts as a failing label of its own text;
    None: the words alone decide. ``replies_of(span_ids) -> {span_id: text}`` gives what was
    graded; with it a rationale is read beside the replies it was given to.
    """
    from evaltui.topics.label import keywords as top_keywords

    total = len(rows)
    if not total:
        return []
    by_scorer = _distinct(rows)
    modes: list[FailureMode] = []
    for key in sorted(by_scorer):
        group, texts = by_scorer[key]  # texts most frequent first: they are clustered
        counts: dict[str, int] = {}
        for r in group:
            counts[r["rationale"]] = counts.get(r["rationale"], 0) + 1
        weights = np.array([counts[t] for t in texts], dtype=np.float64)
        vectors = np.asarray(vectors_of(texts), dtype=np.float64)
        said = _evidence(key, group, evidence)
        verdicts = np.array([verdict(*said.get(t, (0, 0))) for t in texts], dtype=np.int64)
        head = _head(len(texts), replies_of is not None)
        seen = vectors[:head]
        if replies_of is not None:
            seen = np.hstack([seen, _reply_vectors(texts[:head], group, vectors[:head], vectors_of, replies_of)])
            seen /= np.sqrt(2.0)  # two unit halves: the cosine is the mean of the two cosines
        labels = np.empty(len(texts), dtype=np.int64)
        labels[:head] = cluster_rationales(seen, verdicts[:head])
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


def _reply_spans(texts: Sequence[str], group: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """The spans whose replies are read, per rationale: ``REPLIES_READ`` in all, dealt out one
    per rationale in turn, most frequent rationale first, each's spans in order."""
    given: dict[str, list[str]] = {t: [] for t in texts}
    for r in group:  # rows come in span order
        ids = given.get(r["rationale"])
        if ids is not None and r["span_id"] not in ids:
            ids.append(r["span_id"])
    spans: dict[str, list[str]] = {t: [] for t in texts}
    budget, depth = REPLIES_READ, 0
    while budget > 0 and any(len(ids) > depth for ids in given.values()):
        for t in texts:
            if budget > 0 and len(given[t]) > depth:
                spans[t].append(given[t][depth])
                budget -= 1
        depth += 1
    return spans


def _distinct(rows: Sequence[dict[str, Any]]) -> dict[str, tuple[list[dict[str, Any]], list[str]]]:
    """Per scorer key: its rows and its distinct rationales, most frequent first (ties by text)."""
    out: dict[str, tuple[list[dict[str, Any]], list[str]]] = {}
    for r in rows:
        out.setdefault(r["scorer_key"], ([], []))[0].append(r)
    for group, texts in out.values():
        counts: dict[str, int] = {}
        for r in group:
            counts[r["rationale"]] = counts.get(r["rationale"], 0) + 1
        texts.extend(sorted(counts, key=lambda t: (-counts[t], t)))
    return out


def _head(n: int, with_replies: bool) -> int:
    """How many of n distinct rationales (most frequent first) are clustered: the rest join
    their nearest mode by words (with replies, only those with one read are clustered)."""
    return min(n, MAX_CLUSTERED, max(1, REPLIES_READ) if with_replies else MAX_CLUSTERED)


def _reply_vectors(
    texts: Sequence[str], group: Sequence[dict[str, Any]], own: np.ndarray, vectors_of: Any, replies_of: Any
) -> np.ndarray:
    """Per rationale, the mean direction of the replies it was given to (``_reply_spans``);
    its own vector when none of its replies is read or has text."""
    spans = _reply_spans(texts, group)
    graded = replies_of([i for ids in spans.values() for i in ids])
    from evaltui.topics.text import clean

    distinct = sorted({clean(t) for t in graded.values()} - {""})
    if not distinct:
        return own.copy()
    at = {t: i for i, t in enumerate(distinct)}
    reply_vecs = np.asarray(vectors_of(distinct), dtype=np.float64)
    out = own.copy()
    for n, t in enumerate(texts):
        rows = [at[c] for c in (clean(graded.get(i)) for i in spans[t]) if c]
        if rows:
            mean = reply_vecs[rows].mean(axis=0)
            out[n] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return out


def _evidence(
    key: str, group: Sequence[dict[str, Any]], evidence: dict[tuple[str, str], tuple[int, int]] | None
) -> dict[str, tuple[int, int]]:
    """(labelled, passed) per distinct rationale of one scorer's rows: a judge's from
    ``evidence``, and each human note a failing label of its own text; none without evidence."""
    if evidence is None:
        return {}
    said: dict[str, tuple[int, int]] = {}
    for r in group:
        text = r["rationale"]
        if r["source"] == "human":
            labelled, passed = said.get(text, (0, 0))
            said[text] = (labelled + 1, passed)
    for text in {r["rationale"] for r in group if r["source"] != "human"}:
        labelled, passed = evidence.get((key, text), (0, 0))
        mine = said.get(text, (0, 0))
        said[text] = (mine[0] + labelled, mine[1] + passed)
    return said


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


@dataclass
class ModeInputs:
    """What the failure modes need from the store, read in one brief visit (``gather``); the
    clustering (``modes_from``) then runs without the store, so a read-only reader such as the
    app does not hold the file while MiniLM embeds."""

    rows: list[dict[str, Any]]
    threshold: Any
    evidence: dict[tuple[str, str], tuple[int, int]]
    replies: dict[str, str]  # span id -> the graded reply, for the spans whose replies are read
    cached: dict[str, np.ndarray]  # text hash -> cached MiniLM vector, for every text embedded


def gather(store: Store, *, topic_keys: Sequence[str] | None = None, where: str | None = None) -> ModeInputs | None:
    """Read what the failure modes of the matching conversations need (None: no failing
    grade with a rationale)."""
    from evaltui.config import get_settings
    from evaltui.store.failures import failing_rationales, graded_texts, rationale_verdicts
    from evaltui.topics.embed import DEFAULT_MODEL, cached_vectors, text_hash
    from evaltui.topics.text import clean

    threshold = get_settings().threshold
    rows = failing_rationales(store, threshold, topic_keys=topic_keys, where=where)
    if not rows:
        return None
    judged = sorted({(r["scorer_key"], r["rationale"]) for r in rows if r["source"] != "human"})
    evidence = rationale_verdicts(store, threshold, judged)
    read: list[str] = []
    for group, texts in _distinct(rows).values():
        spans = _reply_spans(texts[: _head(len(texts), True)], group)
        read += [i for ids in spans.values() for i in ids]
    replies = graded_texts(store, read)
    embedded = {r["rationale"] for r in rows} | {clean(t) for t in replies.values()}
    cached = cached_vectors(store, sorted({text_hash(t) for t in embedded if t}), DEFAULT_MODEL)
    return ModeInputs(rows, threshold, evidence, replies, cached)


def modes_from(inputs: ModeInputs, limit: int | None = 5, vectors_of: Any = None) -> list[FailureMode]:
    """The ``limit`` largest failure modes (all when None) of what ``gather`` read; texts
    not in its cache are embedded here (or by ``vectors_of``), without the store."""
    from evaltui.topics.embed import DEFAULT_MODEL, encode, text_hash

    def from_cache(texts: list[str]) -> np.ndarray:
        hashes = [text_hash(t) for t in texts]
        found = dict(inputs.cached)
        missing = [t for t, h in zip(texts, hashes) if h not in found]
        if missing:
            found.update(zip((text_hash(t) for t in missing), encode(missing, DEFAULT_MODEL)))
        return np.stack([found[h] for h in hashes])

    replies = inputs.replies
    modes = build_modes(
        inputs.rows,
        vectors_of or from_cache,
        inputs.threshold,
        inputs.evidence,
        replies_of=lambda ids: {i: replies[i] for i in ids if i in replies},
    )
    return modes if limit is None else modes[:limit]


def failure_modes_of(
    store: Store,
    *,
    topic_keys: Sequence[str] | None = None,
    where: str | None = None,
    limit: int | None = 5,
    name_with_llm: bool = True,
) -> list[FailureMode]:
    """The failure modes of the conversations in ``topic_keys`` (a topic, or a group's topics)
    that match the filter ``where``; the ``limit`` largest (all when None). A writable store
    caches the vectors it embeds."""
    from evaltui.topics.embed import DEFAULT_MODEL

    inputs = gather(store, topic_keys=topic_keys, where=where)
    if inputs is None:
        return []
    modes = modes_from(inputs, limit, lambda texts: _vectors(store, texts, DEFAULT_MODEL))
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
