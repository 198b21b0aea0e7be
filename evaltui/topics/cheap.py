"""The cheap path for very large logs: a linear classifier over TF-IDF word n-grams,
trained on the MiniLM topic assignments of a sample, assigns the rest. Unassigned is a
class of its own, so the classifier also learns what belongs to no topic. Its agreement
with the MiniLM path is measured on texts it was not trained on and kept with the map.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Sequence

import numpy as np


@dataclass
class CheapAssigner:
    seed: int = 42
    vectorizer: Any = None
    classifier: Any = None
    constant: int | None = None  # when the sample holds a single class

    def fit(self, texts: Sequence[str], labels: np.ndarray) -> CheapAssigner:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import SGDClassifier

        classes = np.unique(labels)
        if len(classes) < 2:
            self.constant = int(classes[0]) if len(classes) else -1
            return self
        self.vectorizer = TfidfVectorizer(
            sublinear_tf=True,
            ngram_range=(1, 2),
            min_df=2,
            max_features=300_000,
            dtype=np.float32,
            token_pattern=r"(?u)\b\w+\b",
        )
        features = self.vectorizer.fit_transform(texts)
        self.classifier = SGDClassifier(
            loss="modified_huber", alpha=2e-5, max_iter=30, tol=None, random_state=self.seed
        ).fit(features, labels)
        return self

    def predict(self, texts: Sequence[str], batch: int = 100_000) -> np.ndarray:
        if self.constant is not None:
            return np.full(len(texts), self.constant, dtype=np.int64)
        out = np.empty(len(texts), dtype=np.int64)
        for start in range(0, len(texts), batch):
            chunk = texts[start : start + batch]
            out[start : start + len(chunk)] = self.classifier.predict(self.vectorizer.transform(chunk))
        return out


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Share of texts both paths put in the same topic (or both leave unassigned)."""
    return float(np.mean(a == b)) if len(a) else 1.0
