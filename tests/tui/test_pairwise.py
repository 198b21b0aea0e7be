"""Pairwise in the diff pane at 80x24: the judge's win / tie / loss in the header, a reviewer
marking the better side with `<` `>` `=`, the marks stored with the reviewer's name and the
judge-vs-people agreement moving as they mark; a snapshot of the pane."""

from __future__ import annotations

import asyncio
from pathlib import Path
import pytest

from tests.helpers import FIXTURES, query, until
from tests.tui.helpers import make_app, open_diff, two_experiments
from tests.tui.snapshot import check, screen_text


@pytest.fixture
def plain_db(tmp_path: Path) -> Path:
    """The diff test's two experiments (built outside the test's event loop)."""
    return asyncio.run(two_experiments(tmp_path))


@pytest.fixture
def judged_db(tmp_path: Path) -> Path:
    """The diff test's two experiments, judged pairwise by the loopback judge."""
    folder = tmp_path
    from evaltui.config import settings
    from evaltui.evals.pairwise_run import run_pairwise
    from evaltui.store import Store
    from evaltui.testing import FakeOpenAI, RuleJudge

    db = asyncio.run(two_experiments(folder))
    rubric = FIXTURES / "pairwise" / "says_sorry.yaml"  # states the rule the loopback judge reads
    with FakeOpenAI(responder=RuleJudge("first")) as server, Store(db) as store:
        rep = run_pairwise(
            store, "baseline", "candidate", str(rubric), settings=settings(openai_base_url=server.base_url)
        )
    assert rep.overall.n == 24 and rep.overall.errors == 0
    return db


async def test_a_reviewer_marks_the_better_side_and_agreement_with_the_judge_moves(
    judged_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evaltui.evals.pairwise import weighted_kappa
    from evaltui.tui.widgets.case_list import CaseList

    db = judged_db
    monkeypatch.setenv("EVALTUI_REVIEWER", "rita")
    monkeypatch.chdir(tmp_path)  # the header shows the path as given: the same on every machine
    app = make_app(Path(db.name))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_diff(app, pilot)
        await until(pilot, lambda: screen.pairwise is not None)
        judge = screen.pairwise_verdicts
        assert len(judge) == 24 and screen.pairwise.agreement.n == 0
        header = "\n".join(screen_text(app))
        assert "pairwise Says Sorry: win 17% [7-36%]" in header and "swap-inconsistent 50%" in header
        cases = screen.query_one(CaseList)
        keys = {"base": "<", "candidate": ">", "tie": "="}
        marked: list[tuple[str, str]] = []  # (mine, the judge's)
        # the worst regression, then (f f) the first improvement, then (f) the first unchanged case:
        # agree with the judge twice, then say the base was better where the judge saw a tie
        for presses, disagree in (((), False), (("f", "f"), False), (("f",), True)):
            for key in presses:
                await pilot.press(key)
            await until(pilot, lambda: screen.detail is not None and screen.detail[0] == cases.current.key)
            case = cases.current.key
            mine = "base" if disagree else judge[case]
            await pilot.press(keys[mine])
            assert f"you {keys[mine]}" in str(screen.query_one("#diff-status").render())
            marked.append((mine, judge[case]))
            await until(pilot, lambda: screen.pairwise.agreement.n == len(marked))
        assert [j for _, j in marked] == ["base", "candidate", "tie"]  # the judge's three verdicts
        a = screen.pairwise.agreement
        assert (a.n, a.agree, a.reviewers) == (3, 2, ["rita"])
        assert a.kappa == pytest.approx(weighted_kappa(marked)) and a.kappa is not None
        stored = query(db, "SELECT reviewer, verdict FROM pairwise_labels ORDER BY created")
        assert stored == [("rita", mine) for mine, _ in marked]
        # a second thought replaces the first: the latest mark counts
        await pilot.press("=")
        await until(pilot, lambda: screen.pairwise.agreement.agree == 3)
        assert screen.pairwise.agreement.n == 3 and screen.pairwise.agreement.kappa == pytest.approx(1.0)
        app.clear_notifications()
        await pilot.pause(0.2)
        check(app, "pairwise_diff_80x24")
        text = "\n".join(screen_text(app))
        assert "people: n 3, agree 100%, κ 1.00" in text


async def test_marks_before_any_judge_run_are_kept_and_say_how_to_run_one(
    plain_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evaltui.tui.widgets.case_list import CaseList

    db = plain_db
    monkeypatch.setenv("EVALTUI_REVIEWER", "sam")
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_diff(app, pilot)
        assert screen.pairwise is None  # nothing judged, nothing marked: the header is as before
        key = screen.query_one(CaseList).current.key
        await pilot.press("=")
        await until(pilot, lambda: screen.pairwise is not None)
        assert screen.pairwise.overall.n == 0 and screen.pairwise_marks == {key: "tie"}
        assert "no judge run" in "\n".join(screen_text(app))
    assert query(db, "SELECT case_key, reviewer, verdict FROM pairwise_labels") == [(key, "sam", "tie")]
