"""The calibration pane's per-topic table: worst kappa first, reached with tab and
scrolled from the keyboard, so the topic where the judge is least trusted is on screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers import until
from tests.tui.helpers import labelled_db, make_app, open_calibration


def test_worst_first_orders_by_kappa_then_labels() -> None:
    from evaltui.tui.widgets.agreement_table import worst_first

    rows = worst_first(
        {
            "a": {"kappa": 0.9, "n": 5},
            "b": {"kappa": None, "n": 9},
            "c": {"kappa": 0.3, "n": 6},
            "d": {"kappa": 0.3, "n": 7},
            "few": {"kappa": -0.5, "n": 3},
        }
    )
    assert [t for t, _ in rows] == ["d", "c", "a", "b", "few"]  # three labels say little: last


async def test_the_per_topic_table_starts_with_the_worst_topic_and_scrolls_from_the_keyboard(tmp_path: Path) -> None:
    from evaltui.tui.widgets.agreement_table import AgreementTable

    app = make_app(labelled_db(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        topics = (await open_calibration(app, pilot)).query_one(AgreementTable)
        assert topics.entries[0][0] == "zz_recovery_steps"
        assert str(topics.get_cell_at((0, 0))) == "zz_recovery_steps"
        kappas = [a["kappa"] for _, a in topics.entries]
        assert kappas == sorted(kappas)
        await pilot.press("tab")
        await until(pilot, lambda: topics.has_focus)
        await pilot.press("end")
        await until(pilot, lambda: topics.cursor_row == 22)
        assert topics.scroll_offset.y > 0  # the last topic scrolled into view
        await pilot.press("k", "k")
        assert topics.cursor_row == 20


async def test_a_rescore_from_the_pane_lets_go_of_the_file_while_its_judge_is_called(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """R in the calibration pane grades the logs again in a worker; while the judge is
    mid-call another process writes a label (the file is held only to read each page and
    to write its grades), and the grades land once the judge answers."""
    import os
    import subprocess

    from evaltui.testing import FakeOpenAI
    from tests.helpers import EVALTUI, judge_env
    from tests.serving import stored, wait_for
    from tests.unit.test_online_scoring import Gate

    from evaltui.ingest import ingest_file
    from evaltui.store import Store
    from tests.helpers import conversation, write_jsonl

    db = labelled_db(tmp_path, topics=3, per_topic=4)
    with Store(db) as store:  # four conversations with a turn each: what the judge grades
        rows = [r for i in range(4) for r in conversation(i, "login", 1.0, 1.0, text=f"question {i}")]
        ingest_file(store, write_jsonl(tmp_path / "turns.jsonl", rows))
    judged = "SELECT count(*) FROM scores WHERE metadata->>'scorer_spec' = 'brand_alignment'"
    gate = Gate()
    with FakeOpenAI(responder=gate) as server:
        env = judge_env(server.base_url, tmp_path)
        from evaltui.config import get_settings

        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()  # the judge reads the settings the process cached
        app = make_app(db)
        try:
            async with app.run_test(size=(120, 40)) as pilot:
                await open_calibration(app, pilot, topics=3)
                await pilot.press("R")
                await until(pilot, lambda: app.screen.query("#text-value"))
                app.screen.query_one("#text-value").value = "brand_alignment"
                await pilot.press("enter")
                # the worker imports the client and resolves the judge first: slow on a busy machine
                ended = lambda: any(not n.message.startswith("re-scoring") for n in app._notifications)  # noqa: E731
                await until(pilot, lambda: gate.asked.is_set() or ended(), timeout=120)
                assert gate.asked.is_set(), [n.message for n in app._notifications]
                label = subprocess.run(  # a write from another process while the judge is mid-call
                    [*EVALTUI, "label", "s0-0", "brand_alignment", "A", "--db", str(db)],
                    capture_output=True,
                    text=True,
                    env={**os.environ, **env},
                    timeout=60,
                )
                assert label.returncode == 0, label.stderr
                assert not gate.open.is_set() and stored(db, judged) == 0
                gate.open.set()
                await app.workers.wait_for_complete()
                wait_for(lambda: stored(db, judged) == 4, 60, "the grades to be written")
        finally:
            gate.open.set()
            monkeypatch.undo()
            get_settings.cache_clear()
