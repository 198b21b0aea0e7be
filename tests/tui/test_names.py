"""Names that share a long prefix (the demo's production judge against its offline judge,
topics such as password_delete_account / password_reset_link, long experiment names)
stay distinct in every pane at 80x24 and 120x40, and the focused row shows them whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import until
from tests.tui.helpers import open_diff, twins_app
from tests.tui.snapshot import SIZES, check, screen_text
from tests.twins import BASE, CANDIDATE, SCORERS, TOPICS


def header_cells(table: Any) -> list[str]:
    return [str(c.label).rstrip(" ▼▲") for c in table.columns.values()]  # as they show: no trailing space


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_log_browser_tells_twin_scorers_and_topics_apart(
    twins_dir: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    from evaltui.tui.screens.logs import LogsScreen
    from evaltui.tui.widgets.span_table import SpanTable

    app = twins_app(twins_dir, monkeypatch)
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
    twins_dir: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    from evaltui.tui.screens.builder import BuilderScreen
    from evaltui.tui.widgets.candidate_table import CandidateTable

    app = twins_app(twins_dir, monkeypatch)
    async with app.run_test(size=size) as pilot:
        await pilot.press("3")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, BuilderScreen)
                and app.screen.candidates is not None
                and app.screen.query_one(CandidateTable).row_count == 24
            ),
        )
        table = app.screen.query_one(CandidateTable)
        heads = [str(c.label).strip() for c in table.columns.values()][-3:]
        assert len(set(heads)) == 3, heads
        assert table.columns["input"].width >= 20
        topics = {str(table.get_cell(r, "topic")).strip() for r in table.rows}
        assert len(topics) == 3, topics
        await pilot.press("f")
        preview = app.screen.query_one("#record-preview")
        await until(
            pilot,
            lambda: (
                all(k in str(preview.render()) for k in SCORERS) or all(k in "".join(screen_text(app)) for k in SCORERS)
            ),
        )
        lines = screen_text(app)
        assert "w Save" in lines[-1], lines[-1]
        await pilot.pause(0.1)
        check(app, f"names_builder_{size[0]}x{size[1]}")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_experiments_pane_shows_score_columns_and_distinct_names(
    twins_dir: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    from evaltui.tui.widgets.experiment_table import ExperimentTable

    app = twins_app(twins_dir, monkeypatch)
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


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_diff_tells_twin_scores_apart_in_the_header_buckets_and_case_rows(
    twins_dir: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    app = twins_app(twins_dir, monkeypatch)
    async with app.run_test(size=size) as pilot:
        screen = await open_diff(app, pilot)
        await pilot.pause(0.1)
        lines = screen_text(app)
        text = "\n".join(lines)
        case_head = next(line for line in lines if line.lstrip().startswith("bucket"))
        cases = screen.query_one("CaseList")
        deltas = cases._score_columns(cases.scrollable_content_region.width)[1]
        assert len(deltas) == 2 and len(set(deltas)) == 2 and all(d in case_head for d in deltas), case_head
        header = lines[: lines.index(next(line for line in lines if line.lstrip().startswith("bucket")))]
        score_rows = [
            line.strip().split("  ")[0]
            for line in header
            if "[" in line
            and "]" in line
            and not line.strip().startswith(("failing", "borderline", "passing"))
            and "κ" not in line
            and "corrected Δ" not in line
        ]  # the judge's agreement lines
        assert len(score_rows) == 2 and len(set(score_rows)) == 2, header
        if size[0] >= 120:
            assert {"Brand Alignment", "Brand Alignment Offline"} <= set(score_rows)
            assert any(line.strip().startswith("failing") and "[" in line for line in header)  # per-bucket rows
        assert "Brand Alignment Offline" in text  # the focused case: its scores by full name
        assert "input user: reset link broken" in text and "expected" in text  # the case beside its outputs
        check(app, f"names_diff_{size[0]}x{size[1]}")


async def test_the_diff_sorts_by_one_scores_delta(twins_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from evaltui.tui.widgets.case_list import CaseList

    app = twins_app(twins_dir, monkeypatch)
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


async def test_tab_in_the_diff_reaches_the_scores_and_rationales(
    twins_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evaltui.tui.widgets.side_by_side import SideBySide

    app = twins_app(twins_dir, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_diff(app, pilot)
        assert "tab: scores, rationales" in str(screen.query_one("#diff-status").content)
        await pilot.press("tab")
        await until(pilot, lambda: screen.query_one(SideBySide).has_focus)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_calibration_pane_tells_the_twin_judges_apart(
    twins_dir: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    from evaltui.tui.widgets.agreement_table import AgreementTable
    from evaltui.tui.widgets.calibration_table import CalibrationTable

    app = twins_app(twins_dir, monkeypatch)
    async with app.run_test(size=size) as pilot:
        await pilot.press("6")
        await until(
            pilot,
            lambda: (
                len(app.screen.query_one(CalibrationTable).entries) == 2
                and app.screen.query_one(AgreementTable).row_count == 3
            ),
        )
        table = app.screen.query_one(CalibrationTable)
        scorers = {str(table.get_cell_at((i, 1))).strip() for i in range(2)}
        assert len(scorers) == 2 and "brand_alignment" in scorers, scorers
        topics = {str(c).strip() for c in app.screen.query_one(AgreementTable).get_column("name")}
        assert len(topics) == 3, topics
        await pilot.pause(0.1)
        check(app, f"names_calibration_{size[0]}x{size[1]}")
