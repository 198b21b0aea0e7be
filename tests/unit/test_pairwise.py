"""Pairwise judging: `evaltui pairwise BASE CANDIDATE --scorer RUBRIC` through the real CLI and
the loopback judge (which reads the rule the rubric states and leans to the reply shown
first), the statistics against scipy and scikit-learn, faults that do not sink the run,
resuming, and the judge's agreement with people's marks."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import EVALTUI, FIXTURES, ROOT, query
from tests.tui.helpers import two_experiments

RUBRIC = FIXTURES / "pairwise" / "says_sorry.yaml"  # states the rule the loopback judge reads


# -- statistics -------------------------------------------------------------------


@pytest.mark.parametrize("k,n", [(0, 1), (1, 1), (0, 10), (3, 10), (7, 24), (24, 24), (50, 97), (1, 1000)])
def test_wilson_interval_is_scipys(k: int, n: int) -> None:
    from scipy.stats import binomtest

    from evaltui.evals.pairwise import wilson_interval

    lo, hi = wilson_interval(k, n)
    ref = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert lo == pytest.approx(ref.low, abs=1e-12) and hi == pytest.approx(ref.high, abs=1e-12)


def test_wilson_interval_by_hand() -> None:
    """4 wins of 24: p = 1/6, z = 1.96; centre (p + z²/48) / (1 + z²/24) = 0.2126, half-width 0.1459."""
    from evaltui.evals.pairwise import wilson_interval

    lo, hi = wilson_interval(4, 24)
    assert (round(lo, 4), round(hi, 4)) == (0.0668, 0.3585)
    assert wilson_interval(0, 0) == (None, None)


def test_weighted_kappa_is_sklearns() -> None:
    import random

    from sklearn.metrics import cohen_kappa_score

    from evaltui.evals.pairwise import ORDER, weighted_kappa

    rng = random.Random(3)
    for _ in range(20):
        a = [rng.choice(ORDER) for _ in range(30)]
        b = [x if rng.random() < 0.6 else rng.choice(ORDER) for x in a]
        ref = cohen_kappa_score([ORDER.index(x) for x in a], [ORDER.index(x) for x in b], weights="linear")
        assert weighted_kappa(list(zip(a, b))) == pytest.approx(ref, abs=1e-12)
    assert weighted_kappa([]) is None
    assert weighted_kappa([("tie", "tie")] * 3) is None  # no disagreement is possible by chance either


def test_order_flips_are_ties_and_say_which_position_was_favoured() -> None:
    from evaltui.evals.pairwise import agreement, combine, stats

    assert combine("candidate", "candidate") == ("candidate", True)
    assert combine("base", "candidate") == ("tie", False)
    rows = [
        # agreed both ways
        {"case_key": "a", "first_shown": "base", "verdict_1": "candidate", "verdict_2": "candidate"},
        # picked whatever came first: base first then candidate first
        {"case_key": "b", "first_shown": "base", "verdict_1": "base", "verdict_2": "candidate"},
        # picked whatever came second
        {"case_key": "c", "first_shown": "candidate", "verdict_1": "base", "verdict_2": "candidate"},
        {"case_key": "d", "first_shown": "base", "verdict_1": "tie", "verdict_2": "tie"},
        {"case_key": "e", "first_shown": "base", "error": "rate limited"},
    ]
    for r in rows:
        if "error" not in r:
            r["verdict"], r["consistent"] = combine(r["verdict_1"], r["verdict_2"])
    s = stats(rows)
    assert (s.n, s.win.k, s.tie.k, s.loss.k, s.errors) == (4, 1, 3, 0, 1)
    assert (s.swap_inconsistent.k, s.first_favoured, s.second_favoured) == (2, 1, 1)
    marks = [
        {"case_key": "a", "reviewer": "ana", "verdict": "candidate"},
        {"case_key": "b", "reviewer": "ana", "verdict": "base"},
        {"case_key": "b", "reviewer": "bo", "verdict": "tie"},
        {"case_key": "e", "reviewer": "bo", "verdict": "base"},
    ]  # the judge has no verdict: left out
    a = agreement({r["case_key"]: r["verdict"] for r in rows if "verdict" in r}, marks)
    assert (a.n, a.agree, a.reviewers) == (3, 2, ["ana", "bo"])
    assert a.confusion["base"]["tie"] == 1


# -- the loopback judge -------------------------------------------------------------


def test_the_loopback_judge_reads_the_rule_in_the_prompt_and_leans_to_a_position() -> None:
    from evaltui.scoring.pairwise_judge import CHOICES, replies
    from evaltui.testing import RuleJudge

    def ask(judge: Any, rule: str, first: str, second: str) -> str | None:
        text = f'A good reply says "{rule}".\n\n{replies(first, second)}\nChoose 1, 2 or tie.'
        body = {
            "messages": [{"role": "user", "content": text}],
            "tools": [
                {
                    "function": {
                        "name": "select_choice",
                        "parameters": {"properties": {"choice": {"enum": list(CHOICES)}}},
                    }
                }
            ],
        }
        return judge(body).choice

    first, second = RuleJudge("first"), RuleJudge("second")
    assert ask(first, "sorry", "Sorry about that.", "Here you go.") == "1"
    assert ask(first, "sorry", "Here you go.", "Sorry about that.") == "2"
    assert ask(first, "refund", "Sorry about that.", "Here you go.") == "1"  # the rule decides nothing: position
    assert ask(second, "refund", "Sorry about that.", "Here you go.") == "2"
    assert ask(RuleJudge("tie"), "refund", "a", "b") == "tie"


# -- the command ------------------------------------------------------------------


@pytest.fixture
def diff_db(tmp_path: Path) -> Path:
    import asyncio

    return asyncio.run(two_experiments(tmp_path))


@pytest.fixture
def rubric() -> Path:
    return RUBRIC


def run_cli(server: Any, db: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full = {
        **os.environ,
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": "sk-test-pairwise",
        "EVALTUI_LLM_BACKOFF_S": "0.01",
        **(env or {}),
    }
    return subprocess.run(
        [*EVALTUI, "pairwise", "baseline", "candidate", "--db", str(db), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=full,
        timeout=300,
    )


def expected_from_outputs(db: Path) -> dict[str, str]:
    """What the rule in the rubric says per case, read from the stored outputs: the side
    that says sorry when only one does; None (the rule cannot tell) otherwise."""
    rows = query(
        db,
        "SELECT e.name, r.record_id, r.output FROM experiment_results r JOIN experiments e ON e.id = r.experiment_id",
    )
    says: dict[str, dict[str, bool]] = {}
    for name, record, output in rows:
        says.setdefault(record, {})[name] = "sorry" in json.loads(output).lower()
    out = {}
    for record, sides in says.items():
        base, cand = sides["baseline"], sides["candidate"]
        out[record] = "candidate" if cand and not base else "base" if base and not cand else "undecided"
    return out


def test_pairwise_judges_both_orders_counts_order_flips_as_ties_and_stores_it(diff_db: Path, rubric: Path) -> None:
    from evaltui.testing import FakeOpenAI, RuleJudge

    truth = expected_from_outputs(diff_db)
    with FakeOpenAI(responder=RuleJudge("first")) as server:
        result = run_cli(server, diff_db, "--scorer", str(rubric), "--json")
        assert result.returncode == 0, result.stderr
        rep = json.loads(result.stdout)
        asked = len(server.chat_requests)
        prompts = [r.body["messages"][0]["content"] for r in server.chat_requests]
    n = len(truth)
    wins, losses = sum(v == "candidate" for v in truth.values()), sum(v == "base" for v in truth.values())
    undecided = n - wins - losses
    assert asked == 2 * n  # every case in both orders
    assert all('says "sorry"' in p and "[Reply 1]" in p and "[Reply 2]" in p for p in prompts)
    o = rep["overall"]
    assert (o["n"], o["win"]["k"], o["loss"]["k"], o["tie"]["k"]) == (n, wins, losses, undecided)
    # where the rule cannot tell, the judge followed the position: each such verdict flipped with the order
    assert o["swap_inconsistent"]["k"] == undecided == o["first_favoured"] and o["second_favoured"] == 0
    assert 0 < wins and 0 < losses and 0 < undecided  # the data exercises every outcome
    assert rep["ci"].startswith("Wilson") and o["win"]["ci_low"] < o["win"]["rate"] < o["win"]["ci_high"]
    by_case = {c["case_key"]: c for c in rep["cases"]}
    for key, want in truth.items():
        assert by_case[key]["verdict"] == (want if want != "undecided" else "tie")
        assert by_case[key]["consistent"] == (want != "undecided")
    # per bucket, the diff's buckets: they add up to the whole
    buckets = {
        r[0]: r[1]
        for r in query(
            diff_db,
            "SELECT bucket, count(*) FROM experiment_results r "
            "JOIN experiments e ON e.id = r.experiment_id "
            "WHERE e.name = 'candidate' GROUP BY bucket",
        )
    }
    assert {b: s["n"] for b, s in rep["buckets"].items()} == buckets
    assert sum(s["win"]["k"] for s in rep["buckets"].values()) == wins
    # stored: the run and every case
    assert query(diff_db, "SELECT count(*), count(*) FILTER (WHERE NOT consistent) FROM pairwise_results")[0] == (
        n,
        undecided,
    )
    assert query(diff_db, "SELECT scorer, seed FROM pairwise_runs") == [("Says Sorry", 0)]
    # the order of the first asking is a seeded coin per case: both orders come first somewhere
    assert {c["first_shown"] for c in rep["cases"]} == {"base", "candidate"}


def test_a_second_run_asks_nothing_and_another_seed_reuses_the_cache(diff_db: Path, rubric: Path) -> None:
    from evaltui.testing import FakeOpenAI, RuleJudge

    with FakeOpenAI(responder=RuleJudge("first")) as server:
        first = json.loads(run_cli(server, diff_db, "--scorer", str(rubric), "--json").stdout)
        asked = len(server.chat_requests)
        again = run_cli(server, diff_db, "--scorer", str(rubric), "--json")
        assert len(server.chat_requests) == asked  # resumed: every case was stored
        other = run_cli(server, diff_db, "--scorer", str(rubric), "--json", "--seed", "9")
        assert len(server.chat_requests) == asked  # a new run, but every prompt was answered before
    assert json.loads(again.stdout)["overall"] == first["overall"]
    rep = json.loads(other.stdout)
    assert rep["usage"]["cache_hits"] == asked and rep["overall"]["win"] == first["overall"]["win"]
    assert query(diff_db, "SELECT count(*) FROM pairwise_runs") == [(2,)]


def test_faults_do_not_sink_the_run(diff_db: Path, rubric: Path) -> None:
    """429s, 500s and malformed replies are retried; a case whose endpoint keeps failing is
    marked, the others are graded (exit 3), and the next run fills it in."""
    from evaltui.testing import Fault, FakeOpenAI, FaultMix, RuleJudge

    truth = expected_from_outputs(diff_db)
    judge = RuleJudge("first")
    mix = FaultMix(0.3, kinds=("rate_limit", "server_error", "malformed"), seed=5, retry_after=0.01, then=judge)
    doomed = "case 7."  # one case's outputs: its endpoint always fails

    def responder(body: dict[str, Any]) -> Any:
        if doomed in body["messages"][0]["content"]:
            return Fault("server_error")
        return mix(body)

    with FakeOpenAI(responder=responder) as server:
        result = run_cli(server, diff_db, "--scorer", str(rubric), "--json", env={"EVALTUI_LLM_MAX_RETRIES": "3"})
        faults = server.fault_counts()
    assert result.returncode == 3, result.stderr  # some cases failed, the others are stored
    assert {"rate_limit", "server_error", "malformed"} <= set(faults)
    rep = json.loads(result.stdout)
    failed = [c for c in rep["cases"] if c["error"]]
    assert [c["case_key"] for c in failed] == ["c7"] and "500" in failed[0]["error"]
    assert "sk-test-pairwise" not in result.stdout + result.stderr
    graded = {c["case_key"]: c["verdict"] for c in rep["cases"] if not c["error"]}
    assert graded == {k: (v if v != "undecided" else "tie") for k, v in truth.items() if k != "c7"}
    with FakeOpenAI(responder=judge) as healthy:
        again = run_cli(healthy, diff_db, "--scorer", str(rubric), "--json")
        assert len(healthy.chat_requests) == 2  # only the failed case, both orders
    assert again.returncode == 0 and json.loads(again.stdout)["overall"]["errors"] == 0


def test_agreement_with_peoples_marks_in_the_report(diff_db: Path, rubric: Path) -> None:
    from evaltui.evals.pairwise_marks import save_mark
    from evaltui.store import Store
    from evaltui.testing import FakeOpenAI, RuleJudge

    truth = expected_from_outputs(diff_db)
    with Store(diff_db, read_only=True) as store:
        ids = dict(store.con.execute("SELECT name, id FROM experiments").fetchall())
    decided = sorted(k for k, v in truth.items() if v != "undecided")[:3]
    for key in decided:  # ana agrees with the rule on three cases
        assert save_mark(diff_db, 5, ids["baseline"], ids["candidate"], key, truth[key], who="ana") is None
    # bo marks one of them the other way round, from a diff opened with the sides swapped
    other = "base" if truth[decided[0]] == "candidate" else "candidate"
    assert save_mark(diff_db, 5, ids["candidate"], ids["baseline"], decided[0], other, who="bo") is None
    with FakeOpenAI(responder=RuleJudge("first")) as server:
        rep = json.loads(run_cli(server, diff_db, "--scorer", str(rubric), "--json").stdout)
        text = run_cli(server, diff_db, "--scorer", str(rubric)).stdout
    a = rep["agreement"]
    # bo's mark, turned round to this orientation, says what the judge says
    assert (a["n"], a["agree"], a["reviewers"]) == (4, 4, ["ana", "bo"])
    assert "agreement with people's marks: n 4, 100% agree" in text
    assert "Wilson" in text and "overall" in text


def test_bad_input_ends_in_one_line(diff_db: Path, rubric: Path) -> None:
    from evaltui.testing import FakeOpenAI

    with FakeOpenAI() as server:
        missing = subprocess.run(
            [*EVALTUI, "pairwise", "baseline", "nope", "--scorer", str(rubric), "--db", str(diff_db)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
            env={**os.environ, "OPENAI_BASE_URL": server.base_url},
        )
        bad_rubric = run_cli(server, diff_db, "--scorer", "no_such_rubric")
    no_endpoint = subprocess.run(
        [*EVALTUI, "pairwise", "baseline", "candidate", "--scorer", str(rubric), "--db", str(diff_db)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={k: v for k, v in os.environ.items() if "OPENAI" not in k},
    )
    for result, words in ((missing, "nope"), (bad_rubric, "no_such_rubric"), (no_endpoint, "OPENAI_BASE_URL")):
        assert result.returncode == 2 and words in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")
