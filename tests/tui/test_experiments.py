"""Pilot tests of the experiments pane: start an eval against the loopback OpenAI-compatible
server, switch panes while it runs, watch it finish; cancel one; resume after a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import until
from tests.tui.helpers import build_db, make_app


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    from evaltui.testing.fake_openai import FakeOpenAI

    with FakeOpenAI() as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        yield srv


async def start_eval(app: Any, pilot: Any, task: int = 0) -> None:
    from evaltui.tui.screens.run_dialog import RunDialog

    await pilot.press("4", "n")
    await until(pilot, lambda: isinstance(app.screen, RunDialog) and app.screen.query("#run-scorers"))
    await pilot.pause(0.1)
    if task:
        await pilot.press("enter", "down", "enter")  # the task select is focused: open it, pick the next
        await pilot.pause(0.1)
    await pilot.press("ctrl+s")
    await until(pilot, lambda: not isinstance(app.screen, RunDialog))


def experiment(db: Path, name: str) -> dict[str, Any]:
    from evaltui.store import Store
    from evaltui.store import experiments as exp_store

    with Store(db, read_only=True) as store:
        exp = exp_store.require_experiment(store, name)
        exp["results"] = len(exp_store.load_results(store, exp["id"]))
        return exp


def finished_inputs(db: Path, name: str) -> set[str]:
    """The customer message of each case stored for experiment ``name``."""
    from evaltui.store import Store
    from evaltui.store import experiments as exp_store

    with Store(db, read_only=True) as store:
        exp = exp_store.require_experiment(store, name)
        return {r["input"][-1]["content"] for r in exp_store.load_results(store, exp["id"])}


def asked(server: Any, since: int = 0) -> list[str]:
    """The customer message of each task call the server received (one call per case run)."""
    return [r.body["messages"][-1]["content"] for r in server.chat_requests[since:]]


async def test_start_an_eval_switch_panes_and_watch_it_finish(tmp_path: Path, server: Any) -> None:
    from evaltui.tui.screens.experiments import ExperimentsScreen
    from evaltui.tui.widgets.experiment_table import ExperimentTable

    db = build_db(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(110, 30)) as pilot:
        await start_eval(app, pilot)
        await until(pilot, lambda: "baseline-slice-v1" in app.runs)
        await pilot.press("1")  # another pane while it runs
        await until(pilot, lambda: not app.runs["baseline-slice-v1"].alive, timeout=30)
        await pilot.press("4")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, ExperimentsScreen)
                and app.screen.query_one(ExperimentTable).entries
                and app.screen.query_one(ExperimentTable).entries[0]["status"] == "finished"
            ),
        )
        row = app.screen.query_one(ExperimentTable).entries[0]
        assert row["dataset"] == "slice" and row["dataset_version"] == 1 and row["results"] == 24
        assert "Apologises" in row["scores"]
    exp = experiment(db, "baseline-slice-v1")
    assert exp["status"] == "finished" and exp["results"] == 24
    assert len(server.requests) >= 24  # the task really called the loopback server


async def test_cancel_a_run_keeps_finished_cases_and_resume_fills_the_rest(
    tmp_path: Path, server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = build_db(tmp_path)
    monkeypatch.setenv("EVALTUI_TEST_TASK_DELAY", "0.15")
    from evaltui.evals import launch

    launch._loaded.clear()  # the delay is read when the eval file loads
    app = make_app(db)
    async with app.run_test(size=(110, 30)) as pilot:
        await start_eval(app, pilot)
        await until(
            pilot,
            lambda: "baseline-slice-v1" in app.runs and app.runs["baseline-slice-v1"].progress.done >= 2,
            timeout=30,
        )
        await pilot.press("c")
        await until(pilot, lambda: not app.runs["baseline-slice-v1"].alive, timeout=15)
        assert app.runs["baseline-slice-v1"].progress.status == "cancelled"
    exp = experiment(db, "baseline-slice-v1")
    assert exp["status"] == "cancelled" and 2 <= exp["results"] < 24
    finished = finished_inputs(db, "baseline-slice-v1")
    calls_before = len(server.chat_requests)
    monkeypatch.setenv("EVALTUI_TEST_TASK_DELAY", "0")
    launch._loaded.clear()
    app = make_app(db)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("4")
        await pilot.pause(0.3)
        await pilot.press("R")
        await until(
            pilot, lambda: "baseline-slice-v1" in app.runs and not app.runs["baseline-slice-v1"].alive, timeout=30
        )
    exp = experiment(db, "baseline-slice-v1")
    assert exp["status"] == "finished" and exp["results"] == 24
    resumed = asked(server, calls_before)  # the resume ran only the cases not finished before
    assert not finished & set(resumed) and sorted(resumed) == sorted(
        finished_inputs(db, "baseline-slice-v1") - finished
    )


async def test_a_run_interrupted_by_closing_the_app_resumes_on_the_next_start(
    tmp_path: Path, server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evaltui.evals import launch

    db = build_db(tmp_path)
    monkeypatch.setenv("EVALTUI_TEST_TASK_DELAY", "0.15")
    launch._loaded.clear()
    app = make_app(db)
    async with app.run_test(size=(110, 30)) as pilot:
        await start_eval(app, pilot)
        await until(
            pilot,
            lambda: "baseline-slice-v1" in app.runs and app.runs["baseline-slice-v1"].progress.done >= 2,
            timeout=30,
        )
        await pilot.press("q")  # quitting stops the run; it stays 'running' to resume
    assert experiment(db, "baseline-slice-v1")["status"] == "running"
    finished = finished_inputs(db, "baseline-slice-v1")
    assert 2 <= len(finished) < 24
    calls_before = len(server.chat_requests)
    monkeypatch.setenv("EVALTUI_TEST_TASK_DELAY", "0")
    launch._loaded.clear()
    app = make_app(db)
    told: list[str] = []  # every notice, kept: a toast may expire before a busy machine gets here
    notify = app.notify
    app.notify = lambda message, *args, **kwargs: (told.append(str(message)), notify(message, *args, **kwargs))[1]
    async with app.run_test(size=(110, 30)) as pilot:
        await until(pilot, lambda: "baseline-slice-v1" in app.runs, timeout=10)
        await until(pilot, lambda: not app.runs["baseline-slice-v1"].alive, timeout=30)
        assert any("resuming baseline-slice-v1" in m for m in told)
    exp = experiment(db, "baseline-slice-v1")
    assert exp["status"] == "finished" and exp["results"] == 24
    resumed = asked(server, calls_before)  # the resume ran only the cases not finished before
    assert not finished & set(resumed) and sorted(resumed) == sorted(
        finished_inputs(db, "baseline-slice-v1") - finished
    )
