"""What a text says, not how it is wrapped: a text's vector is the weighted mean of its
sentences' vectors, each sentence weighted by its inverse document frequency over the
texts being mapped.

Support messages wrap the request in greetings, moods and sign-offs ("Thanks a million!",
"I want this sorted today or I'm done with you.") that repeat across every intent; embedded
whole, a message lands near others with the same wrapper or the same product rather than
the same request. A sentence that recurs in many texts carries little of what the customer
wants, so its weight falls to near zero; a rare sentence keeps a weight near log(N).
Nothing here is tuned per data set: the weights come from the texts themselves.

A second view of the same texts, for finding neighbours only (``lexical``): each text's
TF-IDF vector over its words and word pairs (seen in 2+ texts). Two requests of one intent share its words ("freeze my account",
"transfer money to") where MiniLM's cosine, compressed by the direction all its vectors
share, ranks a same-domain request of another intent as near; the neighbour graph re-ranks
MiniLM's nearest candidates by the mean of the two cosines (``nearest.knn``,
``cluster.ClusterParams.lexical_share``). bench/RESULTS.md "The representation: a lexical
view beside MiniLM" and "The lexical view re-ranks MiniLM's candidates".
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from collections.abc import Callable, Sequence

import numpy as np

if TYPE_CHECKING:
    from evaltui.store import Store

_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
_HAS_DIGIT = re.compile(r"\S*\d\S*")
MIN_WEIGHT = 1e-3  # a text made only of common sentences still has a direction
KEPT_FREQUENCIES = 5000  # sentence frequencies kept with a map to weigh new texts alike


def sentences(text: str) -> list[str]:
    """The sentences of a text (the text itself when it has none)."""
    parts = [p.strip() for p in _SPLIT.split(text) if p and p.strip()]
    return parts or [text]


def sentence_key(sentence: str) -> str:
    """Sentences compare without case and without ids, amounts and numbers."""
    return " ".join(_HAS_DIGIT.sub("#", sentence.lower()).split())


@dataclass
class SentenceWeights:
    """Document frequency of each sentence (by key) over ``n_texts`` texts."""

    n_texts: int
    frequency: dict[str, int] = field(default_factory=dict)

    @classmethod
    def fit(cls, texts: Sequence[str]) -> SentenceWeights:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update({sentence_key(s) for s in sentences(text)})
        return cls(len(texts), dict(counts))

    def weight(self, sentence: str) -> float:
        df = self.frequency.get(sentence_key(sentence), 1)
        return max(math.log(max(self.n_texts, 1) / df), 0.0) + MIN_WEIGHT

    def to_params(self) -> dict:
        """The frequencies worth keeping (sentences seen in 2+ texts, most frequent first)."""
        common = sorted(((k, v) for k, v in self.frequency.items() if v >= 2), key=lambda kv: (-kv[1], kv[0]))
        return {"n_texts": self.n_texts, "frequency": dict(common[:KEPT_FREQUENCIES])}

    @classmethod
    def from_params(cls, params: dict | None) -> SentenceWeights | None:
        if not params:
            return None
        return cls(int(params.get("n_texts", 0)), dict(params.get("frequency") or {}))


def combine(texts: Sequence[str], weights: SentenceWeights, vector_of: dict[str, np.ndarray]) -> np.ndarray:
    """Each text's L2-normalised weighted mean of its sentence vectors."""
    dim = len(next(iter(vector_of.values())))
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for i, text in enumerate(texts):
        for s in sentences(text):
            out[i] += weights.weight(s) * vector_of[s]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def text_vectors(
    store: Store,
    texts: Sequence[str],
    model: str,
    weights: SentenceWeights | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, SentenceWeights]:
    """Vectors for ``texts`` from their sentences' cached embeddings, and the weights used
    (fitted on ``texts`` unless given, as when new texts join an existing map)."""
    from evaltui.topics.embed import embed_texts

    weights = weights or SentenceWeights.fit(texts)
    unique = list(dict.fromkeys(s for t in texts for s in sentences(t)))
    if not unique:
        return np.zeros((0, 0), dtype=np.float32), weights
    matrix = embed_texts(store, unique, model, progress=progress)
    return combine(texts, weights, dict(zip(unique, matrix))), weights


def lexical(texts: Sequence[str]) -> Any:
    """Each text's TF-IDF vector (a scipy sparse matrix, L2-normalised rows): word 1- and
    2-grams seen in 2+ texts, stop words kept ("what is my", "how do i" tell CLINC150's
    intents apart; without them the view costs NMI everywhere, bench/RESULTS.md), sublinear
    term frequency; None when no word recurs."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        matrix = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit_transform(texts)
    except ValueError:  # no word in 2+ texts
        return None
    return matrix.astype(np.float32).tocsr()
