"""Code scorers, embedding similarity, scorers by name (autoevals included), and the
offline judge trained on labels."""

from __future__ import annotations

import pytest

from evaltui.scoring import run_scorer
from evaltui.scoring.errors import ScorerSetupError
from evaltui.scoring.heuristics import (
    Contains,
    EmbeddingSimilarity,
    ExactMatch,
    JSONDiff,
    LevenshteinRatio,
    Regex,
    ValidJSON,
    json_similarity,
    levenshtein_ratio,
)
from evaltui.scoring.offline_judge import OfflineJudge
from evaltui.scoring.registry import resolve


async def one(scorer, **kw):
    scores = await run_scorer(scorer, **kw)
    return scores[0].score if scores else None


async def test_code_scorers():
    assert await one(ExactMatch(), output=" yes ", expected="yes") == 1.0
    assert await one(ExactMatch(), output={"a": 1, "b": 2}, expected='{"b": 2, "a": 1}') == 1.0
    assert await one(ExactMatch(), output="a") is None  # nothing expected: no score
    assert await one(LevenshteinRatio(), output="kitten", expected="sitting") == pytest.approx(1 - 3 / 7)
    assert await one(Contains("REFUND"), output="Your refund is on its way") == 1.0
    assert await one(Contains(), output="abc", expected="z") == 0.0
    assert await one(Regex(r"^\d+\.\s"), output="1. Open settings") == 1.0
    assert await one(ValidJSON(), output='{"a": [1, 2]}') == 1.0
    assert await one(ValidJSON(), output="{'a': 1}") == 0.0
    assert await one(JSONDiff(), output='{"a": 1, "b": "xyz"}', expected={"a": 1, "b": "xyz"}) == 1.0


def test_json_similarity_and_levenshtein_by_hand():
    assert levenshtein_ratio("", "") == 1.0
    assert json_similarity({"a": 1, "b": 2}, {"a": 1, "c": 2}) == pytest.approx(1 / 3)
    assert json_similarity([1, 2], [1, 2, 3]) == pytest.approx(2 / 3)
    assert json_similarity(10, 5) == pytest.approx(0.5)
    assert json_similarity(True, 1) == 0.0


def test_bad_regex_is_a_setup_error():
    with pytest.raises(ScorerSetupError, match="bad regular expression"):
        resolve("regex:(")


async def test_scorers_by_name_including_autoevals():
    lev = resolve("autoevals:Levenshtein")
    assert lev.name == "Levenshtein" and lev.version.startswith("autoevals-")
    (score,) = await run_scorer(lev.fn, output="kitten", expected="sitting")
    assert score.score == pytest.approx(1 - 3 / 7)
    em = resolve("autoevals:ExactMatch")
    assert (await run_scorer(em.fn, output="x", expected="x"))[0].score == 1.0
    assert resolve("contains:refund").version != resolve("contains:return").version
    with pytest.raises(ScorerSetupError, match="unknown scorer"):
        resolve("no_such_scorer")
    with pytest.raises(ScorerSetupError, match="cannot load scorer"):
        resolve("no_such_module_xyz:thing")


async def test_embedding_similarity_offline_model():
    sim = EmbeddingSimilarity()
    close = await one(sim, output="Your refund will arrive in 5 days.", expected="The refund arrives within five days.")
    far = await one(sim, output="Your refund will arrive in 5 days.", expected="The sofa is made of oak.")
    assert 0.6 < close <= 1.0 and far < close - 0.3


GOOD = [
    "I'm sorry about the wait! Here is what to do: {n}. Reply here if it doesn't help.",
    "Thanks for your patience. Step {n}: open Settings, then Security, then reset your password.",
    "Happy to help with that. I've opened ticket #{n} and a teammate will email you today.",
]
BAD = ["That's not my problem. Figure it out ({n}).", "You must be doing it wrong again ({n}).", "Read the FAQ. ({n})"]


def labelled(n):
    rows = []
    for i in range(n):
        good = i % 2 == 0
        text = (GOOD if good else BAD)[i % 3].format(n=i)
        rows.append(
            {
                "id": f"s{i}",
                "input": "help",
                "output": text,
                "score": 1.0 if good else 0.0,
                "label": "A" if good else "C",
            }
        )
    return rows


def test_offline_judge_refuses_with_too_few_labels():
    with pytest.raises(ScorerSetupError, match="needs at least 30 labelled examples of brand_alignment, found 12"):
        OfflineJudge(labelled(12))
    one_choice = [dict(r, score=1.0, label="A") for r in labelled(40)]
    with pytest.raises(ScorerSetupError, match="at least two different choices"):
        OfflineJudge(one_choice)


def test_offline_judge_learns_and_reports_held_out_agreement():
    judge = OfflineJudge(labelled(40))
    assert judge.agreement["n"] == 40 and judge.agreement["accuracy"] >= 0.9
    assert judge.agreement["kappa"] >= 0.8
    new = judge(input="hi", output="So sorry for the trouble! Step 1: open Settings and reset the password.")
    rude = judge(input="hi", output="Not my problem, read the FAQ.")
    assert (new.label, new.score) == ("A", 1.0) and not new.metadata["out_of_fold"]
    assert (rude.label, rude.score) == ("C", 0.0)
    seen = judge(input="help", output=labelled(40)[0]["output"])
    assert seen.metadata["out_of_fold"]  # a labelled example is predicted by a model that did not see it
    assert judge.version == OfflineJudge(labelled(40)).version != OfflineJudge(labelled(41)).version
