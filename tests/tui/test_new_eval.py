"""Pilot tests of starting an eval from the app (the experiments pane's `n`): eval files
load against the app's database and say why one failed; an empty task list is a hint, not
a crash; a run can be cancelled at once; the app's exit code says when it died."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import FIXTURES, until
from tests.tui.helpers import build_db, make_app


@pytest.fixture(autouse=True)
def _fresh_eval_files():
    from evaltui.evals import launch

    launch._loaded.clear()
    yield
    launch._loaded.clear()


def dialog_lines(app: Any, selector: str) -> list[str]:
    return [str(w.content) for w in app.screen.query(selector)]


async def test_new_eval_loads_eval_files_against_the_apps_database_and_lists_the_one_that_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evaltui.tui.screens.run_dialog import RunDialog

    db = build_db(tmp_path)
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # where a stray ./evaltui.duckdb would appear
    app = make_app(db, eval_paths=[FIXTURES / "tui_app_db"])
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("4", "n")
        await until(pilot, lambda: isinstance(app.screen, RunDialog), timeout=30)
        assert [t.name for t in app.screen.tasks] == ["echo"]  # it saw the app's dataset `slice`
        assert dialog_lines(app, ".problem") == [
            "broken_eval.py failed to load: ValueError: needs at least 30 labelled examples"
        ]
    assert not (cwd / "evaltui.duckdb").exists()


async def test_new_eval_with_no_loadable_task_shows_the_hint_and_the_reason_instead_of_crashing(tmp_path: Path) -> None:
    from evaltui.tui.screens.experiments import ExperimentsScreen
    from evaltui.tui.screens.run_dialog import RunDialog

    db = build_db(tmp_path)
    app = make_app(db, eval_paths=[FIXTURES / "tui_broken"])
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("4", "n")
        await until(pilot, lambda: isinstance(app.screen, RunDialog), timeout=30)
        assert "no tasks" in dialog_lines(app, "#run-title")[0]
        assert "tui_broken" in dialog_lines(app, "#run-title")[0]  # where it looked
        assert dialog_lines(app, ".problem") == [
            "broken_eval.py failed to load: ValueError: needs at least 30 labelled examples"
        ]
        await pilot.press("ctrl+s")  # nothing to start
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ExperimentsScreen))
        assert app.return_code is None and not app.runs  # still running, nothing started


def _run_in_a_terminal(argv: list[str], env: dict[str, str], timeout: float = 60) -> tuple[int, str]:
    """Run ``argv`` with a pseudo-terminal as stdin/stdout/stderr; (exit code, output)."""
    import fcntl
    import struct
    import subprocess
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 110, 0, 0))
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        code = proc.wait(timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(5)
    os.close(master)
    return code, b"".join(chunks).decode(errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_the_app_dying_from_an_exception_makes_evaltui_tui_exit_non_zero(tmp_path: Path) -> None:
    db = build_db(tmp_path)
    # The real `evaltui tui` in a real terminal, with one fault injected: the first pane
    # raises when it mounts.
    script = (
        "import sys\n"
        "from evaltui.tui.screens import topics\n"
        "def boom(self):\n"
        "    raise RuntimeError('injected fault')\n"
        "topics.TopicsScreen.on_mount = boom\n"
        "from evaltui.cli import main\n"
        "main(['tui', '--db', sys.argv[1]])\n"
    )
    env = {**os.environ, "TERM": "xterm-256color"}
    code, output = _run_in_a_terminal([sys.executable, "-c", script, str(db)], env)
    assert "injected fault" in output
    assert code != 0


def show_json(db: Path, name: str) -> dict[str, Any]:
    """`evaltui experiments show NAME --json`, run as a user would."""
    import json
    import subprocess

    out = subprocess.run(
        [sys.executable, "-m", "evaltui", "experiments", "show", name, "--db", str(db), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    return json.loads(out)


def build_db_with_expected(folder: Path) -> Path:
    """build_db, with an expected reply on every record of `slice` (what exact_match needs)."""
    from evaltui.store import Store

    db = build_db(folder)
    with Store(db) as store:
        store.con.execute("UPDATE dataset_records SET expected = '\"ok\"'").fetchall()
    return db


async def test_the_scorers_ticked_in_the_new_eval_dialog_are_the_ones_that_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import SelectionList

    from evaltui.tui.screens.run_dialog import RunDialog

    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY"):  # the LLM judge cannot run here
        monkeypatch.delenv(var, raising=False)
    db = build_db_with_expected(tmp_path)
    app = make_app(db, eval_paths=[FIXTURES / "tui_app_db" / "judged_from_db.py"])
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.press("4", "n")
        await until(pilot, lambda: isinstance(app.screen, RunDialog) and app.screen.query("#run-scorers"), timeout=30)
        await pilot.pause()
        await pilot.press("tab")  # from the task to the scorers
        await until(pilot, lambda: isinstance(app.focused, SelectionList))
        scorers = app.focused

        async def tick(name: str) -> None:
            for _ in range(scorers.option_count):
                if scorers.highlighted is not None and scorers.get_option_at_index(scorers.highlighted).value == name:
                    break
                await pilot.press("down")
            await pilot.press("space")

        # The list: the task's own scorer (ticked), then the extras.
        await tick("exact_match")
        await tick("levenshtein")
        await tick("brand_alignment")
        dialog = app.screen
        await until(
            pilot,
            lambda: (
                "runs: non_empty, exact_match, levenshtein, brand_alignment"
                in str(dialog.query_one("#run-chosen").content)
            ),
        )
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "echo-slice-v1" in app.runs and not app.runs["echo-slice-v1"].alive, timeout=60)
        assert app.runs["echo-slice-v1"].progress.status == "finished"
    shown = show_json(db, "echo-slice-v1")
    assert shown["task"]["scorers"] == ["non_empty", "exact_match", "levenshtein", "brand_alignment"]
    assert len(shown["cases"]) == 24
    for case in shown["cases"]:
        scores = case["scores"]
        assert scores["Non Empty"]["score"] == 1.0 and scores["exact_match"]["score"] in (0.0, 1.0)
        assert scores["levenshtein"]["score"] is not None
        # The judge that needs a model marks each case with why, and the run still finished.
        assert scores["brand_alignment"]["score"] is None and "no model endpoint" in scores["brand_alignment"]["error"]


async def test_cancelling_right_after_start_stops_the_run_cleanly_and_marks_it_cancelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time

    from evaltui.evals import runner
    from evaltui.tui.screens.run_dialog import RunDialog

    # A slow store, the moment right after ctrl+s: the runner is preparing the experiment
    # on its connection (on a busy machine this takes a while) when the user presses c.
    preparing, pressed = threading.Event(), threading.Event()
    real_prepare = runner._prepare

    def slow_prepare(ev: Any, store: Any, data: Any) -> Any:
        preparing.set()
        deadline = time.monotonic() + 20
        while not pressed.is_set() and time.monotonic() < deadline:
            store.con.execute("SELECT count(*) FROM range(2000000)").fetchall()
        return real_prepare(ev, store, data)

    monkeypatch.setattr(runner, "_prepare", slow_prepare)
    db = build_db(tmp_path)
    app = make_app(db, eval_paths=[FIXTURES / "tui_app_db" / "judged_from_db.py"])
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.press("4", "n")
        await until(pilot, lambda: isinstance(app.screen, RunDialog) and app.screen.query("#run-scorers"), timeout=30)
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "echo-slice-v1" in app.runs and preparing.is_set(), timeout=30)
        run = app.runs["echo-slice-v1"]
        await pilot.press("c")
        pressed.set()
        await until(pilot, lambda: not run.alive, timeout=30)
        assert run.progress.status == "cancelled", run.progress.message
        await pilot.pause()
        assert not any("Exception" in n.message for n in app._notifications), [n.message for n in app._notifications]
    assert_file_free(db)  # no connection left open by the cancelled start
    stored = show_json_or_none(db, "echo-slice-v1")
    assert stored is None or stored["status"] == "cancelled", stored  # never left 'running' (resumed as interrupted)


def assert_file_free(db: Path) -> None:
    """Nothing in this process holds the file read-write (another process could not open it)."""
    from evaltui.store import Store

    Store(db, read_only=True).close()


def show_json_or_none(db: Path, name: str) -> dict[str, Any] | None:
    from evaltui.store import Store
    from evaltui.store import experiments as exp_store

    with Store(db, read_only=True) as store:
        return exp_store.find_experiment(store, name)


async def test_q_during_a_run_stops_it_and_the_next_start_runs_only_the_cases_without_a_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evaltui.evals import launch
    from evaltui.testing.fake_openai import FakeOpenAI
    from evaltui.tui.screens.run_dialog import RunDialog

    def asked(requests: list[Any]) -> list[str]:
        """The customer message of each chat request: which case the task ran."""
        return [r.body["messages"][-1]["content"] for r in requests]

    def stored(db: Path) -> dict[str, Any]:
        from evaltui.store import Store
        from evaltui.store import experiments as exp_store

        with Store(db, read_only=True) as store:
            exp = exp_store.require_experiment(store, "baseline-slice-v1")
            rows = exp_store.load_results(store, exp["id"])
        return {
            "status": exp["status"],
            "created": {r["case_id"]: r["created"] for r in rows},
            "inputs": {r["case_id"]: r["input"][-1]["content"] for r in rows},
        }

    db = build_db(tmp_path)
    with FakeOpenAI() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("EVALTUI_TEST_TASK_DELAY", "0.15")
        app = make_app(db, eval_paths=[FIXTURES / "tui"])
        async with app.run_test(size=(110, 30)) as pilot:
            await pilot.press("4", "n")
            await until(
                pilot, lambda: isinstance(app.screen, RunDialog) and app.screen.query("#run-scorers"), timeout=30
            )
            await pilot.pause()
            await pilot.press("ctrl+s")
            await until(
                pilot,
                lambda: "baseline-slice-v1" in app.runs and app.runs["baseline-slice-v1"].progress.done >= 3,
                timeout=30,
            )
            run = app.runs["baseline-slice-v1"]
            await pilot.press("q")
            await until(pilot, lambda: not run.alive, timeout=15)
        first = stored(db)
        assert first["status"] == "running"  # stopped mid-way: `experiments list` shows it interrupted
        assert 3 <= len(first["created"]) < 24
        asked_first = len(server.chat_requests)

        monkeypatch.setenv("EVALTUI_TEST_TASK_DELAY", "0")
        launch._loaded.clear()
        app = make_app(db, eval_paths=[FIXTURES / "tui"])
        async with app.run_test(size=(110, 30)) as pilot:  # the next start resumes it on its own
            await until(pilot, lambda: "baseline-slice-v1" in app.runs, timeout=15)
            await until(pilot, lambda: not app.runs["baseline-slice-v1"].alive, timeout=30)
        second = stored(db)
        resumed = asked(server.chat_requests[asked_first:])
    assert second["status"] == "finished" and len(second["created"]) == 24
    # Only the cases without a result ran again; the finished ones kept their results.
    assert sorted(resumed) == sorted(second["inputs"][c] for c in second["created"] if c not in first["created"])
    assert not set(resumed) & set(first["inputs"].values())
    assert all(second["created"][c] == t for c, t in first["created"].items())


async def test_a_started_run_shows_its_number_of_cases_before_the_first_one_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evaltui.tui.screens.run_dialog import RunDialog

    monkeypatch.setenv("EVALTUI_TEST_TASK_DELAY", "1.0")
    db = build_db(tmp_path)
    app = make_app(db, eval_paths=[FIXTURES / "tui_app_db" / "judged_from_db.py"])
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.press("4", "n")
        await until(pilot, lambda: isinstance(app.screen, RunDialog) and app.screen.query("#run-scorers"), timeout=30)
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "echo-slice-v1" in app.runs)
        progress = app.screen.query_one("#run-progress")
        await until(pilot, lambda: " 0/24 cases" in str(progress.content))  # the total at once, not 0/?
        assert app.runs["echo-slice-v1"].progress.done == 0
        app.runs["echo-slice-v1"].cancel()
        await until(pilot, lambda: not app.runs["echo-slice-v1"].alive, timeout=30)
