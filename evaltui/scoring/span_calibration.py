"""Calibrating a scorer in the store: its scores against the human labels of its rubric."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from collections.abc import Sequence

from evaltui.model import scorer_key
from evaltui.scoring import agreement
from evaltui.scoring.errors import ScorerSetupError
from evaltui.scoring.human_labels import scale_for
from evaltui.store.calibration_pairs import calibration_pairs, machine_scorer_keys, scorer_rubric, scorer_versions
from evaltui.store.reviewers import check_reviewer, truth_name

if TYPE_CHECKING:
    from evaltui.config import Settings
    from evaltui.store.db import Store


def labels_key(store: Store, key: str) -> str:
    """Whose human labels a scorer is compared with: the rubric it grades by (the offline
    judge ``brand_alignment_offline`` is compared with ``brand_alignment`` labels)."""
    return scorer_rubric(store, key) or key


def _no_scores(store: Store, scorer: str, key: str) -> str:
    """Why there is nothing to calibrate: a scorer that can run but has not (run it), or a
    name nothing knows (the closest scorer that has scores)."""
    from evaltui.names import did_you_mean
    from evaltui.scoring.registry import available

    runnable = key in available() or any(c in scorer for c in ":/") or scorer.endswith((".yaml", ".yml"))
    if runnable:
        return f"no scores from {scorer!r} yet: run `evaltui score --scorer {scorer}` first"
    scored = machine_scorer_keys(store)
    guess = did_you_mean(key, scored) or did_you_mean(key, available())
    hint = f"; did you mean {guess}?" if guess else f"; scorers with scores: {', '.join(scored) or 'none'}"
    return f"no scorer named {scorer}{hint}"


def calibrate(
    store: Store,
    scorer: str,
    *,
    versions: Sequence[str] = (),
    against: str | None = None,
    settings: Settings | None = None,
    reviewer: str | None = None,
) -> dict[str, Any]:
    """Agreement of ``scorer`` with human labels.

    One version (default: the newest): ``{"scorer", "version", "labels_of", "labels",
    "weighted", "threshold", "overall": agreement, "by_topic": {TOPIC: agreement},
    "by_group": {GROUP: agreement}, "disagreements": [...]}`` (see ``agreement.agreement``
    and ``agreement.disagreements``). Two versions: ``{"scorer", "labels_of", "versions":
    [A, B], "a": report, "b": report, "n", "fixed", "broken"}`` on the labelled targets both
    versions scored.
    """
    from evaltui.config import get_settings
    from evaltui.store.calibration_pairs import topic_groups

    key = scorer_key(scorer)
    known = scorer_versions(store, key)
    if not known:
        raise ScorerSetupError(_no_scores(store, scorer, key))
    names = [v for v, _, _ in known]
    for v in versions:
        if v not in names:
            raise ScorerSetupError(f"{scorer} has no version {v!r}; versions: {', '.join(names)}")
    if len(versions) > 2:
        raise ScorerSetupError("compare at most two versions at a time")
    label_key = scorer_key(against) if against else labels_key(store, key)
    scale = scale_for(store, label_key)
    chosen = list(versions) or [names[0]]
    if reviewer is not None:
        check_reviewer(store, label_key, reviewer)
    pair_sets = [calibration_pairs(store, key, v, label_key, reviewer) for v in chosen]
    if not any(pair_sets):
        raise ScorerSetupError(
            f"no human labels of {label_key} on spans {scorer} scored: add some with `evaltui label SPAN {label_key} VALUE`"
        )
    threshold = (settings or get_settings()).threshold(label_key)
    if len(chosen) == 1:
        out = agreement.report(pair_sets[0], scale, threshold, topic_groups(store))
        return {
            "scorer": key,
            "version": chosen[0],
            "labels_of": label_key,
            "ground_truth": truth_name(reviewer),
            **out,
            "disagreements": agreement.disagreements(pair_sets[0], scale),
        }
    out = agreement.compare(pair_sets[0], pair_sets[1], scale, threshold)
    return {"scorer": key, "labels_of": label_key, "ground_truth": truth_name(reviewer), "versions": chosen, **out}
