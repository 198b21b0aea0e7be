"""The scorer protocol: plain functions, async functions, autoevals' scorers, bad returns."""

from __future__ import annotations

import asyncio

import pytest
from autoevals import ExactMatch, Levenshtein

from evaltui.scoring import Score, ScorerError, run_scorer


async def test_function_gets_only_the_arguments_it_declares():
    seen = {}

    def exact(output, expected):
        seen["args"] = (output, expected)
        return output == expected

    scores = await run_scorer(exact, input="q", output="a", expected="a", metadata={"k": 1})
    assert seen["args"] == ("a", "a")
    assert scores == [Score("exact", 1.0)]


async def test_async_and_kwargs_scorers():
    async def judge(**kwargs):
        await asyncio.sleep(0)
        return Score("judge", 0.5, label="B", rationale=f"saw {sorted(kwargs)}")

    (score,) = await run_scorer(judge, input=1, output=2)
    assert (score.score, score.label) == (0.5, "B")
    assert score.rationale == "saw ['expected', 'input', 'metadata', 'output']"


async def test_autoevals_scorers_work_unchanged():
    (lev,) = await run_scorer(Levenshtein(), output="kitten", expected="sitting")
    assert lev.name == "Levenshtein" and lev.score == pytest.approx(1 - 3 / 7)
    (em,) = await run_scorer(ExactMatch(), output="yes", expected="yes")
    assert (em.name, em.score) == ("ExactMatch", 1.0)


async def test_return_shapes():
    assert await run_scorer(lambda output: None, output="x") == []
    assert await run_scorer(lambda output: 0, output="x") == [Score("scorer", 0.0)]
    two = await run_scorer(lambda: [Score("a", 1.0), {"name": "b", "score": 0.25, "label": "C"}])
    assert [(s.name, s.score, s.label) for s in two] == [("a", 1.0, None), ("b", 0.25, "C")]


@pytest.mark.parametrize(
    "scorer, reason",
    [
        (lambda output: 1.5, "not in 0..1"),
        (lambda output: "good", "returned str"),
        (lambda output: 1 / 0, "ZeroDivisionError"),
        (lambda output: float("nan"), "not in 0..1"),
    ],
)
async def test_failures_become_scorer_errors_with_the_reason(scorer, reason):
    with pytest.raises(ScorerError, match=reason):
        await run_scorer(scorer, output="x")
