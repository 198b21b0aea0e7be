"""A flaky endpoint: the loopback server fails 20% of chat requests with a mix of faults
(429 with Retry-After, 500, a timeout, malformed JSON, a reply without the forced tool
call) while `evaltui eval` runs a 200-case eval with an LLM task and an LLM judge, and
while `evaltui score` grades 200 stored turns. Both finish; every case ends scored or
marked with the reason; every 429's Retry-After is waited out (measured at the server).

Retries are kept short through settings (EVALTUI_LLM_BACKOFF_S, EVALTUI_LLM_TIMEOUT_S),
as a user would tune them for a local server."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from evaltui.store import Store
from evaltui.testing import FakeOpenAI, FaultMix
from tests.helpers import EVALTUI, ROOT
from tests.helpers import cells_containing, conversation, write_jsonl

EVAL_FILE = ROOT / "tests" / "fixtures" / "reliability" / "judged_eval.py"
RATE = 0.2
RETRY_AFTER = 0.3  # seconds the 429s ask for
TIMEOUT = 1.0  # the client's timeout; a "slow" fault answers after SLOW seconds
SLOW = 1.6
# what a user reads when a case could not be scored
REASONS = ("not valid JSON", "no select_choice tool call", "rate limited", "no reply from", "failed (500)")


@pytest.fixture
def flaky():
    with FakeOpenAI(responder=FaultMix(RATE, seed=7, retry_after=RETRY_AFTER, delay=SLOW)) as server:
        yield server


KEY = "sk-faults-KEY-7f3a9c2d"


def llm_env(server: FakeOpenAI, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": KEY,
        "EVALTUI_CONFIG": str(tmp_path / "none.toml"),
        "EVALTUI_LLM_MAX_RETRIES": "4",
        "EVALTUI_LLM_TIMEOUT_S": str(TIMEOUT),
        "EVALTUI_LLM_BACKOFF_S": "0.05",
        "EVALTUI_LLM_CONCURRENCY": "16",
    }


def check_faults_and_retry_after(server: FakeOpenAI) -> dict[str, int]:
    chats = server.chat_requests
    counts = server.fault_counts()
    assert set(counts) == {"rate_limit", "server_error", "slow", "malformed", "no_tool_call"}, counts
    share = sum(counts.values()) / len(chats)
    assert 0.14 <= share <= 0.28, (share, counts)  # 20% of draws; retries of failed requests draw again
    waits = server.retry_after_waits()
    assert waits and all(asked == RETRY_AFTER for asked, _ in waits)
    gaps = [gap for _, gap in waits]
    assert None not in gaps  # every rate-limited request was asked again
    assert min(gaps) >= RETRY_AFTER * 0.95, sorted(gaps)[:5]  # never earlier than asked
    return {
        "requests": len(chats),
        "faults": sum(counts.values()),
        **counts,
        "retry_after_min_wait_ms": round(min(gaps) * 1000),
        "retry_after_max_wait_ms": round(max(gaps) * 1000),
    }


def test_a_200_case_eval_with_an_llm_judge_completes_on_a_flaky_endpoint(flaky, tmp_path):
    db = tmp_path / "flaky.duckdb"
    started = time.monotonic()
    out = subprocess.run(
        [*EVALTUI, "eval", str(EVAL_FILE), "--db", str(db), "--jsonl"],
        env=llm_env(flaky, tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    seconds = time.monotonic() - started
    assert "Traceback" not in out.stderr
    summary = json.loads(out.stdout.splitlines()[-1])
    assert out.returncode == (3 if summary["failed"] else 0), out.stderr  # 3: some cases failed, the rest stored
    assert summary["results"] == 200

    shown = subprocess.run(
        [*EVALTUI, "experiments", "show", "flaky-endpoint", "--json", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    cases = json.loads(shown.stdout)["cases"]
    assert sorted(c["record_id"] for c in cases) == [f"q{i:03d}" for i in range(200)]
    scored = task_errors = judge_errors = 0
    for c in cases:
        if c["error"]:  # the task's model call failed for good: marked, with the reason
            assert any(r in c["error"] for r in REASONS), c["error"]
            task_errors += 1
            continue
        judged = c["scores"]["Brand Alignment"]
        if judged["error"]:
            assert any(r in judged["error"] for r in REASONS), judged["error"]
            assert judged["score"] is None
            judge_errors += 1
        else:
            assert judged["score"] in (0.0, 0.5, 1.0) and judged["label"] in ("A", "B", "C") and judged["rationale"]
            scored += 1
    assert scored + task_errors + judge_errors == 200
    assert scored >= 150 and task_errors + judge_errors > 0  # only unretryable faults mark a case
    assert summary["errors"] == task_errors
    figures = check_faults_and_retry_after(flaky)
    print(
        f"\nflaky eval: {figures}, scored {scored}, task errors {task_errors}, judge errors {judge_errors}, "
        f"{seconds:.1f}s"
    )

    assert cells_containing(db, KEY[3:]) == []  # the API key is in no column of any table
    with Store(db, read_only=True) as store:
        cached = store.con.execute("SELECT count(*) FROM llm_cache").fetchall()[0][0]
    assert cached == 0  # the eval file's clients have no store: nothing cached


def test_online_scoring_of_200_turns_completes_on_a_flaky_endpoint(flaky, tmp_path):
    db = tmp_path / "online.duckdb"
    env = llm_env(flaky, tmp_path)
    logs = write_jsonl(
        tmp_path / "logs.jsonl",
        [
            s
            for i in range(200)
            for s in conversation(
                i, "billing" if i % 2 else "login", 1.0, text=f"question {i}: my card was charged twice #{i}"
            )
        ],
    )

    def run(*a):
        return subprocess.run([*EVALTUI, "--db", str(db), *a], capture_output=True, text=True, env=env, timeout=300)

    assert run("ingest", str(logs)).returncode == 0

    started = time.monotonic()
    out = run("score", "--scorer", "brand_alignment", "--json")
    seconds = time.monotonic() - started
    assert out.returncode == 3, out.stderr  # some spans failed, the rest are scored
    assert "Traceback" not in out.stderr
    first = json.loads(out.stdout)
    assert first["pending"] == 200 and first["skipped"] == 0
    assert first["scored"] + first["errors"] == 200 and first["scored"] >= 170 and first["errors"] > 0
    assert all(span.endswith("-t1") and any(r in reason for r in REASONS) for span, reason in first["error_samples"])
    figures = check_faults_and_retry_after(flaky)
    assert first["usage"]["retries"] > 0

    # a failed span is not lost: it stays pending, and the next run (endpoint healthy) grades it
    flaky.set_responder(None)
    second = json.loads(run("score", "--scorer", "brand_alignment", "--json").stdout)
    assert (second["pending"], second["scored"], second["errors"]) == (first["errors"], first["errors"], 0)
    with Store(db, read_only=True) as store:
        total, distinct = store.con.execute(
            "SELECT count(*), count(DISTINCT target_id) FROM scores WHERE scorer_key = 'brand_alignment' "
            "AND scorer_version = ?",
            [first["version"]],
        ).fetchall()[0]
    assert total == distinct == 200
    print(
        f"\nflaky online scoring: {figures}, scored {first['scored']} + {second['scored']} on the re-run, "
        f"{seconds:.1f}s"
    )


def test_fault_mix_fails_its_share_of_requests_the_same_way_every_run():
    def draws(seed: int) -> list[str | None]:
        mix = FaultMix(RATE, seed=seed)
        out = []
        for i in range(5000):
            reply = mix({"messages": [{"role": "user", "content": f"q{i}"}]})
            out.append(getattr(reply, "kind", None))
        return out

    first = draws(1)
    assert first == draws(1) and first != draws(2)  # seeded, order-independent
    share = sum(k is not None for k in first) / len(first)
    assert 0.18 <= share <= 0.22
    assert {k for k in first if k} == {"rate_limit", "server_error", "slow", "malformed", "no_tool_call"}
    mix = FaultMix(1.0, kinds=("server_error",), seed=3)
    body = {"messages": [{"role": "user", "content": "again"}]}
    assert mix(body).kind == mix(body).kind == "server_error"  # a retry draws again (rate 1: fails again)
    assert FaultMix(0.0)(body).__class__.__name__ == "Reply"
