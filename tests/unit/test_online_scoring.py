"""Online scoring and re-scoring: idempotent, resumable, sampled, rules, errors marked,
--follow, and the API key never persisted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time

import pytest

from evaltui.ingest import ingest_file
from evaltui.scoring.online import follow, score_spans
from evaltui.scoring.registry import resolve
from evaltui.store.scoring import Rule, save_rule
from evaltui.testing import FakeOpenAI, Fault, Reply
from tests.helpers import EVALTUI, judge_env
from tests.helpers import conversation, write_jsonl

MARKER_KEY = "sk-evaltui-MARKER-5f1c9e0b7d2a"


@pytest.fixture(scope="module")
def server():
    with FakeOpenAI() as s:
        yield s


@pytest.fixture
def fake(server):
    server.reset()
    yield server
    server.reset()


def llm_settings(fake, **kw):
    from evaltui.config import settings

    return settings(openai_base_url=fake.base_url, openai_api_key="sk-test", llm_max_retries=0, llm_timeout_s=1, **kw)


def small_logs(store, n=6, start=0):
    rows = [
        r
        for i in range(start, start + n)
        for r in conversation(i, "billing" if i % 2 else "login", 1.0, 1.0, text=f"question {i}")
    ]
    ingest_file(store, write_jsonl(store.path.parent / f"logs{start}.jsonl", rows))


def count(store, sql, *params):
    return store.con.execute(sql, list(params)).fetchall()[0][0]


def test_llm_judge_scores_turns_once(store, fake):
    small_logs(store)
    spec = resolve("brand_alignment", store=store, settings=llm_settings(fake))
    first = score_spans(store, spec)
    assert (first.pending, first.scored, first.errors) == (6, 6, 0) and first.scope == "turn"
    assert len(fake.chat_requests) == 6
    version = spec.version
    assert count(store, "SELECT count(*) FROM scores WHERE scorer_version = ?", version) == 6
    again = score_spans(store, resolve("brand_alignment", store=store, settings=llm_settings(fake)))
    assert (again.pending, again.scored) == (0, 0) and len(fake.chat_requests) == 6
    # the roll-up sees the new scores: filters and stats read them
    assert (
        count(
            store,
            "SELECT count(*) FROM score_rollup r JOIN scores s ON s.target_id = r.span_id "
            "AND s.scorer_version = ? AND r.label = s.label",
            version,
        )
        == 6
    )


def test_cache_makes_a_rescore_free_and_a_new_version_rescores(store, fake, tmp_path):
    small_logs(store, 4)
    score_spans(store, resolve("brand_alignment", store=store, settings=llm_settings(fake)))
    assert len(fake.chat_requests) == 4
    store.con.execute(
        "DELETE FROM scores WHERE source = 'online' AND scorer_version <> 'judge-v1' AND scorer_version <> ''"
    ).fetchall()
    again = score_spans(store, resolve("brand_alignment", store=store, settings=llm_settings(fake)))
    assert again.scored == 4 and again.usage["cache_hits"] == 4 and len(fake.chat_requests) == 4
    # an edited rubric is a new version: everything is scored again, earlier scores stay
    from evaltui.scoring.rubric import load_rubric

    edited = tmp_path / "brand_alignment.yaml"
    edited.write_text(open(load_rubric("brand_alignment").source).read() + "\n# stricter\n")
    v2 = score_spans(store, resolve(str(edited), store=store, settings=llm_settings(fake)))
    assert v2.scored == 4 and v2.version != again.version
    versions = store.con.execute(
        "SELECT DISTINCT scorer_version FROM scores WHERE scorer_key = 'brand_alignment' AND source = 'online'"
    ).fetchall()
    assert len(versions) == 3  # judge-v1 from the logs, the rubric, the edited rubric


def test_failures_mark_the_span_and_are_retried_next_run(store, fake):
    small_logs(store, 3)
    fake.enqueue(Fault("bad_choice"), Reply(choice="A"), Fault("no_tool_call"))
    report = score_spans(store, resolve("brand_alignment", store=store, settings=llm_settings(fake)), concurrency=1)
    assert (report.scored, report.errors) == (1, 2), report.error_samples
    assert "not one of A, B, C" in report.error_samples[0][1]
    retry = score_spans(store, resolve("brand_alignment", store=store, settings=llm_settings(fake)))
    assert (retry.pending, retry.scored, retry.errors) == (2, 2, 0)


def test_a_scoring_run_keeps_the_heap_frozen_while_its_calls_are_in_flight(store):
    import gc

    from evaltui import heap

    small_logs(store, 3)
    seen = []

    def frozen_while_scoring(input, output, expected, metadata):
        seen.append((heap._runs, gc.get_freeze_count()))
        return 1.0

    runs_before = heap._runs
    spec = resolve("valid_json")
    spec.fn, spec.name = frozen_while_scoring, "frozen_while_scoring"
    assert score_spans(store, spec, scope="turn").scored == 3
    assert len(seen) == 3 and all(runs == runs_before + 1 and count > 0 for runs, count in seen)
    assert heap._runs == runs_before  # thawed when the run ends
    if runs_before == 0:
        assert gc.get_freeze_count() == 0  # the last run out hands everything back to the collector


def test_a_rescore_keeps_the_heap_frozen_while_it_grades(tmp_path):
    import gc

    from evaltui import Eval, heap
    from evaltui.evals.rescore import rescore_experiment
    from evaltui.store import Store

    db = tmp_path / "rescore.duckdb"
    Eval(
        "heap",
        data=[{"input": "a", "expected": "a"}, {"input": "b", "expected": "c"}],
        task=lambda x: x,
        db=str(db),
        quiet=True,
    )
    seen = []

    def frozen_while_grading(input, output, expected, metadata):
        seen.append((heap._runs, gc.get_freeze_count()))
        return output == expected

    runs_before = heap._runs
    with Store(db) as store:
        report = rescore_experiment(store, "heap", frozen_while_grading)
    assert (report.scored, report.mean) == (2, 0.5)
    assert len(seen) == 2 and all(runs == runs_before + 1 and count > 0 for runs, count in seen)
    assert heap._runs == runs_before


def test_where_scope_and_sampling_rate(store):
    small_logs(store, 400)
    only = score_spans(store, "contains:ok", where='topic = "billing"', scope="conversation")
    assert only.scored == 200
    assert count(store, "SELECT count(*) FROM scores WHERE scorer_key = 'contains'") == 200
    sampled = score_spans(store, "valid_json", sample=0.25, scope="turn")
    assert 70 <= sampled.scored <= 130  # 25% of 400, deterministic per span
    same = score_spans(store, "valid_json", sample=0.25, scope="turn")
    assert same.scored == 0  # the same spans are in the sample every run
    more = score_spans(store, "valid_json", sample=0.5, scope="turn")
    assert 70 <= more.scored <= 130  # raising the rate adds only the new half


def test_rules_run_their_scorers(store):
    small_logs(store, 4)
    save_rule(store, Rule("login-turns", ["exact_match", "regex:^o"], 'topic = "login"', 1.0, "turn"))
    from evaltui.scoring.online import run_rule

    reports = run_rule(store, "login-turns")
    assert [r.scored for r in reports] == [0, 2]  # exact_match: nothing expected, so no score
    assert reports[0].skipped == 2


def test_follow_scores_new_spans(store, tmp_path):
    from evaltui.store import Store

    small_logs(store, 2)
    path = store.path
    store.close()
    stop = threading.Event()
    seen = []
    spec = resolve("regex:ok", store=None)
    worker = threading.Thread(
        target=follow,
        args=(lambda: Store(path), [(spec, {"scope": "turn"})]),
        kwargs={"stop": stop, "poll_seconds": 0.1, "on_report": seen.append},
    )
    worker.start()
    try:
        deadline = time.time() + 10
        while sum(r.scored for r in seen) < 2 and time.time() < deadline:
            time.sleep(0.05)
        with Store(path) as s:
            small_logs(s, 3, start=10)
        while sum(r.scored for r in seen) < 5 and time.time() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(10)
    assert sum(r.scored for r in seen) == 5


class Gate:
    """A judge endpoint that answers only once ``open`` is set (a slow model, held mid-call)."""

    def __init__(self) -> None:
        from evaltui.testing import default_responder

        self.answer, self.open, self.asked = default_responder, threading.Event(), threading.Event()

    def __call__(self, request):
        self.asked.set()
        self.open.wait(60)
        return self.answer(request)


@pytest.mark.parametrize("follow", [["--follow", "--poll", "0.1"], []], ids=["follow", "one-run"])
def test_score_lets_go_of_the_file_while_its_judge_is_called(db_path, tmp_path, follow):
    from evaltui.store import Store
    from tests.serving import stored, wait_for

    with Store(db_path) as s:
        small_logs(s, 4)
    judged = "SELECT count(*) FROM scores WHERE metadata->>'scorer_spec' = 'brand_alignment'"
    gate = Gate()
    with FakeOpenAI(responder=gate) as server:
        env = {**os.environ, **judge_env(server.base_url, tmp_path)}
        proc = subprocess.Popen(
            [*EVALTUI, "score", "--scorer", "brand_alignment", *follow, "--db", str(db_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        try:
            wait_for(gate.asked.is_set, 60, "the judge to be called")
            done = subprocess.run(  # a write from another process while the judge is mid-call
                [*EVALTUI, "label", "c1", "brand_alignment", "A", "--db", str(db_path)],
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
            )
            assert done.returncode == 0, done.stderr
            assert not gate.open.is_set() and proc.poll() is None  # the pass was still waiting on its judge
            assert stored(db_path, judged) == 0
            gate.open.set()
            wait_for(
                lambda: stored(db_path, judged) == 4,
                60,
                "the judged turns to be written",
            )
            if not follow:  # one run ends by itself once its pending turns are scored
                assert proc.wait(60) == 0, proc.stderr.read() if proc.stderr else ""
        finally:
            gate.open.set()
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
            proc.wait(30)
    assert stored(db_path, "SELECT count(*) FROM scores WHERE source = 'human'") == 1
    assert stored(db_path, "SELECT count(*) FROM llm_cache") == 4  # the replies cached in the write's hold


def test_cli_score_and_the_key_is_never_persisted(db_path, fake, tmp_path):
    rows = [r for i in range(4) for r in conversation(i, "login", 1.0, 1.0)]
    logs = write_jsonl(tmp_path / "k.jsonl", rows)
    env = {
        **os.environ,
        "OPENAI_API_KEY": MARKER_KEY,
        "OPENAI_BASE_URL": fake.base_url,
        "EVALTUI_LLM_MAX_RETRIES": "0",
        "EVALTUI_CONFIG": str(tmp_path / "none.toml"),
    }

    def run(*args):
        return subprocess.run(
            [*EVALTUI, "--db", str(db_path), *args], capture_output=True, text=True, env=env, timeout=60
        )

    assert run("ingest", str(logs)).returncode == 0
    fake.enqueue(Fault("server_error"))  # an error message must not carry the key either
    out = run("score", "--scorer", "brand_alignment", "--scorer", "conversation_quality")
    assert out.returncode == 3, out.stderr  # one span failed, the rest were scored
    assert "scored 3 of 4 pending" in out.stdout and "1 errors" in out.stdout
    assert "scored 4 of 4 pending" in out.stdout
    assert all(r.headers["authorization"] == f"Bearer {MARKER_KEY}" for r in fake.chat_requests)
    again = run("score", "--scorer", "brand_alignment", "--json")
    assert json.loads(again.stdout)["scored"] == 1  # only the one that failed
    exported = run("logs", "--all-spans", "--json")
    calibrated = run("calibrate", "conversation_quality", "--json")
    texts = [out.stdout, out.stderr, again.stdout, again.stderr, exported.stdout, calibrated.stdout, calibrated.stderr]
    assert not any(MARKER_KEY in t for t in texts)
    for f in tmp_path.iterdir():
        if f.name.startswith(db_path.name):
            data = f.read_bytes()
            assert MARKER_KEY.encode() not in data and b"MARKER-5f1c" not in data
    assert "conversation_quality" in exported.stdout


def test_cli_errors_are_one_line(db_path, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    env["EVALTUI_CONFIG"] = str(tmp_path / "none.toml")
    for args, message in [
        (["score", "--scorer", "brand_alignment"], "--scorer brand_alignment_offline"),
        (["score", "--scorer", "nope"], "unknown scorer 'nope'"),
        (["score", "--scorer", "brand_alignment_offline"], "needs at least 30 labelled examples"),
        (["score", "--rule", "missing"], "no scoring rule named 'missing'"),
        (["score", "--scorer", "valid_json", "--where", "scores.x > high"], "bad filter"),
        (["calibrate", "brand_alignment"], "no scores from 'brand_alignment'"),
    ]:
        out = subprocess.run([*EVALTUI, "--db", str(db_path), *args], capture_output=True, text=True, env=env)
        assert out.returncode == 2, (args, out.stderr)
        assert out.stderr.startswith("error: ") and message in out.stderr and "Traceback" not in out.stderr


def test_rules_cli(db_path):
    def run(*a):
        return subprocess.run([*EVALTUI, "--db", str(db_path), *a], capture_output=True, text=True)

    assert run("rules", "add", "r1", "--scorer", "valid_json", "--sample", "0.1", "--scope", "turn").returncode == 0
    listed = run("rules", "list")
    assert "r1: valid_json | scope turn | sample 0.1" in listed.stdout
    assert run("rules", "add", "bad", "--scorer", "x", "--where", "(").returncode == 2
    assert run("rules", "rm", "r1").returncode == 0 and run("rules", "rm", "r1").returncode == 2
