"""Braintrust's call shapes beyond Eval: init / init_experiment / login, init_dataset's
keywords, init_logger, traced and current_span with no logger, wrap_openai with the real
openai client (sync and async) against the loopback server, and the tracing seam."""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    from evaltui.testing.fake_openai import FakeOpenAI

    with FakeOpenAI() as srv:
        yield srv


def test_traced_and_current_span_work_with_no_logger() -> None:
    from evaltui import current_span, login, traced

    assert login(api_key="sk-anything") is None  # no network, nothing kept

    @traced
    def add(a: int, b: int) -> int:
        current_span().log(metadata={"ignored": True})  # no case, no logger: goes nowhere
        return a + b

    @traced(name="twice", type="function")
    async def twice(x: int) -> int:
        with current_span().start_span("inner") as span:
            span.log(metrics={"n": 1})
        return 2 * x

    assert add(2, 3) == 5 and add.__name__ == "add"
    assert asyncio.run(twice(4)) == 8


def test_a_tracing_backend_gets_the_spans_and_model_calls(server: Any) -> None:
    """The seam issue 18's SDK plugs into: init_logger, traced and the wrappers report to it."""
    import openai

    from evaltui import init_logger, traced, wrap_openai
    from evaltui import tracing

    class Recorder:
        def __init__(self) -> None:
            self.loggers: list[str | None] = []
            self.spans: list[str] = []
            self.calls: list[dict[str, Any]] = []

        def logger(self, project: str | None, **options: Any) -> Any:
            self.loggers.append(project)
            return tracing.Logger(project)

        @contextmanager
        def span(self, name: str, **options: Any) -> Any:
            self.spans.append(name)
            yield tracing.Span(name)

        def llm_call(self, call: dict[str, Any]) -> None:
            self.calls.append(call)

    recorder = Recorder()
    tracing.set_backend(recorder)
    try:
        init_logger(project="support")
        client = wrap_openai(openai.OpenAI(base_url=server.base_url, api_key="sk-test"))

        @traced
        def ask(q: str) -> str:
            reply = client.chat.completions.create(model="m", messages=[{"role": "user", "content": q}])
            return reply.choices[0].message.content

        assert ask("hi").startswith("fake reply")
    finally:
        tracing.set_backend(None)
    assert recorder.loggers == ["support"] and recorder.spans == ["ask"]
    assert [(c["provider"], c["prompt_tokens"], c["completion_tokens"]) for c in recorder.calls] == [("openai", 50, 10)]


def test_wrap_openai_records_usage_and_latency_on_each_case(server: Any, tmp_path: Path) -> None:
    import openai

    from evaltui import Eval, wrap_openai
    from evaltui.testing.fake_openai import Reply

    sync_client = wrap_openai(openai.OpenAI(base_url=server.base_url, api_key="sk-test"))
    async_client = wrap_openai(openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-test"))
    plain = sync_client.chat.completions.create(model="m", messages=[{"role": "user", "content": "outside"}])
    assert plain.usage.prompt_tokens == 50  # outside an eval: the client's own reply, nothing recorded
    assert sync_client.models.list().data[0].id == "fake-model"  # the rest of the client is untouched

    server.enqueue(*(Reply(content=f"r{i}", prompt_tokens=10 + i, completion_tokens=5) for i in range(6)))

    def sync_task(input: str) -> str:
        return (
            sync_client.chat.completions.create(model="m", messages=[{"role": "user", "content": input}])
            .choices[0]
            .message.content
        )

    async def async_task(input: str) -> str:
        a = await async_client.chat.completions.create(model="m", messages=[{"role": "user", "content": input}])
        b = await async_client.chat.completions.create(model="m", messages=[{"role": "user", "content": input + "!"}])
        return a.choices[0].message.content + b.choices[0].message.content

    db = tmp_path / "w.duckdb"
    for name, task in (("sync", sync_task), ("async", async_task)):
        Eval(
            "wrapped",
            data=[{"id": "a", "input": "one"}, {"id": "b", "input": "two"}],
            task=task,
            experiment_name=name,
            db=db,
            quiet=True,
            max_concurrency=1,
        )
    from evaltui.store import Store
    from evaltui.store import experiments as exp_store

    with Store(db) as store:
        metrics = {
            name: [r["metrics"] for r in exp_store.load_results(store, exp_store.find_experiment(store, name)["id"])]
            for name in ("sync", "async")
        }
    assert [m["llm_calls"] for m in metrics["sync"]] == [1, 1] and [m["llm_calls"] for m in metrics["async"]] == [2, 2]
    assert sum(m["prompt_tokens"] for m in metrics["sync"] + metrics["async"]) == sum(10 + i for i in range(6))
    assert all(
        m["completion_tokens"] == 5 * m["llm_calls"] and m["llm_latency_s"] > 0
        for m in metrics["sync"] + metrics["async"]
    )


def test_init_logs_an_experiment_by_hand_and_init_dataset_takes_braintrusts_keywords(tmp_path: Path) -> None:
    from evaltui import init, init_dataset, init_experiment
    from evaltui.store import Store
    from evaltui.store import experiments as exp_store

    db = tmp_path / "i.duckdb"
    data = init_dataset(project="support", name="questions", db=db)
    data.insert(input="hi", expected="hello", id="q1")
    data.insert(input="bye", expected="goodbye", id="q2")
    data.flush()
    pinned = init_dataset(project="support", name="questions", version="1", db=db)
    assert [r["id"] for r in pinned] == ["q1", "q2"]

    unused = init(project="support", db=db)  # logs nothing: leaves no experiment behind
    assert unused.close() is None
    experiment = init_experiment(project="support", experiment="by-hand", dataset=pinned, db=db)
    for row in pinned:
        experiment.log(
            input=row["input"],
            output=row["expected"].upper(),
            expected=row["expected"],
            id=row["id"],
            scores={"exact": float(row["expected"] == row["expected"].upper()), "long": 1.0},
            metadata={"by": "hand"},
        )
    summary = experiment.summarize()
    assert summary["experiment_name"] == "by-hand" and summary["results"] == 2
    assert summary["scores"] == {"exact": 0.0, "long": 1.0}
    with Store(db) as store:
        [exp] = exp_store.list_experiments(store)
        assert (exp["name"], exp["status"], exp["dataset"], exp["dataset_version"]) == (
            "by-hand",
            "finished",
            "questions",
            1,
        )
        rows = exp_store.load_results(store, exp["id"])
    assert sorted((r["record_id"], r["output"], r["metadata"]["by"]) for r in rows) == [
        ("q1", "HELLO", "hand"),
        ("q2", "GOODBYE", "hand"),
    ]
    with pytest.raises(Exception, match="not a version number"):
        init_dataset(project="support", name="questions", version="latest", db=db)
