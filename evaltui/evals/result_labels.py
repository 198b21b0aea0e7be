"""Human labels of eval results, and the one writer the app's label keys use.

A label of a result is a ``scores`` row with ``source = 'human'`` whose target is the
result id (labels of log spans are written by ``evaltui.scoring.human_labels.add_label``).
How an eval's judge agrees with them is ``evaltui.evals.calibration``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evaltui.config import settings
from evaltui.model import scorer_key
from evaltui.scoring.errors import ScorerSetupError

if TYPE_CHECKING:
    from evaltui.store.db import Store


def label_result(store: Store, result_id: str, scorer: str, value: str | float, *, labeller: str | None = None) -> Any:
    """Record a human label of eval result ``result_id`` for ``scorer`` ("A", "Y", 0.5...)."""
    from evaltui.scoring.human_labels import parse_label_value, scale_for
    from evaltui.store.calibration_pairs import result_experiment, result_scale
    from evaltui.store.scoring import ScoreWrite, write_scores

    found = result_experiment(store, result_id)
    if found is None:
        raise ScorerSetupError(f"no eval result {result_id!r}")
    key = scorer_key(scorer)
    scale = result_scale(store, key) or scale_for(store, key)
    score, label = parse_label_value(value, scale, key)
    row = ScoreWrite(
        target_id=result_id,
        root_id=None,
        scorer=scorer,
        scorer_version="human",
        score=score,
        label=label,
        source="human",
        metadata={"experiment_id": found[0], "reviewer": labeller or settings().reviewer_name},
    )
    write_scores(store, [row])
    return row


def save_label(
    path: Any,
    lock_timeout: float,
    target: str,
    scorer: str,
    value: str,
    *,
    result: bool = False,
    rationale: str | None = None,
) -> str | None:
    """Write one human label in a short read-write session (what the app's label keys do):
    of eval result ``target`` when ``result``, else of log span ``target``. Returns the
    one-line reason it could not be written, or None."""
    from evaltui.scoring.human_labels import add_label
    from evaltui.store import StoreError
    from evaltui.store.connections import writing

    try:
        with writing(path, lock_timeout) as store:
            if result:
                label_result(store, target, scorer, value)
            else:
                add_label(store, target, scorer, value, rationale=rationale)
    except (StoreError, ScorerSetupError) as exc:
        return str(exc)
    return None
