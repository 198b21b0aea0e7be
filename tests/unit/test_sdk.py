"""The tracing SDK (issue 18 item 2): init_logger + @traced + wrap_openai around a real
openai client calling the loopback OpenAI-compatible server, exported through the real
OpenTelemetry SDK to a real `evaltui serve`, or with no server to a JSONL spool that
`evaltui ingest` reads."""

from __future__ import annotations

import asyncio
import json
import subprocess

import pytest

from evaltui import tracing
from tests.helpers import EVALTUI
from tests.serving import Serve, stored, wait_for


@pytest.fixture
def fresh_sdk(monkeypatch):
    for var in (
        "EVALTUI_ENDPOINT",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "EVALTUI_SPOOL",
    ):
        monkeypatch.delenv(var, raising=False)
    yield
    backend = tracing._backend
    if backend is not None and hasattr(backend, "shutdown"):
        backend.shutdown()
    tracing.set_backend(None)


def _spans(db):
    from tests.serving import reading

    with reading(db) as store:
        rows = store.con.execute(
            "SELECT id, root_id, parent_id, name, span_type, input, output, metadata, metrics FROM spans"
        ).fetchall()
        scores = store.con.execute("SELECT target_id, scorer, score FROM scores").fetchall()
    every = [
        {
            "id": r[0],
            "root_id": r[1],
            "parent_id": r[2],
            "name": r[3],
            "type": r[4],
            "input": json.loads(r[5] or "null"),
            "output": json.loads(r[6] or "null"),
            "metadata": json.loads(r[7] or "{}"),
            "metrics": json.loads(r[8] or "{}"),
        }
        for r in rows
    ]
    return {s["name"]: s for s in every}, scores, every


def test_traced_calls_through_wrap_openai_arrive_in_serve_with_input_output_model_usage_and_scores(tmp_path, fresh_sdk):
    import openai

    import evaltui
    from evaltui.testing.fake_openai import FakeOpenAI, Reply

    with Serve(tmp_path / "live.duckdb", "--commit-every", "0.1") as serve, FakeOpenAI() as llm:
        llm.enqueue(
            Reply(content="It ships today.", prompt_tokens=21, completion_tokens=4),
            Reply(content="Your refund is on its way.", prompt_tokens=18, completion_tokens=6),
            Reply(content="Hello async", prompt_tokens=5, completion_tokens=2),
        )
        logger = evaltui.init_logger(project="shop-bot", endpoint=f"http://127.0.0.1:{serve.port}")
        assert logger.destination == serve.url
        client = evaltui.wrap_openai(openai.OpenAI(base_url=llm.base_url, api_key="sk-test"))
        aclient = evaltui.wrap_openai(openai.AsyncOpenAI(base_url=llm.base_url, api_key="sk-test"))

        @evaltui.traced
        def answer(question: str) -> str:
            messages = [{"role": "user", "content": question}]
            evaltui.current_span().log(input=messages, metadata={"customer": "c-17"})
            reply = client.chat.completions.create(model="gpt-test", messages=messages)
            text = reply.choices[0].message.content
            evaltui.current_span().log(scores={"polite": 1.0, "resolved": False})
            return text

        @evaltui.traced(name="refund-stream")
        def streamed(question: str) -> str:
            stream = client.chat.completions.create(
                model="gpt-test",
                messages=[{"role": "user", "content": question}],
                stream=True,
                stream_options={"include_usage": True},
            )
            return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

        @evaltui.traced
        async def hello() -> str:
            reply = await aclient.chat.completions.create(
                model="gpt-async", messages=[{"role": "user", "content": "hi"}]
            )
            return reply.choices[0].message.content

        assert answer("where is my parcel?") == "It ships today."
        assert streamed("refund?") == "Your refund is on its way."  # the chunks, unchanged
        assert asyncio.run(hello()) == "Hello async"
        evaltui.flush()
        wait_for(lambda: stored(serve.db) == 6, 20, "three traced roots and three chat spans")
        spans, scores, every = _spans(serve.db)

    root = spans["answer"]
    assert root["type"] == "conversation" and root["input"] == [{"role": "user", "content": "where is my parcel?"}]
    assert root["output"] == "It ships today." and root["metadata"]["customer"] == "c-17"
    assert root["metadata"]["service.name"] == "shop-bot"
    assert {(n, s) for sid, n, s in scores if sid == root["id"]} == {("polite", 1.0), ("resolved", 0.0)}
    chats = [s for s in every if s["type"] == "llm"]
    by_parent = {s["parent_id"]: s for s in chats}
    chat = by_parent[root["id"]]
    assert chat["root_id"] == root["id"] and chat["metadata"]["model"] == "gpt-test"
    assert chat["input"] == [{"role": "user", "content": "where is my parcel?"}] and chat["output"] == "It ships today."
    assert (
        chat["metrics"]["prompt_tokens"] == 21 and chat["metrics"]["tokens"] == 25 and chat["metrics"]["latency_s"] > 0
    )
    stream_chat = by_parent[spans["refund-stream"]["id"]]
    assert stream_chat["output"] == "Your refund is on its way." and stream_chat["metrics"]["tokens"] == 24
    assert spans["refund-stream"]["input"] == {"question": "refund?"}
    assert spans["refund-stream"]["output"] == "Your refund is on its way."
    async_chat = by_parent[spans["hello"]["id"]]
    assert async_chat["metadata"]["model"] == "gpt-async" and async_chat["output"] == "Hello async"


def test_with_no_server_spans_are_spooled_as_evaltui_jsonl_that_ingest_reads(tmp_path, fresh_sdk, monkeypatch):
    import openai

    import evaltui
    from evaltui.testing.fake_openai import FakeOpenAI, Reply

    monkeypatch.setenv("EVALTUI_DB", str(tmp_path / "app.duckdb"))
    with FakeOpenAI() as llm:
        llm.enqueue(Reply(content="Tuesday.", prompt_tokens=9, completion_tokens=1))
        logger = evaltui.init_logger(project="shop-bot")
        spool = tmp_path / "app-traces.jsonl"
        assert logger.destination == str(spool)
        client = evaltui.wrap_openai(openai.OpenAI(base_url=llm.base_url, api_key="sk-test"))
        # no traced parent: the model call is itself the root, a one-turn conversation
        stream = client.chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": "when?"}], stream=True
        )
        assert [c.choices[0].delta.content for c in stream if c.choices][1:-1] == ["Tuesday."]
        evaltui.current_span().log(scores={"ignored": 1})  # no span open: a no-op
        evaltui.flush()
    lines = [json.loads(line) for line in spool.read_text().splitlines()]
    assert len(lines) == 1 and lines[0]["span_type"] == "conversation" and lines[0]["output"] == "Tuesday."

    db = tmp_path / "read.duckdb"
    done = subprocess.run(
        [*EVALTUI, "ingest", str(spool), "--db", str(db)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    spans, _, _ = _spans(db)
    conv = spans["chat gpt-test"]
    assert conv["type"] == "conversation" and conv["input"] == [{"role": "user", "content": "when?"}]
    assert conv["metadata"]["model"] == "gpt-test"


def test_without_init_logger_the_calls_are_plain_and_record_nothing(fresh_sdk):
    import evaltui

    @evaltui.traced
    def add(a: int, b: int) -> int:
        evaltui.current_span().log(scores={"x": 1}, metadata={"k": "v"})
        return a + b

    assert add(2, 3) == 5 and tracing._backend is None
    evaltui.flush()
