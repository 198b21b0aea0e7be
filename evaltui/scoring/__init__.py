"""Scorers: one protocol for code scorers, LLM judges and autoevals' scorers.

Heavier parts load on first use: ``LLMJudge``, ``OfflineJudge``, ``load_rubric``,
``score_spans`` (online scoring and re-scoring), ``add_label`` and ``calibrate``.
"""

from typing import Any

from evaltui.scoring.errors import ScorerSetupError
from evaltui.scoring.protocol import Score, ScorerError, run_scorer, scorer_name

_LAZY = {
    "LLMJudge": "evaltui.scoring.judge",
    "OfflineJudge": "evaltui.scoring.offline_judge",
    "load_rubric": "evaltui.scoring.rubric",
    "score_spans": "evaltui.scoring.online",
    "run_rule": "evaltui.scoring.online",
    "add_label": "evaltui.scoring.human_labels",
    "calibrate": "evaltui.scoring.span_calibration",
    "resolve": "evaltui.scoring.registry",
}

__all__ = ["Score", "ScorerError", "ScorerSetupError", "run_scorer", "scorer_name", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'evaltui.scoring' has no attribute {name!r}")
