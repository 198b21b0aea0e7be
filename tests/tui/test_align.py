"""`a` in the calibration pane: align the highlighted LLM judge to its human labels (the
core of `evaltui align`, in a worker), through the loopback judge that reads its prompt
(``evaltui.testing.fake_judge.DemoJudge``) on real HTTP; `c` cancels; snapshots of the result."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import SAMPLE_LOGS, until
from tests.tui.snapshot import SIZES, check, screen_text

ACCOUNT = "account_and_login"


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample logs (their human labels of brand_alignment included), and offline-judge
    grades of the labelled spans: a scorer with labels that is not an LLM judge."""
    from evaltui.ingest import ingest_file
    from evaltui.store import Store
    from evaltui.store.calibration_pairs import labelled_examples
    from evaltui.store.scoring import ScoreWrite, write_scores

    db = tmp_path_factory.mktemp("align") / "sample.duckdb"
    with Store(db) as store:
        ingest_file(store, SAMPLE_LOGS / "support_bot.jsonl")
        examples = labelled_examples(store, "brand_alignment", ("human",))
        write_scores(
            store,
            [
                ScoreWrite(
                    target_id=e["id"],
                    root_id=e["root_id"],
                    scorer="brand_alignment_offline",
                    scorer_version="offline-v1",
                    score=1.0,
                    label="A",
                    metadata={"rubric": "brand_alignment"},
                )
                for e in examples
            ],
        )
    return db


class Gate:
    """The demo judge, answering only once ``open`` is set (so a test can cancel mid-run)."""

    def __init__(self) -> None:
        from evaltui.testing.fake_judge import DemoJudge

        self.judge, self.open, self.asked = DemoJudge(), threading.Event(), threading.Event()

    def __call__(self, request: dict[str, Any]) -> Any:
        self.asked.set()
        self.open.wait(60)
        return self.judge(request)


def make_app(folder: Path, sample_db: Path, monkeypatch: pytest.MonkeyPatch, server: Any):
    from evaltui.config import Settings
    from evaltui.tui.app import EvalApp

    shutil.copy(sample_db, folder / "sample.duckdb")
    monkeypatch.chdir(folder)  # relative paths: the saved rubric's path is the same in every picture
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    return EvalApp("sample.duckdb", settings=Settings(theme="evaltui-dark", keymap={}), poll_seconds=0)


async def open_row(app: Any, pilot: Any, scorer: str) -> Any:
    """Press 6, wait for the scorer versions, and move the cursor to ``scorer``'s row."""
    from evaltui.tui.screens.calibration import CalibrationScreen
    from evaltui.tui.widgets.calibration_table import CalibrationTable

    await pilot.press("6")
    await until(
        pilot,
        lambda: isinstance(app.screen, CalibrationScreen) and app.screen.query_one(CalibrationTable).row_count >= 2,
    )
    table = app.screen.query_one(CalibrationTable)
    await pilot.press(*["k"] * table.row_count)
    for _ in range(table.row_count):
        if table.current and table.current["scorer"] == scorer:
            break
        await pilot.press("j")
    assert table.current["scorer"] == scorer
    return app.screen


def footer_keys(app: Any) -> set[str]:
    return {b.binding.action for b in app.screen.active_bindings.values() if b.binding.show}


async def test_align_in_the_calibration_pane_shows_the_candidates_and_saves_the_best(
    tmp_path: Path, sample_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evaltui.testing import FakeOpenAI
    from evaltui.testing.fake_judge import DemoJudge
    from evaltui.tui.screens.align_result import AlignResultScreen, kappa_ci
    from evaltui.tui.screens.calibration import CalibrationScreen
    from evaltui.tui.widgets.calibration_table import CalibrationTable

    with FakeOpenAI(responder=DemoJudge()) as server:
        app = make_app(tmp_path, sample_db, monkeypatch, server)
        async with app.run_test(size=(120, 40)) as pilot:
            cal = await open_row(app, pilot, "brand_alignment_offline")
            assert "align" not in footer_keys(app)  # not an LLM judge: the key is hidden and does nothing
            await pilot.press("a")
            assert cal.aligning is None and not server.chat_requests
            cal = await open_row(app, pilot, "brand_alignment")
            assert "align" in footer_keys(app) and "cancel_align" not in footer_keys(app)
            versions = app.screen.query_one(CalibrationTable).row_count

            await pilot.press("a")
            assert cal.aligning == "brand_alignment" and "cancel_align" in footer_keys(app)
            await until(pilot, lambda: isinstance(app.screen, AlignResultScreen), timeout=120)
            report = app.screen.report
            # the table of topics is drawn after the screen is pushed: wait for it on screen
            await until(pilot, lambda: ACCOUNT in "\n".join(screen_text(app)))
            text = "\n".join(screen_text(app))
            current, best = (
                report["candidates"][0],
                next(r for r in report["candidates"] if r["name"] == report["best"]),
            )
            before, after = current["test"]["by_topic"][ACCOUNT], best["test"]["by_topic"][ACCOUNT]
            assert before["kappa"] < 0.6 and after["kappa"] >= 0.7  # the account topic's test part, as the CLI shows
            assert best["name"].startswith("few-shot-")
            saved = Path(report["saved"])
            assert saved.is_file() and saved.parent == Path("rubrics")  # beside the database, as the CLI saves
            assert report["best_version"].split("+")[0] in saved.name
            await pilot.press("escape")
            # the aligned version's grades are stored: it is a new scorer version in the table
            await until(
                pilot,
                lambda: (
                    isinstance(app.screen, CalibrationScreen)
                    and app.screen.query_one(CalibrationTable).row_count > versions
                    and any(r["version"] == report["best_version"] for r in app.screen.rows)
                ),
            )
            assert "test kappa" in str(app.screen.query_one("#calibration-status").content)
            assert not [w for w in app.workers if w.group == "calibration-align" and w.is_running]
    # the screen showed what the report says (kappa with CI and n)
    lo, hi = after["kappa_ci"]
    row = next(line for line in text.splitlines() if ACCOUNT in line)
    assert f"{after['kappa']:.2f} [{lo:.2f}, {hi:.2f}]" in row and f" {after['n']} " in row
    assert kappa_ci(current["test"]["overall"]) in text and kappa_ci(best["test"]["overall"]) in text


async def test_c_cancels_an_align_before_its_next_candidate_and_saves_nothing(
    tmp_path: Path, sample_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evaltui.testing import FakeOpenAI

    gate = Gate()
    with FakeOpenAI(responder=gate) as server:
        app = make_app(tmp_path, sample_db, monkeypatch, server)
        async with app.run_test(size=(80, 24)) as pilot:
            cal = await open_row(app, pilot, "brand_alignment")
            await pilot.press("a")
            await until(pilot, lambda: gate.asked.is_set() and "with current" in cal.align_status)
            assert "c: cancel" in str(cal.query_one("#calibration-status").content)  # the TUI answers while it runs
            await pilot.press("c")
            assert "cancelling" in cal.align_status
            gate.open.set()
            await app.workers.wait_for_complete()
            await until(pilot, lambda: cal.aligning is None)
            assert "cancelled: nothing saved" in cal.align_status
            assert "align" in footer_keys(app)
    assert not (tmp_path / "rubrics").exists()
    assert server.chat_requests  # the current version was scored; no candidate after it was
    assert not any("<example grade=" in str(r.body) for r in server.chat_requests)


async def test_without_an_endpoint_the_status_line_says_what_to_set(
    tmp_path: Path, sample_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evaltui.testing import FakeOpenAI

    with FakeOpenAI() as server:
        app = make_app(tmp_path, sample_db, monkeypatch, server)
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY"):
        monkeypatch.delenv(var)
    app.settings = type(app.settings)(theme="evaltui-dark", keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        cal = await open_row(app, pilot, "brand_alignment")
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await until(pilot, lambda: cal.aligning is None)
        assert "align of brand_alignment failed" in cal.align_status and "OPENAI_BASE_URL" in cal.align_status
        assert "\n" not in cal.align_status
    assert not (tmp_path / "rubrics").exists()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_align_result_snapshot(
    tmp_path: Path, sample_db: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    from evaltui.testing import FakeOpenAI
    from evaltui.testing.fake_judge import DemoJudge
    from evaltui.tui.screens.align_result import AlignResultScreen

    w, h = size
    with FakeOpenAI(responder=DemoJudge()) as server:
        app = make_app(tmp_path, sample_db, monkeypatch, server)
        async with app.run_test(size=size) as pilot:
            await open_row(app, pilot, "brand_alignment")
            await pilot.press("a")
            await until(pilot, lambda: isinstance(app.screen, AlignResultScreen), timeout=120)
            await app.workers.wait_for_complete()
            await until(pilot, lambda: "saved as" in "\n".join(screen_text(app)))  # the screen is drawn
            check(app, f"align_{w}x{h}")
