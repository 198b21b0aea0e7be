"""Scorers: one protocol for code scorers, LLM judges and autoevals' scorers."""

from evaltui.scoring.protocol import Score, ScorerError, run_scorer, scorer_name

__all__ = ["Score", "ScorerError", "run_scorer", "scorer_name"]
