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

from tests.helpers import until
from tests.test_tui_experiments import build_db, make_app

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _fresh_eval_files():
    from evaltui.evals import launch

    launch._loaded.clear()
    yield
    launch._loaded.clear()


def dialog_lines(app: Any, selector: str) -> list[str]:
    return [str(w.content) for w in app.screen.query(selector)]


async def test_new_eval_loads_eval_files_against_the_apps_database_and_lists_the_one_that_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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
            "broken_eval.py failed to load: ValueError: needs at least 30 labelled examples"]
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
        assert dialog_lines(app, ".problem") == [
            "broken_eval.py failed to load: ValueError: needs at least 30 labelled examples"]
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
