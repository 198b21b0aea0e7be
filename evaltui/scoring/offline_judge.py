"""The offline judge: learns a rubric's choices from labelled examples, no endpoint needed.

Each example (a span's reply, and its label: a human label, or an LLM judge's
past choice) is embedded with all-MiniLM-L6-v2 and a logistic regression learns the
choice. Its own agreement is measured honestly: every labelled example is predicted by a
model trained on the other folds (5-fold cross-validation), and those out-of-fold
predictions are also what it returns when asked to score a labelled example again, so
calibrating it against the same human labels is not flattered by training data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from collections.abc import Sequence

from evaltui.scoring.errors import ScorerSetupError
from evaltui.scoring.protocol import Score
from evaltui.scoring.rubric import as_text

if TYPE_CHECKING:
    from evaltui.store.db import Store

MIN_LABELS = 30


def example_text(input: Any, output: Any) -> str:
    """What the judge reads: the reply. (On the sample logs, adding the customer's message
    lowered held-out agreement from kappa 0.76 to 0.43: the reply carries the grade.)"""
    return as_text(output)


@dataclass
class OfflineJudge:
    """A scorer (per evaltui's protocol) that predicts a rubric's choice from embeddings.

    Build it with ``OfflineJudge.from_store(store)`` (human Brand Alignment labels by
    default) or ``OfflineJudge(examples)`` with dicts of input, output, score, label.
    """

    examples: Sequence[dict[str, Any]]
    name: str = "Brand Alignment Offline"
    rubric_key: str = "brand_alignment"
    min_labels: int = MIN_LABELS
    folds: int = 5
    trained_on: str = "human"
    agreement: dict[str, Any] = field(default_factory=dict)
    # A store whose embedding cache the judge reads and fills (a text is embedded once per
    # database); without one, or once it is closed, embeddings stay in-process.
    store: Store | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._fit()

    @classmethod
    def from_store(
        cls,
        store: Store,
        *,
        label_key: str = "brand_alignment",
        sources: tuple[str, ...] = ("human",),
        online_version: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> OfflineJudge:
        from evaltui.store.calibration_pairs import labelled_examples

        examples = labelled_examples(store, label_key, sources, online_version)
        kwargs.setdefault("store", store)
        return cls(
            examples,
            name=name or f"{label_key.replace('_', ' ').title()} Offline",
            rubric_key=label_key,
            trained_on="+".join(sources),
            **kwargs,
        )

    def _embed(self, texts: list[str]) -> Any:
        from evaltui.scoring.embeddings import embed

        if self.store is not None:
            try:
                return embed(texts, store=self.store)
            except Exception:  # noqa: BLE001 - a closed or busy store: embed in-process instead
                self.store = None
        return embed(texts)

    # -- training ---------------------------------------------------------------

    def _fit(self) -> None:
        import numpy as np

        rows = [e for e in self.examples if e.get("score") is not None]
        self.scale: dict[str, float] = {}
        labels = []
        for e in rows:
            label = str(e["label"]) if e.get("label") not in (None, "") else f"{float(e['score']):g}"
            self.scale.setdefault(label, float(e["score"]))
            labels.append(label)
        counts = {c: labels.count(c) for c in self.scale}
        if len(rows) < self.min_labels:
            raise ScorerSetupError(
                f"{self.name} needs at least {self.min_labels} labelled examples of {self.rubric_key}, found "
                f"{len(rows)}: add labels with `evaltui label SPAN {self.rubric_key} CHOICE`"
            )
        if len(counts) < 2:
            raise ScorerSetupError(
                f"{self.name} needs labels of at least two different choices, found only {list(counts)}"
            )
        texts = [example_text(e.get("input"), e.get("output")) for e in rows]
        X = self._embed(texts)
        y = np.array(labels)
        self.classes = sorted(self.scale, key=lambda c: -self.scale[c])
        self.model = self._new_model().fit(X, y)
        self.version = (
            "logreg-minilm-"
            + hashlib.sha256(
                repr(sorted((e.get("id"), t, lab) for e, t, lab in zip(rows, texts, labels))).encode()
            ).hexdigest()[:12]
        )
        self._oof = self._out_of_fold(X, y, texts, counts)

    def _new_model(self) -> Any:
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")

    def _out_of_fold(self, X: Any, y: Any, texts: list[str], counts: dict[str, int]) -> dict[str, str]:
        """Predict every example from a model that did not see it; measure agreement."""
        from sklearn.model_selection import KFold, StratifiedKFold

        from evaltui.scoring.agreement import agreement

        folds = max(2, min(self.folds, len(y)))
        splitter = (
            StratifiedKFold(folds, shuffle=True, random_state=0)
            if min(counts.values()) >= folds
            else KFold(folds, shuffle=True, random_state=0)
        )
        predicted = list(y)
        for train, test in splitter.split(X, y):
            if len(set(y[train])) < 2:
                continue
            model = self._new_model().fit(X[train], y[train])
            for i, p in zip(test, model.predict(X[test])):
                predicted[i] = str(p)
        categories = [(c, self.scale[c]) for c in self.classes]
        self.agreement = agreement(list(zip([str(v) for v in y], predicted)), categories)
        self.agreement["folds"] = folds
        return {t: p for t, p in zip(texts, predicted)}

    # -- scoring ------------------------------------------------------------------

    def score_batch(self, items: Sequence[dict[str, Any]]) -> list[Score]:
        """Scores for many (input, output) dicts at once (one embedding batch)."""
        texts = [example_text(i.get("input"), i.get("output")) for i in items]
        unseen = list(dict.fromkeys(t for t in texts if t not in self._oof))
        fresh: dict[str, tuple[str, float]] = {}
        if unseen:
            X = self._embed(unseen)
            probs = self.model.predict_proba(X)
            for t, p in zip(unseen, probs):
                best = int(p.argmax())
                fresh[t] = (str(self.model.classes_[best]), float(p[best]))
        out = []
        for t in texts:
            if t in self._oof:
                label, held_out, confidence = self._oof[t], True, None
            else:
                (label, confidence), held_out = fresh[t], False
            meta = {"rubric": self.rubric_key, "trained_on": self.trained_on, "out_of_fold": held_out}
            if confidence is not None:
                meta["confidence"] = round(confidence, 4)
            rationale = (
                f"logistic regression on MiniLM embeddings, trained on {len(self._oof)} "
                f"{self.trained_on} labels" + (" (predicted out of fold)" if held_out else "")
            )
            out.append(Score(self.name, self.scale[label], label=label, rationale=rationale, metadata=meta))
        return out

    def __call__(self, input: Any = None, output: Any = None) -> Score:
        return self.score_batch([{"input": input, "output": output}])[0]
