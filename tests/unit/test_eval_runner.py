"""The Eval runner as a user meets it: Braintrust-shaped files, concurrency, trials,
timeouts, isolated errors, durable results, resume, suffixes and the summary."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.helpers import EVALTUI, ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "evals"


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*EVALTUI, *args], capture_output=True, text=True, timeout=120, env=env)


def results_of(db: Path, name: str) -> list[dict]:
    from evaltui.store import Store
    from evaltui.store import experiments as exp_store

    with Store(db) as store:
        exp = exp_store.require_experiment(store, name)
        return exp_store.load_results(store, exp["id"])


def test_braintrust_shaped_file_runs_with_the_evaltui_import(tmp_path):
    db = str(tmp_path / "e.duckdb")
    out = run("eval", str(FIXTURES / "braintrust_shaped.py"), "--db", db, "--jsonl")
    assert out.returncode == 3, out.stderr  # two results failed on purpose, the rest are stored
    summary = json.loads(out.stdout.splitlines()[-1])
    assert summary["experiment_name"] == "greeter-baseline"
    assert (summary["cases"], summary["results"], summary["errors"]) == (4, 8, 2)
    # exact_match over the 6 scored results: r1 and r2 match, r3 keeps its input ("keep me" != "keep")
    assert summary["scores"]["exact_match"]["score"] == pytest.approx(4 / 6)
    assert summary["scores"]["Polite"]["score"] == pytest.approx(2 / 6)
    assert summary["metrics"]["tokens"]["metric"] == pytest.approx((2 + 11 + 7 + 4) / 4)
    # a scorer that failed is in the summary, not silently missing from it (r1's two trials)
    assert summary["scorer_errors"] == {
        "fragile": {"count": 2, "example": "fragile: RuntimeError: scorer broke on purpose"}
    }

    out = run("experiments", "show", "greeter-baseline", "--json", "--db", db)
    shown = json.loads(out.stdout)
    assert shown["status"] == "finished" and shown["trial_count"] == 2
    cases = {(c["record_id"], c["trial"]): c for c in shown["cases"]}
    assert sorted(cases) == [(r, t) for r in ("r1", "r2", "r3", "r4") for t in (0, 1)]
    boom = cases[("r4", 1)]
    assert "ValueError: the task broke on purpose" in boom["error"] and "Traceback" in boom["error"]
    assert boom["scores"] == {}  # a failed task skips its scorers
    hi = cases[("r1", 0)]
    assert "scorer broke on purpose" in hi["scores"]["fragile"]["error"] and hi["scores"]["fragile"]["score"] is None
    assert hi["scores"]["exact_match"]["score"] == 1.0  # the other scorers of that case still count
    please = cases[("r2", 1)]
    assert please["scores"]["Polite"] == {"score": 1.0, "label": "Y", "rationale": "asks nicely", "error": None}
    assert please["metadata"] == {"trial": 1} and cases[("r1", 0)]["metadata"] == {"bucket_hint": "x", "trial": 0}

    out = run("eval", str(FIXTURES / "braintrust_shaped.py"), "--list", "--db", db)
    assert out.stdout.split() == ["greeter", "greeter-baseline"]
    # a finished experiment's name gets a suffix on a new run
    out = run("eval", str(FIXTURES / "braintrust_shaped.py"), "--db", db, "--jsonl")
    second = json.loads(out.stdout.splitlines()[-1])
    assert second["experiment_name"] == "greeter-baseline-2"
    assert second["comparison_experiment_name"] == "greeter-baseline"
    assert second["scores"]["exact_match"]["diff"] == 0.0
    listed = [json.loads(line) for line in run("experiments", "list", "--json", "--db", db).stdout.splitlines()]
    assert [e["name"] for e in listed] == ["greeter-baseline-2", "greeter-baseline"]
    out = run("eval", str(FIXTURES / "braintrust_shaped.py"), "--db", db)  # the table a person reads
    assert "fragile: 2 scorer errors, e.g. fragile: RuntimeError: scorer broke on purpose" in out.stdout


def test_max_concurrency_bounds_cases_in_flight_for_async_and_sync_tasks(tmp_path):
    from evaltui import Eval

    for kind in ("async", "sync"):
        lock = threading.Lock()
        state = {"now": 0, "max": 0}

        def enter():
            with lock:
                state["now"] += 1
                state["max"] = max(state["max"], state["now"])

        def leave():
            with lock:
                state["now"] -= 1

        async def atask(input):
            enter()
            await asyncio.sleep(0.02)
            leave()
            return input

        def stask(input):
            enter()
            time.sleep(0.02)
            leave()
            return input

        result = Eval(
            "conc",
            data=[{"input": i} for i in range(24)],
            task=atask if kind == "async" else stask,
            scores=[lambda output: 1.0],
            max_concurrency=3,
            experiment_name=f"conc-{kind}",
            db=tmp_path / "c.duckdb",
            quiet=True,
        )
        assert result.summary.results == 24
        assert state["max"] == 3, kind


def test_trials_timeouts_and_hooks(tmp_path):
    from evaltui import Eval

    seen: list[tuple[str, int]] = []

    async def task(input, hooks):
        seen.append((input, hooks.trial_index))
        if input == "slow":
            await asyncio.sleep(5)
        return input

    started = time.perf_counter()
    result = Eval(
        "trials",
        data=[{"input": "a"}, {"input": "b"}, {"input": "slow"}],
        task=task,
        scores=[lambda output: len(output) == 1],
        trial_count=3,
        timeout=0.2,
        db=tmp_path / "t.duckdb",
        quiet=True,
    )
    assert time.perf_counter() - started < 3
    assert sorted(seen) == sorted((i, t) for i in ("a", "b", "slow") for t in range(3))
    rows = results_of(tmp_path / "t.duckdb", "trials")
    assert len(rows) == 9
    slow = [r for r in rows if r["input"] == "slow"]
    assert all(r["error"].startswith("TimeoutError") for r in slow) and all(r["scores"] == {} for r in slow)
    assert result.summary.errors == 3 and result.summary.scores["scorer"].score == 1.0  # a lambda scorer is "scorer"


def test_interrupted_run_resumes_in_process_and_update_adds_cases(tmp_path):
    from evaltui import Eval, EvalAsync

    db = tmp_path / "r.duckdb"
    ran: list[int] = []

    async def task(input):
        await asyncio.sleep(0.01 if input < 5 else 10)
        ran.append(input)
        return input

    async def interrupted():
        try:
            await asyncio.wait_for(
                EvalAsync(
                    "res", data=[{"input": i} for i in range(8)], task=task, max_concurrency=8, db=db, quiet=True
                ),
                0.5,
            )
        except TimeoutError:
            pass

    asyncio.run(interrupted())
    assert sorted(ran) == [0, 1, 2, 3, 4] and len(results_of(db, "res")) == 5

    async def quick(input):
        ran.append(input)
        return input

    ran.clear()
    result = Eval("res", data=[{"input": i} for i in range(8)], task=quick, db=db, quiet=True)
    assert result.summary.experiment_name == "res"  # resumed, not suffixed
    assert sorted(ran) == [5, 6, 7] and result.summary.results == 8 and result.summary.ran == 3

    ran.clear()
    result = Eval("res", data=[{"input": i} for i in range(10)], task=quick, db=db, quiet=True, update=True)
    assert result.summary.experiment_name == "res" and sorted(ran) == [8, 9] and result.summary.results == 10


def test_summary_against_the_base_experiment(tmp_path):
    from evaltui import Eval

    db = tmp_path / "s.duckdb"
    data = [{"input": i, "expected": i, "id": f"r{i}"} for i in range(6)]

    def correct(output, expected):
        return output == expected

    Eval(
        "proj",
        data=data,
        task=lambda x: x if x < 3 else -1,
        scores=[correct],
        experiment_name="base",
        db=db,
        quiet=True,
    )
    result = Eval(
        "proj",
        data=data,
        task=lambda x: x if x != 0 else -1,
        scores=[correct],
        experiment_name="fix",
        db=db,
        quiet=True,
    )
    s = result.summary.scores["correct"]
    assert result.summary.comparison_experiment_name == "base"
    assert s.score == pytest.approx(5 / 6) and s.diff == pytest.approx(5 / 6 - 3 / 6)
    assert (s.improvements, s.regressions) == (3, 1)


def test_cli_killed_with_sigkill_then_resumed_loses_and_duplicates_nothing(tmp_path):
    db = tmp_path / "k.duckdb"
    log = tmp_path / "task.log"
    env = {**os.environ, "EVALTUI_TEST_TASK_LOG": str(log)}
    proc = subprocess.Popen(
        [*EVALTUI, "eval", str(FIXTURES / "slow_resumable.py"), "--db", str(db), "--jsonl"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if log.exists() and len(log.read_text().splitlines()) >= 12:
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    finished_before = {int(x) for x in log.read_text().split()}
    assert 12 <= len(finished_before) < 40

    stored = results_of(db, "resumable")
    stored_ids = {r["record_id"] for r in stored}
    # stored as it finished: at most two cases per worker (max_concurrency 2) can be missing
    assert len(finished_before) - 4 <= len(stored) <= len(finished_before)
    assert stored_ids <= {f"case-{i:02d}" for i in finished_before}

    log.write_text("")
    out = subprocess.run(
        [*EVALTUI, "eval", str(FIXTURES / "slow_resumable.py"), "--db", str(db), "--jsonl"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.splitlines()[-1])
    assert summary["experiment_name"] == "resumable" and summary["results"] == 40 and summary["errors"] == 0
    rerun = {int(x) for x in log.read_text().split()}
    assert {f"case-{i:02d}" for i in rerun}.isdisjoint(stored_ids)  # nothing finished was redone
    final = results_of(db, "resumable")
    keys = [(r["record_id"], r["trial"]) for r in final]
    assert len(keys) == len(set(keys)) == 40
    assert all(r["scores"]["doubled"]["score"] == 1.0 for r in final)


def test_write_results_skips_results_already_stored_with_their_scores(tmp_path):
    from datetime import datetime

    from evaltui.store import Store
    from evaltui.store import experiments as exp_store

    with Store(tmp_path / "w.duckdb") as store:
        exp = exp_store.create_experiment(
            store,
            project="p",
            name="w",
            dataset_id=None,
            dataset_version=None,
            base_experiment_id=None,
            trial_count=1,
            task={},
            metadata={},
        )

        def result(case: str, output: object) -> tuple[dict, dict]:
            rid = exp_store.result_id(exp["id"], case, 0)
            row = {
                "id": rid,
                "experiment_id": exp["id"],
                "case_id": case,
                "record_id": None,
                "trial": 0,
                "input": json.dumps(case),
                "expected": None,
                "output": json.dumps(output),
                "metadata": "{}",
                "tags": ["t1", "t2"],
                "bucket": None,
                "error": None,
                "duration_s": 0.5,
                "metrics": "{}",
                "created": datetime(2026, 1, 1),
            }
            score = {
                "result_id": rid,
                "experiment_id": exp["id"],
                "scorer": "s",
                "scorer_key": "s",
                "score": 1.0,
                "label": "A",
                "rationale": "ok",
                "error": None,
                "metadata": '{"k": 1}',
            }
            return row, score

        a, b, c = result("a", {"x": 1}), result("b", [1, 2]), result("c", None)
        assert exp_store.write_results(store, [a[0], b[0], a[0]], [a[1], b[1], a[1]]) == 2  # a twice in the batch
        assert exp_store.write_results(store, [a[0], c[0]], [a[1], c[1]]) == 1  # a already stored
        assert exp_store.write_results(store, [], []) == 0
        rows = {r["case_id"]: r for r in exp_store.load_results(store, exp["id"])}
        assert sorted(rows) == ["a", "b", "c"]
        assert rows["a"]["output"] == {"x": 1} and rows["b"]["output"] == [1, 2] and rows["c"]["output"] is None
        assert rows["a"]["tags"] == ["t1", "t2"] and rows["a"]["expected"] is None
        assert rows["a"]["scores"]["s"] == {"score": 1.0, "label": "A", "rationale": "ok", "error": None}
        n = store.con.execute("SELECT count(*) FROM result_scores").fetchall()[0][0]
        assert n == 3  # one score per stored result, never twice


def test_an_llm_judge_nobody_closes_leaves_no_open_connections_behind(tmp_path):
    from evaltui.testing import FakeOpenAI

    with FakeOpenAI() as fake:
        env = {**os.environ, "EVALTUI_TEST_BASE_URL": fake.base_url}
        out = run("eval", str(FIXTURES / "llm_judged.py"), "--db", str(tmp_path / "j.duckdb"), "--jsonl", env=env)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout.splitlines()[-1])["results"] == 6 and len(fake.chat_requests) == 6
    assert "Unclosed" not in out.stderr, out.stderr  # aiohttp's warning for a session left open
    stored = results_of(tmp_path / "j.duckdb", "judged")
    assert all(r["scores"]["Brand Alignment"]["score"] is not None for r in stored)
