"""The trace view as Langfuse and Phoenix users expect it: the span tree with a timing
waterfall, a cut-off system prompt that expands, and a rationale typed with a label."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers import span, until, write_jsonl
from tests.tui.helpers import make_app
from tests.tui.snapshot import screen_text

PROMPT = (
    "You are Juno, the support bot. "
    + " ".join(f"Policy {i}: be kind about case {i}." for i in range(40))
    + " END-OF-PROMPT"
)


def trace_db(folder: Path) -> Path:
    from evaltui.ingest import ingest_file
    from evaltui.store import Store

    rows = [
        span(
            "c1",
            name="conversation",
            ts="2026-11-01T10:00:00Z",
            output="done",
            metrics={"latency_s": 4.0},
            input=[{"role": "system", "content": PROMPT}, {"role": "user", "content": "reset my password"}],
            metadata={"topic": "account"},
        ),
        span(
            "c1-t1",
            "c1",
            "c1",
            name="turn",
            ts="2026-11-01T10:00:00Z",
            input="reset my password",
            output="ok",
            metrics={"latency_s": 1.5},
            scores=[{"name": "Brand Alignment", "score": 0.5, "label": "B"}],
        ),
        span(
            "c1-llm1",
            "c1",
            "c1-t1",
            name="chat gpt-x",
            span_type="llm",
            ts="2026-11-01T10:00:00.200Z",
            metrics={"latency_s": 1.2},
        ),
        span(
            "c1-t2",
            "c1",
            "c1",
            name="turn",
            ts="2026-11-01T10:00:02Z",
            input="thanks",
            output="bye",
            metrics={"latency_s": 2.0},
        ),
    ]
    db = folder / "tui.duckdb"
    with Store(db) as store:
        ingest_file(store, write_jsonl(folder / "spans.jsonl", rows))
    return db


async def open_trace(app: Any, pilot: Any) -> Any:
    from evaltui.tui.screens.logs import LogsScreen
    from evaltui.tui.screens.trace import TraceScreen

    await pilot.press("2")
    await until(pilot, lambda: isinstance(app.screen, LogsScreen) and app.screen.total == 1)
    await pilot.press("enter")
    await until(
        pilot,
        lambda: isinstance(app.screen, TraceScreen) and app.screen.trace is not None and app.screen.query(".system"),
    )
    return app.screen


async def test_the_trace_shows_its_span_tree_on_a_time_line(tmp_path: Path) -> None:
    app = make_app(trace_db(tmp_path))
    async with app.run_test(size=(120, 60)) as pilot:
        await open_trace(app, pilot)
        await pilot.press("end")
        await pilot.pause(0.1)
        lines = screen_text(app)
        start = next(i for i, line in enumerate(lines) if line.strip().lstrip("█▌▐ ").startswith("spans"))
        tree = lines[start + 1 : start + 5]
        assert "conversation" in tree[0] and "4.0s" in tree[0]
        assert "└ turn" in tree[1] and "1.5s" in tree[1] and "turn turn" not in tree[1]
        assert "└ llm chat gpt-x" in tree[2] and tree[2].index("└") > tree[1].index("└")  # under its turn
        assert "2.0s" in tree[3]
        # the second turn starts half way through the trace: its bar starts right of the first's
        assert tree[3][3:].index("█") > tree[1][3:].index("█")  # past the pane's left border


async def test_e_expands_the_cut_off_system_prompt(tmp_path: Path) -> None:
    app = make_app(trace_db(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_trace(app, pilot)
        system = screen.query_one(".system")
        assert "END-OF-PROMPT" not in str(system.render()) and "e: the first 300" in str(system.render())
        await pilot.press("e")
        await until(pilot, lambda: "END-OF-PROMPT" in str(screen.query_one(".system").render()))
        await pilot.press("e")
        await until(pilot, lambda: "END-OF-PROMPT" not in str(screen.query_one(".system").render()))


async def test_a_rationale_is_typed_with_a_label_and_stored_with_it(tmp_path: Path) -> None:
    from evaltui.store import Store
    from evaltui.tui.screens.dialogs import TextDialog

    db = trace_db(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_trace(app, pilot)
        await pilot.press("A")
        await until(pilot, lambda: screen.labels.get("c1-t1", {}).get("brand_alignment") == "A")
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, TextDialog))
        await pilot.press(*"recovery steps are on brand", "enter")
        await until(pilot, lambda: app.screen is screen)
        await app.workers.wait_for_complete()
    with Store(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT label, rationale FROM scores WHERE target_id = 'c1-t1' AND source = 'human' ORDER BY created DESC"
        ).fetchall()
    assert rows[0] == ("A", "recovery steps are on brand")
