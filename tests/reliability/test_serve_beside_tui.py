"""The app open (Pilot, in this process, polling for new rows) while a real `evaltui serve`
subprocess receives new conversations over OTLP/HTTP, files them under the active topic map
and scores them with the stored online rule against the loopback judge (issue 18): the app
meets no lock error, and the new rows, their topics and the rule's scores show in it
without a restart."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from evaltui.ingest import ingest_file
from evaltui.store import Store
from evaltui.store.scoring import Rule, save_rule
from evaltui.testing import FakeOpenAI
from evaltui.topics.build import BuildOptions, build_map
from tests.helpers import until
from tests.serving import Serve, chat_spans, otlp_json, post, stored, wait_for

FIXTURE = Path(__file__).parents[1] / "fixtures" / "topics" / "support.jsonl"
NEWER = 1_796_428_800 * 10**9  # 2026-12-05: newer than the fixture's conversations, so first in the log
ASKS = [  # what the map's topics hold (account, refunds, shipping), asked in other words
    "my login keeps failing even with the new password",
    "I am locked out of my account, please unlock it",
    "I want my money back for the broken chair",
    "how long does a refund take after the return arrives",
    "my delivery is late, it was due on Tuesday",
    "the tracking number shows no updates for my parcel",
]
# serve's worker runs at nice 10 (the receiver first); on a busy machine it gets a small share
# of a core: the waits are long, and each ends as soon as the app shows the state.
WAIT = 600


def status(app: Any) -> str:
    return str(app.screen.query_one("#logs-status").content)


async def test_the_open_app_shows_what_serve_receives_files_and_scores(tmp_path: Path) -> None:
    from evaltui.config import Settings
    from evaltui.tui.app import EvalApp
    from evaltui.tui.widgets.span_table import SpanTable

    db = tmp_path / "live.duckdb"
    with Store(db) as store:
        ingest_file(store, FIXTURE)
        build_map(store, BuildOptions(name_with_llm=False))
        save_rule(store, Rule("live-judge", ["brand_alignment"], 'source = "otlp:serve"', 1.0, "conversation"))
        before = int(store.con.execute("SELECT count(*) FROM spans WHERE parent_id IS NULL").fetchone()[0])
    roots = {f"{trace:012x}0000" for trace in range(1, 7)}

    with FakeOpenAI() as judge:
        env = {
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": judge.base_url,
            "EVALTUI_LLM_MAX_RETRIES": "0",
            "EVALTUI_LLM_TIMEOUT_S": "5",
            "EVALTUI_CONFIG": str(tmp_path / "none.toml"),
        }
        with Serve(db, "--retry-every", "0.2", env=env) as srv:
            app = EvalApp(db, settings=Settings(theme="evaltui-dark", keymap={}), poll_seconds=0.2)
            async with app.run_test(size=(120, 30)) as pilot:
                await pilot.press("2")
                await until(pilot, lambda: f"of {before}" in status(app), timeout=WAIT)
                table = app.screen.query_one(SpanTable)

                for trace, ask in enumerate(ASKS, 1):  # posted from a thread: the app keeps polling meanwhile
                    body = json.dumps(otlp_json(chat_spans(trace, start_ns=NEWER))).replace(
                        f"where is order {trace}?", ask
                    )
                    code, reply, _ = await asyncio.to_thread(post, srv.url, body.encode(), "application/json")
                    assert code == 200, reply

                await until(pilot, lambda: f"of {before + 6}" in status(app), timeout=WAIT)
                assert {r.id for r in table.page.rows[:6]} == roots  # newest first, without a restart

                def scored_in_the_app() -> bool:
                    shown = {r.id: r.scores.get("brand_alignment") for r in table.page.rows if r.id in roots}
                    return len(shown) == 6 and all(v is not None for v in shown.values())

                await until(pilot, scored_in_the_app, timeout=WAIT)

                def counted() -> tuple[int, int]:
                    st = srv.status()
                    return st["conversations_filed"], st["turns_scored"]

                # the worker reports its counters after it writes the scores (a line on its stdout):
                # the stored scores show first, serve's /status catches up
                await asyncio.to_thread(
                    wait_for, lambda: counted() == (6, 6), WAIT, "/status to count 6 filed, 6 scored"
                )
                filed = dict(
                    stored_rows(
                        db,
                        "SELECT s.root_id, m.key FROM span_topics t JOIN spans s ON s.id = t.span_id "
                        "LEFT JOIN topics m ON m.map_id = t.map_id AND m.topic_id = t.topic_id "
                        "WHERE t.map_id = (SELECT id FROM topic_maps WHERE active) AND s.parent_id IS NULL",
                    )
                )
                await until(
                    pilot,
                    lambda: all(r.topic == filed.get(r.id) for r in table.page.rows if r.id in roots),
                    timeout=WAIT,
                )
                assert roots <= set(filed)  # each new conversation has a place in the map
                assert len({filed[r] for r in roots} - {None}) >= 2  # topics of the map, shown in the app
            assert srv.stop() == 0
    assert not [n for n in app._notifications if n.severity == "error"], [n.message for n in app._notifications]
    assert stored(db, "SELECT count(*) FROM scores WHERE source = 'online' AND scorer_key = 'brand_alignment'") == 6
    assert len(judge.chat_requests) == 6


def stored_rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with Store(db, read_only=True) as store:
        return [tuple(r) for r in store.con.execute(sql).fetchall()]
