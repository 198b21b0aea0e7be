"""Names that share a long prefix (the demo's production judge against its offline judge,
topics such as password_delete_account / password_reset_link, long experiment names)
stay distinct in every pane at 80x24 and 120x40, and the focused row shows them whole."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import span, until, write_jsonl
from tests.test_tui_snapshots import SIZES, check, screen_text

TOPICS = ["password_delete_account", "password_reset_link", "promo_code_invalid"]
SCORERS = ["brand_alignment", "brand_alignment_offline", "conversation_quality"]
BASE, CANDIDATE = "account-baseline-production-prompt", "account-fix-with-account-policies"


def twin_rows(n: int = 24) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        cid, ts = f"c{i}", f"2026-11-{1 + i % 9:02d}T10:{i % 60:02d}:00Z"
        text = f"please delete my account #{i}" if i % 3 == 0 else f"reset link broken #{i}" if i % 3 == 1 else f"code invalid #{i}"
        ba, off = [0.0, 0.5, 1.0][i % 3], [1.0, 0.5, 0.0][i % 3]
        rows += [
            span(cid, name="conversation", ts=ts, input=[{"role": "user", "content": text}], output="ok",
                 metadata={"topic": TOPICS[i % 3], "total_turns": 1},
                 scores=[{"name": "Conversation Quality", "score": float(i % 2), "label": "Y" if i % 2 else "N"}]),
            span(f"{cid}-t1", cid, cid, name="turn", ts=ts, input=text, output="ok", metadata={"turn_index": 1},
                 scores=[{"name": "Brand Alignment", "score": ba}, {"name": "Brand Alignment Offline", "score": off}]),
        ]
    return rows


def ba_prod(output):
    return 1.0 if "sorry" in output.lower() else 0.0


def ba_offline(output):
    return 1.0 if "#" in output else 0.5


async def build_twins(folder: Path) -> Path:
    from evaltui import Score
    from evaltui.curation.dataset import create_from_logs, init_dataset
    from evaltui.evals.runner import EvalAsync
    from evaltui.ingest import ingest_file
    from evaltui.store import Store

    db = folder / "tui.duckdb"
    with Store(db) as store:
        ingest_file(store, write_jsonl(folder / "spans.jsonl", twin_rows()))
        create_from_logs(store, "account-issues", None)
        from evaltui.scoring.human_labels import add_label

        for i in range(12):  # people grade a dozen turns: both judges have something to agree with
            add_label(store, f"c{i}-t1", "brand_alignment", ["A", "B", "C"][i % 3] if i % 4 else "A")
            add_label(store, f"c{i}-t1", "brand_alignment_offline", [1.0, 0.5, 0.0][(i + 1) % 3])

    def prod(output):
        return Score(name="Brand Alignment", score=ba_prod(output))

    def offline(output):
        return Score(name="Brand Alignment Offline", score=ba_offline(output))

    def task_for(every: int):
        def task(input):
            n = int(str(input[-1]["content"]).split("#")[-1])
            return f"Sorry, case #{n}." if n % every == 0 else f"Here is what to do for case {n}."
        return task

    data = init_dataset(name="account-issues", db=db, version=1)
    for name, every in ((BASE, 2), (CANDIDATE, 3)):
        await EvalAsync("support-bot", data=data, task=task_for(every), scores=[prod, offline],
                        experiment_name=name, db=db, quiet=True)
    return db


@pytest.fixture(scope="module")
def twins_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("twins")
    asyncio.run(build_twins(folder))
    return folder


def make_app(folder: Path, monkeypatch: pytest.MonkeyPatch):
    from tests.test_tui_experiments import make_app as make

    monkeypatch.chdir(folder)  # the header shows the path as given: the same in every picture
    return make(Path("tui.duckdb"))


def header_cells(table: Any) -> list[str]:
    return [str(c.label).rstrip(" ▼▲") for c in table.columns.values()]  # as they show: no trailing space


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_log_browser_tells_twin_scorers_and_topics_apart(twins_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   size: tuple[int, int]) -> None:
    from evaltui.tui.screens.logs import LogsScreen
    from evaltui.tui.widgets.span_table import SpanTable

    app = make_app(twins_dir, monkeypatch)
    async with app.run_test(size=size) as pilot:
        await pilot.press("2")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen) and app.screen.total == 24)
        table = app.screen.query_one(SpanTable)
        heads = header_cells(table)[3:]
        assert len(heads) == 3 and len(set(heads)) == 3, heads
        topics = {str(table.get_cell_at((i, 1))).strip() for i in range(table.row_count)}
        assert len(topics) == 3, topics
        if size[0] >= 120:  # room enough for names a reader recognises
            assert topics == set(TOPICS) and "brand_alignment" in heads
            assert all(len(h) >= 12 for h in heads), heads
        focus = str(app.screen.query_one("#logs-focus").content)
        assert all(k in focus for k in SCORERS) and table.current.topic in focus
        await pilot.press("j")
        await until(pilot, lambda: table.current.topic in str(app.screen.query_one("#logs-focus").content))
        await pilot.pause(0.1)
        check(app, f"names_logs_{size[0]}x{size[1]}")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_builder_tells_twins_apart_shows_save_and_gives_the_input_room(
        twins_dir: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]) -> None:
    from evaltui.tui.screens.builder import BuilderScreen
    from evaltui.tui.widgets.candidate_table import CandidateTable

    app = make_app(twins_dir, monkeypatch)
    async with app.run_test(size=size) as pilot:
        await pilot.press("3")
        await until(pilot, lambda: isinstance(app.screen, BuilderScreen) and app.screen.candidates is not None
                    and app.screen.query_one(CandidateTable).row_count == 24)
        table = app.screen.query_one(CandidateTable)
        heads = [str(c.label).strip() for c in table.columns.values()][-3:]
        assert len(set(heads)) == 3, heads
        assert table.columns["input"].width >= 20
        topics = {str(table.get_cell(r, "topic")).strip() for r in table.rows}
        assert len(topics) == 3, topics
        await pilot.press("f")
        preview = app.screen.query_one("#record-preview")
        await until(pilot, lambda: all(k in str(preview.render()) for k in SCORERS) or
                    all(k in "".join(screen_text(app)) for k in SCORERS))
        lines = screen_text(app)
        assert "w Save" in lines[-1], lines[-1]
        await pilot.pause(0.1)
        check(app, f"names_builder_{size[0]}x{size[1]}")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_experiments_pane_shows_score_columns_and_distinct_names(
        twins_dir: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]) -> None:
    from evaltui.tui.widgets.experiment_table import ExperimentTable

    app = make_app(twins_dir, monkeypatch)
    async with app.run_test(size=size) as pilot:
        await pilot.press("4")
        await until(pilot, lambda: len(app.screen.query_one(ExperimentTable).entries) == 2)
        table = app.screen.query_one(ExperimentTable)
        lines = screen_text(app)
        header = next(line for line in lines if "experiment" in line and "status" in line)
        scores = [str(c.label).strip() for k, c in table.columns.items() if str(k.value).startswith("score.")]
        assert len(scores) == 2 and len(set(scores)) == 2 and all(s in header for s in scores), header
        names = {str(table.get_cell(r, "experiment")).strip() for r in table.rows}
        assert len(names) == 2 and all(n in "\n".join(lines) for n in names)
        if size[0] >= 120:
            assert names == {BASE, CANDIDATE}
        focus = str(app.screen.query_one("#experiment-focus").content)
        assert table.current["name"] in focus and "Brand Alignment Offline" in focus
        await pilot.pause(0.1)
        check(app, f"names_experiments_{size[0]}x{size[1]}")


async def open_diff(app: Any, pilot: Any) -> Any:
    from evaltui.tui.screens.diff import DiffScreen

    await pilot.press("5")
    await until(pilot, lambda: isinstance(app.screen, DiffScreen) and app.screen.data is not None
                and app.screen.detail is not None)
    return app.screen


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_diff_tells_twin_scores_apart_in_the_header_buckets_and_case_rows(
        twins_dir: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]) -> None:
    app = make_app(twins_dir, monkeypatch)
    async with app.run_test(size=size) as pilot:
        screen = await open_diff(app, pilot)
        await pilot.pause(0.1)
        lines = screen_text(app)
        text = "\n".join(lines)
        case_head = next(line for line in lines if line.lstrip().startswith("bucket"))
        cases = screen.query_one("CaseList")
        deltas = cases._score_columns(cases.scrollable_content_region.width)[1]
        assert len(deltas) == 2 and len(set(deltas)) == 2 and all(d in case_head for d in deltas), case_head
        header = lines[:lines.index(next(line for line in lines if line.lstrip().startswith("bucket")))]
        score_rows = [line.strip().split("  ")[0] for line in header if "[" in line and "]" in line
                      and not line.strip().startswith(("failing", "borderline", "passing"))
                      and "κ" not in line and "corrected Δ" not in line]  # the judge's agreement lines
        assert len(score_rows) == 2 and len(set(score_rows)) == 2, header
        if size[0] >= 120:
            assert {"Brand Alignment", "Brand Alignment Offline"} <= set(score_rows)
            assert any(line.strip().startswith("failing") and "[" in line for line in header)  # per-bucket rows
        assert "Brand Alignment Offline" in text  # the focused case: its scores by full name
        assert "input user: reset link broken" in text and "expected" in text  # the case beside its outputs
        check(app, f"names_diff_{size[0]}x{size[1]}")


async def test_the_diff_sorts_by_one_scores_delta(twins_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from evaltui.tui.widgets.case_list import CaseList

    app = make_app(twins_dir, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_diff(app, pilot)
        cases = screen.query_one(CaseList)
        for name in ("Brand Alignment", "Brand Alignment Offline"):
            await pilot.press("s")
            await until(pilot, lambda: screen.sort_score == name and cases.sort_score == name)
            deltas = [r.deltas.get(name) for r in cases.rows]
            assert deltas == sorted(deltas) and len(deltas) == 24
            assert f"by Δ {name}" in str(screen.query_one("#diff-status").content)
        await pilot.press("s")  # back to the worst delta over both scores
        await until(pilot, lambda: screen.sort_score is None)
        worst = [r.worst for r in cases.rows]
        assert worst == sorted(worst)


async def test_tab_in_the_diff_reaches_the_scores_and_rationales(twins_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from evaltui.tui.widgets.side_by_side import SideBySide

    app = make_app(twins_dir, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_diff(app, pilot)
        assert "tab: scores, rationales" in str(screen.query_one("#diff-status").content)
        await pilot.press("tab")
        await until(pilot, lambda: screen.query_one(SideBySide).has_focus)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_calibration_pane_tells_the_twin_judges_apart(twins_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                                size: tuple[int, int]) -> None:
    from evaltui.tui.widgets.agreement_table import AgreementTable
    from evaltui.tui.widgets.calibration_table import CalibrationTable

    app = make_app(twins_dir, monkeypatch)
    async with app.run_test(size=size) as pilot:
        await pilot.press("6")
        await until(pilot, lambda: len(app.screen.query_one(CalibrationTable).entries) == 2
                    and app.screen.query_one(AgreementTable).row_count == 3)
        table = app.screen.query_one(CalibrationTable)
        scorers = {str(table.get_cell_at((i, 1))).strip() for i in range(2)}
        assert len(scorers) == 2 and "brand_alignment" in scorers, scorers
        topics = {str(c).strip() for c in app.screen.query_one(AgreementTable).get_column("name")}
        assert len(topics) == 3, topics
        await pilot.pause(0.1)
        check(app, f"names_calibration_{size[0]}x{size[1]}")
