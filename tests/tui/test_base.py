"""Which experiment a run is compared with: its base is the latest finished run on the
same dataset and version, never itself; the diff pane's picker never pairs a run with itself."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import until
from tests.tui.helpers import apologises, two_experiments, variant
from tests.tui.helpers import make_app


async def test_a_new_runs_base_is_the_latest_run_on_the_same_dataset_and_version(tmp_path: Path) -> None:
    from evaltui.curation.dataset import create_from_logs, init_dataset
    from evaltui.evals.runner import EvalAsync
    from evaltui.store import Store
    from evaltui.store import experiments as exp_store

    db = await two_experiments(tmp_path)  # baseline, candidate on slice v1
    with Store(db) as store:
        create_from_logs(store, "other", "topic = login")
    await EvalAsync(
        "support-bot",
        data=init_dataset(name="other", db=db),
        task=variant(2),
        scores=[apologises],
        experiment_name="on-other",
        db=db,
        quiet=True,
    )
    await EvalAsync(
        "support-bot",
        data=init_dataset(name="slice", db=db, version=1),
        task=variant(5),
        scores=[apologises],
        experiment_name="third",
        db=db,
        quiet=True,
    )
    with Store(db, read_only=True) as store:
        base = {
            e: exp_store.find_experiment(store, e)["base_experiment_id"] for e in ("on-other", "third", "candidate")
        }
        ids = {e: exp_store.find_experiment(store, e)["id"] for e in ("baseline", "candidate")}
    assert base["on-other"] is None  # no run on that dataset before it: no base, not "the previous one"
    assert base["third"] == ids["candidate"]  # the latest on slice v1, not `on-other`
    assert base["candidate"] == ids["baseline"]


async def test_the_diff_picker_never_compares_a_run_with_itself(tmp_path: Path) -> None:
    from evaltui.tui.screens.diff import DiffScreen
    from evaltui.tui.screens.pick import PickExperimentsDialog

    db = await two_experiments(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await until(pilot, lambda: isinstance(app.screen, DiffScreen) and app.screen.data is not None)
        diff = app.screen
        await pilot.press("e")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, PickExperimentsDialog) and app.screen.query_one("#pick-list").option_count == 2
            ),
        )
        await pilot.press("enter", "enter")  # the highlighted base, then the highlighted candidate
        await until(pilot, lambda: app.screen is diff)
        await until(pilot, lambda: diff.data is not None and (diff.base, diff.candidate) == ("baseline", "candidate"))
