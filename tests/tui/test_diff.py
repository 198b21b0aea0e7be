"""The diff pane: header statistics, worst regression first, n/p stepping, filters,
side by side outputs, a result's trace; labelling in the diff moves kappa in the
calibration pane; snapshots of both panes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.helpers import make_app, open_diff, two_experiments
from tests.helpers import until
from tests.tui.snapshot import SIZES, check


@pytest.fixture
async def diff_db(tmp_path: Path) -> Path:
    return await two_experiments(tmp_path)


def test_case_rows_sort_worst_first_and_filter() -> None:
    from evaltui.evals.compare import compare
    from evaltui.evals.diffview import case_rows, filter_rows, word_diff

    def r(rid, s, bucket="failing"):
        return {
            "record_id": rid,
            "trial": 0,
            "bucket": bucket,
            "input": rid,
            "error": None,
            "scores": {"S": {"score": s}},
        }

    c = compare([r("a", 1.0), r("b", 0.5), r("c", 0.0, "passing")], [r("a", 0.0), r("b", 1.0), r("c", 0.0, "passing")])
    rows = case_rows(c)
    assert [x.key for x in rows] == ["a", "c", "b"]
    assert [x.key for x in filter_rows(rows, "regressions")] == ["a"]
    assert [x.key for x in filter_rows(rows, "unchanged")] == ["c"]
    assert [x.key for x in filter_rows(rows, "all", "passing")] == ["c"]
    left, right = word_diff("sorry about that", "sorry for that")
    assert [p for p, changed in left if changed] == ["about"] and [p for p, changed in right if changed] == ["for"]


async def test_open_a_diff_step_to_the_worst_regression_and_filter(diff_db: Path) -> None:
    from evaltui.tui.screens.result import ResultScreen
    from evaltui.tui.widgets.case_list import CaseList

    app = make_app(diff_db)
    async with app.run_test(size=(110, 34)) as pilot:
        screen = await open_diff(app, pilot)
        c = screen.data.comparison
        d = c.scores["Apologises"]
        # even cases apologised in the baseline, multiples of 3 in the candidate
        assert (d.regressions, d.improvements) == (8, 4)
        cases = screen.query_one(CaseList)
        assert cases.current.status == "regressed" and cases.current.worst == -1.0
        assert "Sorry" in str(screen.detail[1].outputs[0]) and "Sorry" not in str(screen.detail[2].outputs[0])
        await pilot.press("n", "n")
        await until(pilot, lambda: cases.cursor == 2 and screen.detail[0] == cases.current.key)
        await pilot.press("p")
        assert cases.cursor == 1
        await pilot.press("f")  # regressions only
        assert screen.filter == "regressions" and len(cases.rows) == 8
        await pilot.press("f")  # improvements
        assert len(cases.rows) == 4 and all(r.status == "improved" for r in cases.rows)
        await pilot.press("f")  # unchanged
        assert len(cases.rows) == 12
        await pilot.press("f", "f")  # flips, then all again
        assert screen.filter == "all" and len(cases.rows) == 24
        await pilot.press("v")  # a bucket
        assert screen.bucket == "failing" and {r.bucket for r in cases.rows} == {"failing"}
        await until(pilot, lambda: screen.detail is not None and screen.detail[0] == cases.current.key)
        await pilot.press("left", "enter")
        await until(pilot, lambda: isinstance(app.screen, ResultScreen) and getattr(app.screen, "trace", None))
        assert app.screen.trace.root.metadata["experiment"] == "baseline"
        await pilot.press("escape")


async def test_stepping_shows_each_case_from_details_fetched_a_window_at_a_time(diff_db: Path) -> None:
    from evaltui.store.connections import reading
    from evaltui.store.browse_experiments import case_detail, case_details
    from evaltui.tui.widgets.case_list import CaseList

    app = make_app(diff_db)
    async with app.run_test(size=(110, 34)) as pilot:
        screen = await open_diff(app, pilot)
        cases = screen.query_one(CaseList)
        keys = [r.key for r in cases.rows]
        with reading(diff_db) as store:  # the batch says what one-by-one says
            assert case_details(store, screen.data.base_id, keys) == {
                k: case_detail(store, screen.data.base_id, k) for k in keys
            }
        for i in range(1, 6):
            await pilot.press("n")
            await until(pilot, lambda: screen.detail is not None and screen.detail[0] == cases.current.key)
            assert cases.cursor == i
            assert screen.detail[2].input == cases.current.preview or cases.current.preview in str(
                screen.detail[2].input
            )


async def test_label_three_cases_in_the_diff_and_watch_kappa_change(diff_db: Path) -> None:
    from evaltui.tui.screens.calibration import CalibrationScreen
    from evaltui.tui.widgets.calibration_table import CalibrationTable

    app = make_app(diff_db)
    async with app.run_test(size=(110, 34)) as pilot:
        screen = await open_diff(app, pilot)
        # the focused case: the candidate said no sorry (N); a human says Y: disagree
        await pilot.press("Y")
        await until(pilot, lambda: screen.detail and screen.detail[2].labels.get("apologises") == "Y")
        await pilot.press("6")
        await until(
            pilot, lambda: isinstance(app.screen, CalibrationScreen) and app.screen.query_one(CalibrationTable).entries
        )
        first = app.screen.query_one(CalibrationTable).entries[0]
        assert first["n"] == 1 and first["accuracy"] == 0
        await pilot.press("5")
        await until(pilot, lambda: app.screen is screen)
        # the last cases improved: the candidate apologised (Y); humans agree twice
        await pilot.press("end")
        await until(pilot, lambda: screen.detail[0] == screen.query_one("CaseList").current.key)
        await pilot.press("Y")
        await until(pilot, lambda: screen.detail[2].labels.get("apologises") == "Y")
        await pilot.press("p")
        await until(pilot, lambda: screen.detail[0] == screen.query_one("CaseList").current.key)
        await pilot.press("N")
        await until(pilot, lambda: screen.detail[2].labels.get("apologises") == "N")
        await pilot.press("6")
        table = app.screen.query_one(CalibrationTable)
        await until(pilot, lambda: table.entries and table.entries[0]["n"] == 3)
        after = table.entries[0]
        assert after["kappa"] != first["kappa"] and after["confusion"]["Y"]["Y"] == 1
        assert after["confusion"]["Y"]["N"] == 1 and after["confusion"]["N"]["Y"] == 1


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_snapshots(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, size) -> None:
    folder = tmp_path_factory.mktemp("snap-diff")
    await two_experiments(folder)
    monkeypatch.chdir(folder)
    app = make_app(Path("tui.duckdb"))
    async with app.run_test(size=size) as pilot:
        await open_diff(app, pilot)
        await pilot.pause(0.2)
        check(app, f"diff_{size[0]}x{size[1]}")
        await pilot.press("Y")
        await until(pilot, lambda: app.screen.detail[2].labels)
        await pilot.press("4")
        await until(pilot, lambda: app.screen.query_one("ExperimentTable").entries)
        await pilot.pause(0.2)
        check(app, f"experiments_{size[0]}x{size[1]}")
        await pilot.press("6")
        await until(pilot, lambda: app.screen.query_one("CalibrationTable").entries)
        await pilot.pause(0.2)
        check(app, f"calibration_{size[0]}x{size[1]}")
