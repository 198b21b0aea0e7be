"""`evaltui serve` works as logs arrive: a real server subprocess files new conversations
under the active topic map and runs the stored scoring rules against the loopback judge,
off the receive path; a judge answering 500 stops nothing and its turns are retried."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evaltui.ingest import ingest_file
from evaltui.store import Store
from evaltui.store.scoring import Rule, save_rule
from evaltui.testing import Fault, FakeOpenAI
from evaltui.topics.build import BuildOptions, build_map
from tests.serving import Serve, chat_spans, otlp_json, post, stored, wait_for

FIXTURE = Path(__file__).parents[1] / "fixtures" / "topics" / "support.jsonl"
NEW = "(SELECT count(*) FROM spans WHERE source = 'otlp:serve' AND parent_id IS NULL)"
FILED = (
    "SELECT count(*) FROM span_topics t JOIN spans s ON s.id = t.span_id "
    "WHERE s.source = 'otlp:serve' AND t.map_id = (SELECT id FROM topic_maps WHERE active)"
)
SCORED = "SELECT count(*) FROM scores WHERE source = 'online' AND scorer_key = 'brand_alignment'"
# The worker runs at nice 10 (the receiver first): on a machine busy with other work it gets a
# small share of a core, so the waits are long; each ends as soon as the state is reached.
WAIT = 600


@pytest.fixture(scope="module")
def judge():
    with FakeOpenAI() as s:
        yield s


@pytest.fixture(scope="module")
def mapped(tmp_path_factory) -> Path:
    """A database with a topic map built over the support logs and one online rule."""
    path = tmp_path_factory.mktemp("online") / "mapped.duckdb"
    with Store(path) as store:
        ingest_file(store, FIXTURE)
        build_map(store, BuildOptions(name_with_llm=False))
        save_rule(store, Rule("live-judge", ["brand_alignment"], 'source = "otlp:serve"', 1.0, "conversation"))
    return path


def _copy(mapped: Path, tmp_path: Path) -> Path:
    db = tmp_path / "live.duckdb"
    shutil.copy(mapped, db)
    return db


def _env(judge: FakeOpenAI, tmp_path: Path) -> dict[str, str]:
    return {
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": judge.base_url,
        "EVALTUI_LLM_MAX_RETRIES": "0",
        "EVALTUI_LLM_TIMEOUT_S": "5",
        "EVALTUI_CONFIG": str(tmp_path / "none.toml"),
    }


def _send(srv: Serve, first: int, n: int) -> None:
    for trace in range(first, first + n):
        status, body, _ = post(srv.url, json.dumps(otlp_json(chat_spans(trace))).encode(), "application/json")
        assert status == 200, body


def test_new_conversations_are_filed_and_scored_by_the_stored_rule(mapped, judge, tmp_path):
    judge.reset()
    db = _copy(mapped, tmp_path)
    with Serve(db, "--retry-every", "0.2", env=_env(judge, tmp_path)) as srv:
        _send(srv, 1, 6)
        wait_for(
            lambda: srv.status()["conversations_filed"] >= 6 and srv.status()["turns_scored"] >= 6,
            WAIT,
            "the six conversations to be filed and scored",
        )
        assert srv.stop() == 0
    assert stored(db, FILED) == 6  # each new conversation has a place in the map (a topic, or none)
    assert stored(db, SCORED) == 6  # the rule scored each new conversation, and nothing older
    assert len(judge.chat_requests) == 6
    assert "6 conversations filed, 6 turns scored, 0 judgements failed" in srv.output()

    judge.reset()  # a restart does nothing twice: filed once, scored once
    with Serve(db, env=_env(judge, tmp_path)) as again:
        wait_for(lambda: again.status()["work_passes"] >= 1, WAIT, "the first pass after a restart")
        st = again.status()
        assert (st["conversations_filed"], st["turns_scored"]) == (0, 0)
        assert again.stop() == 0
    assert stored(db, FILED) == 6 and stored(db, SCORED) == 6 and judge.chat_requests == []


def test_a_judge_answering_500_stops_nothing_and_its_conversations_are_scored_later(mapped, judge, tmp_path):
    judge.reset()
    judge.set_responder(lambda request: Fault("server_error"))
    db = _copy(mapped, tmp_path)
    try:
        with Serve(db, "--retry-every", "0.2", env=_env(judge, tmp_path)) as srv:
            _send(srv, 100, 4)
            wait_for(lambda: srv.status()["score_failures"] >= 8, WAIT, "failed judgements to be counted (and retried)")
            _send(srv, 200, 3)  # still serving: acknowledged, committed, filed
            wait_for(
                lambda: stored(db, f"SELECT {NEW}") == 7 and srv.status()["conversations_filed"] == 7,
                WAIT,
                "the later conversations to be stored and filed",
            )
            assert stored(db, SCORED) == 0
            st = srv.status()
            assert st["turns_scored"] == 0 and st["errors"] == 0 and "500" in (st["work_last_error"] or "")
            judge.set_responder(None)  # the judge is back: every failed conversation is scored, once
            wait_for(lambda: stored(db, SCORED) == 7, WAIT, "the retried judgements to be stored")
            assert srv.stop() == 0
        assert "judgements failed" in srv.output()
    finally:
        judge.set_responder(None)
        judge.reset()
    assert stored(db, SCORED.replace("count(*)", "count(DISTINCT target_id)")) == 7  # once each


def test_without_a_map_or_a_rule_serve_only_stores(judge, tmp_path):
    judge.reset()
    db = tmp_path / "plain.duckdb"
    with Serve(db, env=_env(judge, tmp_path)) as srv:
        _send(srv, 1, 3)
        wait_for(
            lambda: stored(db, f"SELECT {NEW}") == 3 and srv.status()["work_passes"] >= 1,
            WAIT,
            "the spans to be stored",
        )
        st = srv.status()
        assert (st["conversations_filed"], st["turns_scored"], st["work_errors"]) == (0, 0, 0)
        assert srv.stop() == 0
    assert judge.chat_requests == [] and stored(db, "SELECT count(*) FROM span_topics") == 0


def test_no_online_leaves_the_work_out(tmp_path):
    db = tmp_path / "off.duckdb"
    with Serve(db, "--no-online") as srv:
        assert "conversations_filed" not in srv.status()
        assert srv.stop() == 0
