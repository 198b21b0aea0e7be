"""Human labels: a person's judgement of a span for a scorer, the ground truth calibration
compares scorers with. Stored as ``scores`` rows with ``source = 'human'`` (the same
convention the sample logs use), so they never count as production scores."""

from __future__ import annotations

from typing import TYPE_CHECKING

from evaltui.config import settings
from evaltui.model import scorer_key
from evaltui.scoring.errors import ScorerSetupError
from evaltui.store.scoring import ScoreWrite, write_scores
from evaltui.store.calibration_pairs import label_scale, scorer_display_name, span_info

if TYPE_CHECKING:
    from evaltui.store.db import Store


def scale_for(store: Store, key: str) -> dict[str, float]:
    """label -> score of a scorer: its built-in rubric's choices, else the labels in use."""
    from evaltui.scoring.rubric import builtin_rubrics, load_rubric

    if key in builtin_rubrics():
        return dict(load_rubric(key).choices)
    return label_scale(store, key)


def add_label(
    store: Store,
    target_id: str,
    scorer: str,
    value: str | float,
    *,
    rationale: str | None = None,
    labeller: str | None = None,
) -> ScoreWrite:
    """Record a human label of span ``target_id`` for ``scorer`` (a choice such as "A",
    or a number in 0..1). Raises ScorerSetupError with a one-line reason."""
    info = span_info(store, target_id)
    if info is None:
        raise ScorerSetupError(f"no span {target_id!r} in {store.path}")
    key = scorer_key(scorer)
    scale = scale_for(store, key)
    name = scorer_display_name(store, key) or _rubric_name(key) or scorer
    score, label = parse_label_value(value, scale, key)
    row = ScoreWrite(
        target_id=target_id,
        root_id=info[0],
        scorer=name,
        scorer_version="human",
        score=score,
        label=label,
        rationale=rationale,
        source="human",
        metadata={"reviewer": labeller or settings().reviewer_name},
    )
    write_scores(store, [row])
    return row


def _rubric_name(key: str) -> str | None:
    from evaltui.scoring.rubric import builtin_rubrics, load_rubric

    return load_rubric(key).name if key in builtin_rubrics() else None


def parse_label_value(value: str | float, scale: dict[str, float], key: str) -> tuple[float, str | None]:
    text = str(value).strip()
    if text in scale:
        return scale[text], text
    folded = {k.lower(): k for k in scale}
    if text.lower() in folded:
        label = folded[text.lower()]
        return scale[label], label
    try:
        number = float(text)
    except ValueError:
        choices = ", ".join(scale) or "a number in 0..1"
        raise ScorerSetupError(f"{text!r} is not a label of {key}: use {choices}") from None
    if not 0.0 <= number <= 1.0:
        raise ScorerSetupError(f"a label's score must be in 0..1, got {number:g}")
    label = next((k for k, v in scale.items() if abs(v - number) < 1e-9), None)
    return number, label
