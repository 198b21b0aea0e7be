"""Run by .ci/wheel-check with the wheel's venv, from a folder outside the checkout: the
installed package (not the repository) opens the app headless on the demo's database,
with its shipped stylesheet, themes and rubrics, shows the topic map and quits.

    python - DB REPO < .ci/wheel_smoke.py
"""

import asyncio
import sys
from pathlib import Path

import evaltui

db, repo = Path(sys.argv[1]), Path(sys.argv[2]).resolve()
where = Path(evaltui.__file__).resolve()
assert Path(sys.prefix).resolve() in where.parents and where.parent != repo / "evaltui", (
    f"evaltui was imported from {where}, not from the venv the wheel went into"
)

from evaltui.scoring.rubric import load_rubric  # noqa: E402
from evaltui.tui.app import EvalApp  # noqa: E402
from evaltui.tui.widgets.topic_table import TopicTable  # noqa: E402

assert load_rubric("brand_alignment").choices == {"A": 1.0, "B": 0.5, "C": 0.0}


async def main() -> None:
    app = EvalApp(db)
    async with app.run_test(size=(100, 30)) as pilot:
        waited = 0.0
        while not (app.screen.query(TopicTable) and app.screen.query_one(TopicTable).row_count > 0):
            assert waited < 60, "the topic map never showed rows"
            await pilot.pause(0.1)
            waited += 0.1
        rows = app.screen.query_one(TopicTable).row_count
        assert app.theme == "evaltui-dark", app.theme
        assert {"evaltui-dark", "evaltui-light", "evaltui-high-contrast"} <= set(app.evaltui_themes)
        assert not app.theme_problems, app.theme_problems
        await pilot.press("q")
    assert app.return_code in (0, None), app.return_code
    print(f"wheel smoke: app started from {where.parent}, topic map shows {rows} rows, theme {app.theme}")


asyncio.run(main())
