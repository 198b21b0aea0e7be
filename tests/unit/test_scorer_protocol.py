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


async def test_quick_sync_scorers_move_onto_the_loop_and_slow_ones_stay_in_threads():
    import threading
    import time

    from evaltui.scoring.protocol import _PROBES, BoundScorer

    main = threading.main_thread()
    where: list[bool] = []

    def quick(output):
        where.append(threading.current_thread() is main)
        return output > 0

    bound = BoundScorer(quick)
    for i in range(_PROBES + 3):
        assert await bound(output=i + 1) == [Score("quick", 1.0)]
    assert where == [False] * _PROBES + [True] * 3 and bound._mode == "inline"

    def slow(output):
        time.sleep(0.002)
        return 1.0

    bound = BoundScorer(slow)
    for _ in range(_PROBES + 2):
        await bound(output=1)
    assert bound._mode == "thread"  # never quick enough to leave its thread

    calls = {"n": 0}

    def turns_slow(output):
        calls["n"] += 1
        if calls["n"] > _PROBES:
            time.sleep(0.01)  # an inline call this slow sends it back for good
        return 1.0

    bound = BoundScorer(turns_slow)
    for _ in range(_PROBES + 2):
        await bound(output=1)
    assert bound._mode == "thread" and calls["n"] == _PROBES + 2


async def test_a_sync_scorer_that_fails_on_the_loop_is_rerun_in_its_thread():
    import threading

    from evaltui.scoring.protocol import _PROBES, BoundScorer

    def off_loop_only(output):  # e.g. one that runs an event loop of its own
        if threading.current_thread() is threading.main_thread():
            raise RuntimeError("cannot be called from a running event loop")
        return output == "ok"

    bound = BoundScorer(off_loop_only)
    for _ in range(_PROBES):
        await bound(output="ok")
    assert bound._mode == "inline"
    assert await bound(output="ok") == [Score("off_loop_only", 1.0)]  # rerun in a thread, not an error
    assert bound._mode == "thread"

    def broken(output):
        raise ValueError("boom")

    bound = BoundScorer(broken)
    for _ in range(_PROBES + 1):  # a real failure is reported each time, wherever it runs
        with pytest.raises(ScorerError, match="broken: ValueError: boom"):
            await bound(output=0)
