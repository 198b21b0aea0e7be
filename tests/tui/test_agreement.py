"""Agreement with uncertainty in the app: the calibration pane shows kappa with its 95% CI
per version and per topic, TPR/TNR and per-grade precision/recall, and `d` lists the
disagreements worst first; the diff header shows the judge's agreement and its
judge-corrected delta (Pilot, real DuckDB files)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.helpers import until
from tests.tui.snapshot import screen_text
from tests.tui.helpers import labelled_db, make_app, open_calibration


async def test_the_calibration_pane_shows_intervals_and_lists_disagreements_worst_first(tmp_path: Path) -> None:
    from textual.widgets import DataTable

    from evaltui.tui.screens.calibration import CalibrationScreen
    from evaltui.tui.screens.disagreements import DisagreementsScreen
    from evaltui.tui.widgets.agreement_table import AgreementTable
    from evaltui.tui.widgets.calibration_table import CalibrationTable

    app = make_app(labelled_db(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_calibration(app, pilot)
        version = screen.query_one(CalibrationTable).current
        lo, hi = version["kappa_ci"]
        assert str(screen.query_one(CalibrationTable).get_cell_at((0, 6))) == f"[{lo:+.2f},{hi:+.2f}]"
        worst_topic, worst = screen.query_one(AgreementTable).entries[0]
        assert str(screen.query_one(AgreementTable).get_cell_at((0, 4))) == (
            f"[{worst['kappa_ci'][0]:+.2f},{worst['kappa_ci'][1]:+.2f}]"
        )
        shown = "\n".join(screen_text(app))
        assert f"[{lo:+.2f}, {hi:+.2f}]" in shown and "TPR" in shown and "A P " in shown

        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, DisagreementsScreen))
        listed = app.screen.query_one(DataTable)
        expected = version["disagreements"]
        assert listed.row_count == len(expected) > 0
        # worst first: a two-grade miss (A against C) before any one-grade miss
        distances = [d["distance"] for d in expected]
        assert distances == sorted(distances, reverse=True)
        assert str(listed.get_cell_at((0, 0))) == expected[0]["judge"]
        assert str(listed.get_cell_at((0, 1))) == expected[0]["human"]
        await pilot.press("j")
        await until(pilot, lambda: any(expected[1]["target_id"] in line for line in screen_text(app)))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, CalibrationScreen))


async def test_the_diff_header_shows_the_judges_agreement_and_the_corrected_delta(demo_run, tmp_path: Path) -> None:
    from evaltui.tui.screens.diff import DiffScreen

    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_run[0], db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await until(pilot, lambda: isinstance(app.screen, DiffScreen) and app.screen.data is not None, timeout=30)
        screen = app.screen
        if screen.base != "account-baseline":
            screen.compare("account-baseline", "account-fix")
            await until(
                pilot, lambda: screen.data is not None and screen.data.comparison.base == "account-baseline", timeout=30
            )
        corrected = screen.data.comparison.corrected["Brand Alignment"]
        o, a = corrected["overall"], corrected["agreement"]
        lo, hi = a["kappa_ci"]
        agreement = f"vs people κ {a['kappa']:+.2f} [{lo:+.2f},{hi:+.2f}] on {a['n']} labels"  # 120 columns
        delta = f"corrected Δ {o.corrected_delta:+.2f} [{o.corrected_ci[0]:+.2f},{o.corrected_ci[1]:+.2f}]"
        # the header is drawn after the data arrives: on a busy machine a refresh later
        await until(pilot, lambda: agreement in " ".join(screen_text(app)), timeout=30)
        header = " ".join(screen_text(app))
        assert agreement in header
        assert delta in header
