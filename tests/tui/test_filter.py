"""The filter bar: Tab cycles through the completions and never leaves the bar; topic
names complete without a quote typed first; a typo in a scorer or topic name says
what was meant instead of matching nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import until
from tests.tui.helpers import twins_app
from tests.twins import TOPICS

WORDS = ["scores.brand_alignment", "scores.brand_alignment_offline", "scores.conversation_quality", "topic", "ts"]


def test_candidates_for_a_scorer_stem_offer_both_twins() -> None:
    from evaltui.tui.completion import candidates

    found = candidates("scores.brand_al", WORDS, TOPICS)
    assert found.candidates == ["scores.brand_alignment", "scores.brand_alignment_offline"]
    assert found.start == 0


def test_topic_names_complete_without_a_quote_and_come_back_quoted() -> None:
    from evaltui.tui.completion import candidates

    assert candidates("topic = pass", WORDS, TOPICS).candidates == [
        '"password_delete_account"',
        '"password_reset_link"',
    ]
    assert candidates('topic = "promo', WORDS, TOPICS).candidates == ['"promo_code_invalid"']
    assert candidates("topic in (reset", WORDS, TOPICS).candidates == ['"password_reset_link"']
    assert candidates("topic = ", WORDS, TOPICS).candidates == [f'"{t}"' for t in TOPICS]
    assert candidates("zzz", WORDS, TOPICS).candidates == []
    assert candidates("ts > 3 ", WORDS, TOPICS).candidates == []  # after a value: nothing
    assert candidates("ts > 3 and ", WORDS, TOPICS).candidates == WORDS  # a field goes here


async def focus_filter(app: Any, pilot: Any) -> Any:
    from evaltui.tui.screens.logs import LogsScreen
    from evaltui.tui.widgets.filter_bar import FilterBar

    await pilot.press("2")
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, LogsScreen)
            and app.screen.total == 24
            and app.screen.query_one(FilterBar).suggester.words
        ),
    )
    await pilot.press("slash")
    bar = app.screen.query_one(FilterBar)
    await until(pilot, lambda: bar.input.has_focus)
    return bar


async def test_tab_cycles_through_both_twins_and_stays_in_the_bar(
    twins_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = twins_app(twins_dir, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        bar = await focus_filter(app, pilot)
        await pilot.press(*"scores.brand_al", "tab")
        assert bar.input.value == "scores.brand_alignment" and bar.input.has_focus
        assert "brand_alignment_offline" in str(bar.query_one("#filter-hint").content)
        await pilot.press("tab")
        assert bar.input.value == "scores.brand_alignment_offline" and bar.input.has_focus
        await pilot.press("tab")
        assert bar.input.value == "scores.brand_alignment"
        await pilot.press("shift+tab")
        assert bar.input.value == "scores.brand_alignment_offline"
        await pilot.press(*" < 0.5 ", "tab")  # nothing to complete: still in the bar, nothing lost
        assert bar.input.has_focus and bar.input.value == "scores.brand_alignment_offline < 0.5 "
        await pilot.press("tab", "5")  # a key after tabs is typed, never a pane switch
        assert bar.input.value == "scores.brand_alignment_offline < 0.5 5" and bar.input.has_focus


async def test_a_topic_completes_after_topic_equals_without_a_quote(
    twins_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = twins_app(twins_dir, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        bar = await focus_filter(app, pilot)
        await pilot.press(*"topic = pass", "tab")
        first = bar.input.value
        assert first in ('topic = "password_delete_account"', 'topic = "password_reset_link"')
        await pilot.press("tab", "enter")
        second = bar.input.value
        assert {first, second} == {'topic = "password_delete_account"', 'topic = "password_reset_link"'}
        await until(pilot, lambda: app.screen.view.where == second and app.screen.total == 8)


async def test_a_misspelt_scorer_in_the_filter_bar_says_what_was_meant(
    twins_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = twins_app(twins_dir, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        bar = await focus_filter(app, pilot)
        await pilot.press(*"scores.brand_alignmnt < 0.5", "enter")
        # not the error of a half-typed filter the bar may show on a busy machine
        await until(pilot, lambda: bar.error is not None and "no scorer" in bar.error)
        assert bar.error == "no scorer named brand_alignmnt; did you mean brand_alignment?"
        assert app.screen.total == 24  # the last good rows stay
        await until(pilot, lambda: bar.input.has_focus)  # back in the bar to fix it
        await pilot.press("end", "ctrl+u", *"topic = passwrd_delete_account", "enter")
        await until(pilot, lambda: bar.error is not None and "topic" in bar.error)
        assert bar.error == "no topic named passwrd_delete_account; did you mean password_delete_account?"
