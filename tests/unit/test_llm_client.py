"""The LLM layer against the real loopback server: retries, Retry-After, timeouts,
dropped connections, malformed replies, the response cache, tokens and the key."""

from __future__ import annotations

import asyncio
import time

import pytest

from evaltui.llm import LLMClient, LLMError, redact, request_key
from evaltui.store.llm_cache import LLMCache
from evaltui.testing import FakeOpenAI, Fault, Reply

MESSAGES = [{"role": "user", "content": "hello"}]


@pytest.fixture(scope="module")
def server():
    with FakeOpenAI() as s:
        yield s


@pytest.fixture
def fake(server):
    server.reset()
    server.latency = 0.0
    yield server
    server.reset()


def client(fake, **kw) -> LLMClient:
    kw.setdefault("backoff_base", 0.01)
    kw.setdefault("timeout", 2.0)
    return LLMClient(base_url=fake.base_url, api_key="sk-test-key", **kw)


async def test_plain_reply_with_tokens_and_auth_header(fake):
    fake.enqueue(Reply(content="hi there", prompt_tokens=7, completion_tokens=3))
    c = client(fake)
    result = await c.chat(MESSAGES, model="m1")
    await c.aclose()
    assert result.message.content == "hi there" and not result.cached
    assert (result.prompt_tokens, result.completion_tokens) == (7, 3)
    assert c.usage.as_dict() == {
        "calls": 1,
        "cache_hits": 0,
        "retries": 0,
        "errors": 0,
        "prompt_tokens": 7,
        "completion_tokens": 3,
    }
    (req,) = fake.chat_requests
    assert req.headers["authorization"] == "Bearer sk-test-key"
    assert req.body["model"] == "m1" and req.body["messages"] == MESSAGES


async def test_429_honours_retry_after(fake):
    fake.enqueue(Fault("rate_limit", retry_after=1), Reply(content="ok"))
    c = client(fake)
    started = time.perf_counter()
    result = await c.chat(MESSAGES)
    elapsed = time.perf_counter() - started
    await c.aclose()
    assert result.message.content == "ok" and result.attempts == 2
    assert elapsed >= 1.0, "the client must wait as long as Retry-After says"
    assert elapsed < 1.8
    assert c.usage.retries == 1 and len(fake.chat_requests) == 2


@pytest.mark.parametrize("kind", ["server_error", "drop", "slow"])
async def test_transient_faults_are_retried(fake, kind):
    fake.enqueue(Fault(kind, delay=1.0), Fault(kind, delay=1.0), Reply(content="recovered"))
    c = client(fake, timeout=0.3, max_retries=3)
    result = await c.chat(MESSAGES)
    await c.aclose()
    assert result.message.content == "recovered" and result.attempts == 3
    assert c.usage.retries == 2


@pytest.mark.parametrize(
    "kind, expected",
    [
        ("rate_limit", "rate_limit"),
        ("server_error", "server_error"),
        ("slow", "timeout"),
        ("drop", "connection"),
    ],
)
async def test_retries_give_up_with_a_one_line_error(fake, kind, expected):
    fake.enqueue(*[Fault(kind, retry_after=0, delay=1.0)] * 3)
    c = client(fake, timeout=0.3, max_retries=2)
    with pytest.raises(LLMError) as err:
        await c.chat(MESSAGES)
    await c.aclose()
    assert err.value.kind == expected
    assert "\n" not in str(err.value)
    assert len(fake.chat_requests) == 3  # 1 + 2 retries


async def test_malformed_json_is_an_error_not_a_crash(fake):
    fake.enqueue(Fault("malformed"))
    c = client(fake, max_retries=2)
    with pytest.raises(LLMError) as err:
        await c.chat(MESSAGES)
    await c.aclose()
    assert err.value.kind == "malformed" and "not valid JSON" in str(err.value)


def test_backoff_grows_with_jitter():
    c = LLMClient(backoff_base=1.0, backoff_max=8.0)
    delays = [[c._retry_delay(a, Exception()) for _ in range(50)] for a in range(5)]
    for attempt, ds in enumerate(delays):
        step = min(8.0, 2**attempt)
        assert all(step / 2 <= d <= step for d in ds)
        assert len(set(ds)) > 1  # jittered


async def test_concurrency_limit_runs_two_calls_at_once_and_holds_the_others(fake):
    fake.latency = 0.5
    c = client(fake, concurrency=2)
    await asyncio.gather(*(c.chat([{"role": "user", "content": str(i)}]) for i in range(4)))
    await c.aclose()
    # 4 calls, 2 at a time, 0.5 s each: two arrive together, the next two only as slots free
    at = sorted(r.at for r in fake.chat_requests)
    assert len(at) == 4
    assert at[1] - at[0] < 0.25  # not one at a time
    assert at[2] - at[0] >= 0.45 and at[3] - at[0] >= 0.45  # not all at once


async def test_cache_hits_make_no_calls_and_survive_reopening(fake, db_path):
    from evaltui.store import Store

    with Store(db_path) as store:
        c = client(fake, cache=LLMCache(store))
        first = await c.chat(MESSAGES, temperature=0)
        again = await c.chat(MESSAGES, temperature=0)
        other = await c.chat(MESSAGES, temperature=0.5)  # other parameters: another request
        await c.aclose()
        assert (first.cached, again.cached, other.cached) == (False, True, False)
        assert again.message.content == first.message.content
        assert len(fake.chat_requests) == 2 and c.usage.cache_hits == 1
    with Store(db_path) as store:
        c = client(fake, cache=LLMCache(store))
        third = await c.chat(MESSAGES, temperature=0)
        assert third.cached and len(fake.chat_requests) == 2
        bypass = await c.chat(MESSAGES, temperature=0, use_cache=False)
        assert not bypass.cached and len(fake.chat_requests) == 3
        await c.aclose()
        stored = store.con.execute("SELECT count(*), min(request) FROM llm_cache").fetchall()[0]
        assert stored[0] == 2 and "sk-test-key" not in stored[1]


def test_request_key_is_canonical():
    assert request_key("m", MESSAGES, {"a": 1, "b": 2}) == request_key("m", MESSAGES, {"b": 2, "a": 1})
    assert request_key("m", MESSAGES, {}) != request_key("m2", MESSAGES, {})


async def test_embeddings_endpoint(fake):
    c = client(fake)
    vectors = await c.embed(["a", "b", "a"])
    await c.aclose()
    assert len(vectors) == 3 and vectors[0] == vectors[2] != vectors[1]


def test_redact_removes_the_key_and_key_lookalikes():
    text = "Incorrect API key provided: sk-abc123XYZ and my-secret-token"
    out = redact(text, "my-secret-token")
    assert "sk-abc123XYZ" not in out and "my-secret-token" not in out


def test_not_configured_says_what_to_do():
    from evaltui.config import settings

    with pytest.raises(LLMError) as err:
        LLMClient.from_settings(settings(openai_base_url=None, openai_api_key=None))
    assert err.value.kind == "not_configured" and "OPENAI_BASE_URL" in str(err.value)


def test_prefetched_misses_are_answered_without_a_query_and_flush_counts_new_rows(db_path):
    from evaltui.store import Store

    with Store(db_path) as store:
        cache = LLMCache(store)
        cache.put("k1", "m", {"model": "m"}, '{"r": 1}', 1, 1)
        assert cache.flush() == 1
        assert cache.prefetch(["k1", "k2"]) == 1
        # k2 was looked up with its batch: a get() must not query the table again
        store.con.execute("INSERT INTO llm_cache (key, model, response) VALUES ('k2', 'm', '{\"r\": 2}')")
        assert cache.get("k1") == '{"r": 1}' and cache.get("k2") is None
        assert cache.get("k3") is None  # not in the batch: looked up
        cache.put("k2", "m", {"model": "m"}, '{"r": 2}', 1, 1)
        assert cache.get("k2") == '{"r": 2}'  # this process's own buffered reply wins
        cache.put("k4", "m", {"model": "m"}, '{"r": 4}', 1, 1)
        assert cache.flush() == 1  # k2 was already stored: only k4 is new
        assert store.con.execute("SELECT count(*) FROM llm_cache").fetchall()[0][0] == 3


async def test_calls_go_over_aiohttp_until_aclose_and_leave_the_heap_alone(fake):
    import openai

    from evaltui import heap

    fake.latency = 0.1
    c = client(fake, concurrency=20)
    runs_before = heap._runs
    started = time.perf_counter()
    await asyncio.gather(*(c.chat([{"role": "user", "content": f"pool {i}"}], use_cache=False) for i in range(40)))
    assert time.perf_counter() - started < 2.0  # two rounds of 20 in flight, not 40 calls in a row (4 s)
    state = c._state()
    assert isinstance(state.client._client, openai.DefaultAioHttpClient)
    assert heap._runs == runs_before  # freezing the heap is the fan-out's business, not the client's
    assert len(fake.chat_requests) == 40
    await c.aclose()
    assert state.client.is_closed()


def test_replies_off_the_schema_are_read_leniently_and_non_objects_refused():
    from evaltui.llm.client import _completion

    strict = _completion(
        b'{"id": "c1", "object": "chat.completion", "created": 1, "model": "m", '
        b'"choices": [{"index": 0, "finish_reason": "stop", '
        b'"message": {"role": "assistant", "content": "hi"}}]}'
    )
    assert strict.choices[0].message.content == "hi"
    loose = _completion(
        b'{"id": "c2", "model": "m", "choices": [{"index": 0, "message": {"role": "assistant", '
        b'"content": "no created, no finish_reason"}}]}'
    )  # as some local servers reply
    assert loose.choices[0].message.content == "no created, no finish_reason"
    for body in (b'["not", "an", "object"]', b'{"choices": [', b""):
        with pytest.raises(ValueError):
            _completion(body)


async def test_full_cache_buffers_are_written_in_the_background_on_a_loop(db_path):
    from evaltui.store import Store

    with Store(db_path) as store:
        cache = LLMCache(store, flush_every=4)
        for i in range(4):
            cache.put(f"k{i}", "m", {"model": "m"}, f'{{"r": {i}}}', 1, 1)
        assert cache._writer is not None and not cache._pending  # handed to the writer thread
        assert [cache.get(f"k{i}") for i in range(4)] == [f'{{"r": {i}}}' for i in range(4)]
        cache.put("k4", "m", {"model": "m"}, '{"r": 4}', 1, 1)
        assert cache.flush() == 5  # waits for the background batch, then writes the rest
        assert store.con.execute("SELECT count(*) FROM llm_cache").fetchall()[0][0] == 5
        assert not cache._writing


async def test_plain_json_request_goes_out_exactly_as_create_sends_it(fake, monkeypatch):
    """The fast path (the client's ``post``, no TypedDict transform) sends the same body,
    auth header and gets the same ChatCompletion as ``chat.completions.create``; a request
    that is not plain JSON (a tuple here) still goes through ``create``."""
    from evaltui.llm import client as client_module
    from evaltui.scoring.judge import LLMJudge

    judge = LLMJudge("brand_alignment", client(fake))
    messages, params = judge.request(input="Where is my order?", output="Sorry for the wait!")
    bodies, replies = [], []
    for plain in (True, False):
        monkeypatch.setattr(client_module, "_PLAIN_POST", plain)
        fake.reset()
        c = client(fake)
        result = await c.chat(messages, model="m1", **params)
        await c.aclose()
        (req,) = fake.chat_requests
        assert req.headers["authorization"] == "Bearer sk-test-key"
        bodies.append(req.body)
        replies.append(result.completion)
        assert judge.parse(result.message)[0] in judge.rubric.choices
    assert bodies[0] == bodies[1] == {"model": "m1", "messages": messages, **params}
    assert type(replies[0]) is type(replies[1])
    assert (
        replies[0].choices[0].message.tool_calls[0].function.arguments
        == replies[1].choices[0].message.tool_calls[0].function.arguments
    )

    assert not client_module._plain_json(tuple(messages))
    monkeypatch.setattr(client_module, "_PLAIN_POST", True)
    fake.reset()
    c = client(fake)
    await c.chat(tuple(messages), model="m1", use_cache=False, **params)
    await c.aclose()
    assert fake.chat_requests[0].body["messages"] == messages
