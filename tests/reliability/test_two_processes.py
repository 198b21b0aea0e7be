"""Two processes on one file: the TUI stays open (Pilot, in this process, polling for new
rows) while `evaltui ingest`, `evaltui score` (an LLM judge on the loopback server) and
`evaltui eval` run as real subprocesses. None of them meets a lock error, and the rows
they write show in the open app without a restart.

The subprocesses run asynchronously, so the app keeps polling and opening the file
read-only while they write: the writers wait out the readers and the other way round."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any
from collections.abc import Callable

from evaltui.testing import FakeOpenAI
from tests.helpers import ROOT
from tests.helpers import conversation, write_jsonl
from tests.helpers import until as _until


def until(pilot: Any, check: Callable[[], Any]):
    """Other processes write here: give them longer than a plain app wait."""
    return _until(pilot, check, timeout=20.0)


SMALL_EVAL = ROOT / "tests" / "fixtures" / "reliability" / "small_eval.py"


async def evaltui(*args: str, env: dict[str, str]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "evaltui",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode, out.decode() + err.decode()


def status(app: Any) -> str:
    return str(app.screen.query_one("#logs-status").content)


async def test_ingest_score_and_eval_run_beside_the_open_tui(tmp_path: Path) -> None:
    from evaltui.config import Settings
    from evaltui.ingest import ingest_file
    from evaltui.store import Store
    from evaltui.tui.app import EvalApp
    from evaltui.tui.widgets.span_table import SpanTable

    db = tmp_path / "shared.duckdb"
    with Store(db) as store:  # 30 conversations without a Conversation Quality score
        ingest_file(
            store,
            write_jsonl(
                tmp_path / "first.jsonl",
                [s for i in range(30) for s in conversation(i, "billing", 1.0, None, day=2, text=f"refund {i}")],
            ),
        )
    more = write_jsonl(
        tmp_path / "more.jsonl",
        [s for i in range(100, 110) for s in conversation(i, "shipping_delays", 0.0, None, day=27, text=f"late {i}")],
    )

    with FakeOpenAI() as server:
        env = {
            **os.environ,
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": "sk-test",
            "EVALTUI_CONFIG": str(tmp_path / "none.toml"),
            "EVALTUI_LLM_MAX_RETRIES": "2",
        }
        app = EvalApp(db, settings=Settings(theme="evaltui-dark", keymap={}), poll_seconds=0.2)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.press("2")
            await until(pilot, lambda: "of 30" in status(app))
            table = app.screen.query_one(SpanTable)
            assert "conversation_quality" not in table.scorers

            code, out = await evaltui("ingest", str(more), "--db", str(db), env=env)
            assert code == 0 and "in use" not in out and "lock" not in out.lower(), out
            await until(pilot, lambda: "of 40" in status(app))
            assert table.page.rows[0].topic == "shipping_delays"  # newest first

            code, out = await evaltui("score", "--scorer", "conversation_quality", "--db", str(db), env=env)
            assert code == 0 and "scored 40 of 40 pending" in out and "lock" not in out.lower(), out
            await until(
                pilot,
                lambda: (
                    "conversation_quality" in table.scorers
                    and all(r.scores.get("conversation_quality") is not None for r in table.page.rows)
                ),
            )
            assert "conversation_quality" in app.known_scorers

            code, out = await evaltui("eval", str(SMALL_EVAL), "--db", str(db), "--jsonl", env=env)
            assert code == 0 and "lock" not in out.lower(), out
            summary = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
            assert (summary["experiment_name"], summary["results"]) == ("while-the-tui-is-open", 20)
            await pilot.press("r")
            await pilot.pause(0.3)
            # The experiments pane of the open app shows the other process's eval.
            from evaltui.tui.widgets.experiment_table import ExperimentTable

            await pilot.press("4")
            await until(
                pilot,
                lambda: any(
                    e["name"] == "while-the-tui-is-open" and e["results"] == 20
                    for e in app.screen.query_one(ExperimentTable).entries
                ),
            )
            await pilot.press("2")
            await until(pilot, lambda: "of 40" in status(app))
            assert "of 40" in status(app)  # and the log browser still works
            before = table.cursor_row  # a reload keeps the row the reader was on
            await pilot.press("down", "down")
            assert table.cursor_row == before + 2
        assert not [n for n in app._notifications if n.severity == "error"], [n.message for n in app._notifications]
