"""Readable topic labels from class-based TF-IDF (c-TF-IDF) keywords.

All the texts of a topic form one document; a word's weight is its frequency in that
topic times log(1 + average words per topic / its frequency over all topics), so words
common everywhere ("please", "order") sink and the words that set a topic apart rise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

# Words that carry no topic in support conversations, on top of English stop words.
EXTRA_STOP_WORDS = frozenset(
    "hi hello hey thanks thank please pls help need want wanna like know just really "
    "im ive dont cant id ill youre get got make could would can assist assistance "
    "good morning afternoon evening excuse urgent check "
    # fragments of contractions the tokenizer splits off: "isn't" -> "isn"
    "isn hasn haven doesn didn wasn weren won wouldn couldn shouldn aren ve ll re".split()
)


# Whitespace-delimited tokens with a digit: ids ("#JL-482913", "1Z99..."), amounts, sizes.
# Dropped whole, so an id's letters ("JL") never become a topic's keyword.
_HAS_DIGIT = re.compile(r"\S*\d\S*")


def _preprocess(text: str) -> str:
    return _HAS_DIGIT.sub(" ", text.lower())


def _vectorizer(ngram_range: tuple[int, int], min_df: int):
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    return CountVectorizer(
        stop_words=sorted(ENGLISH_STOP_WORDS | EXTRA_STOP_WORDS),
        ngram_range=ngram_range,
        min_df=min_df,
        token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b",  # words, not order numbers
        preprocessor=_preprocess,
    )


def c_tf_idf(
    texts: Sequence[str], labels: Sequence[int], k: int, ngram_range: tuple[int, int] = (1, 2), min_df: int = 1
) -> tuple[np.ndarray, list[str]]:
    """The c-TF-IDF matrix (topics 0..k-1 x terms) and its terms.

    Words are counted per text and summed per topic, so no phrase spans two texts.
    """
    import scipy.sparse as sp

    vectorizer = _vectorizer(ngram_range, min_df)
    try:
        per_text = vectorizer.fit_transform(texts)
    except ValueError:  # no words at all
        return np.zeros((k, 0)), []
    labels_arr = np.asarray(labels)
    member = labels_arr >= 0
    indicator = sp.csr_matrix(
        (np.ones(int(member.sum())), (labels_arr[member], np.flatnonzero(member))), shape=(k, len(texts))
    )
    counts = np.asarray((indicator @ per_text).todense(), dtype=np.float64)
    terms = list(vectorizer.get_feature_names_out())
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    avg_words = counts.sum() / max(k, 1)
    idf = np.log(1.0 + avg_words / np.maximum(counts.sum(axis=0), 1.0))
    return tf * idf, terms


def keywords(texts: Sequence[str], labels: Sequence[int], k: int, top_n: int = 8) -> list[list[str]]:
    """The top keywords of each topic 0..k-1; a word already inside a chosen phrase is skipped."""
    if k == 0:
        return []
    matrix, terms = c_tf_idf(texts, labels, k)
    out: list[list[str]] = []
    for c in range(k):
        if not terms:
            out.append([])
            continue
        chosen: list[str] = []
        weight: dict[str, float] = {}
        row = matrix[c]
        present = np.flatnonzero(row > 0)  # the topic's own terms: the rest of the row is 0
        for j in present[np.argsort(-row[present], kind="stable")]:
            if len(chosen) >= top_n:
                break
            term, w = terms[j], float(row[j])
            words = set(term.split())
            if any(words <= set(t.split()) for t in chosen):
                continue  # "password" after "password reset": nothing new
            absorbed = [t for t in chosen if set(t.split()) < words]
            if absorbed:
                # "password reset" after "password": the phrase takes the word's place when
                # it is nearly as strong, else it only repeats the word.
                if w < 0.6 * weight[absorbed[0]]:
                    continue
                at = chosen.index(absorbed[0])
                chosen = [t for t in chosen if t not in absorbed]
                chosen.insert(at, term)
            else:
                chosen.append(term)
            weight[term] = w
        out.append(chosen)
    return out


def label_from_keywords(words: Sequence[str], n: int = 3) -> str:
    """ "password reset · locked out · login"."""
    return " · ".join(words[:n]) if words else "(no keywords)"


def slug(text: str, max_words: int = 3) -> str:
    """A key a person can type in a filter: "password reset · locked out" -> "password_reset_locked"."""
    words = list(dict.fromkeys(re.findall(r"[a-z0-9]+", text.lower())))[:max_words]  # "cast iron · cast" once
    return "_".join(words) or "topic"


def _clauses(sentence: str) -> list[str]:
    return [c.strip() for c in re.split(r"[,;:]\s+", sentence) if c.strip()] or [sentence]


def _trim(text: str, max_chars: int) -> str:
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text.rstrip(" .!?")
    cut = text[:max_chars].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"


def readable_names(
    texts: Sequence[str], vectors: np.ndarray, labels: np.ndarray, k: int, weights=None, max_chars: int = 48
) -> list[str]:
    """A name a person would use for each cluster 0..k-1: the sentence that carries the
    request (the rarest one, by ``weights``) of the member closest to the cluster's centre,
    trimmed, e.g. "The password reset link says it's expired"."""
    from evaltui.topics.represent import sentences

    labels = np.asarray(labels)
    # A leading clause many texts share ("Hey there,", "Good morning,") is a wrapper too.
    from collections import Counter

    openers = Counter(c[0].lower() for c in map(_clauses, texts) if len(c) > 1)
    out: list[str] = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        if not len(members):
            out.append("(empty)")
            continue
        centre = vectors[members].mean(axis=0)
        best = members[int(np.argmax(vectors[members] @ centre))]
        parts = sentences(texts[best])
        core = max(parts, key=weights.weight) if weights is not None else parts[0]
        clauses = _clauses(core)
        while len(clauses) > 1 and openers[clauses[0].lower()] >= 2:
            clauses = clauses[1:]
        core = ", ".join(clauses)
        out.append(_trim(core[:1].upper() + core[1:], max_chars) or "(no text)")
    return out
