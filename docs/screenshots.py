"""Save a screenshot of each pane of the app on the demo database, for the README.

    .venv/bin/evaltui demo --no-tui --db evaltui-demo.duckdb     # if not built yet
    .venv/bin/python docs/screenshots.py [--db evaltui-demo.duckdb]

Drives the real app with Textual's Pilot at 120x40 and writes docs/<pane>.svg.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

DOCS = Path(__file__).resolve().parent


async def shoot(db: Path, base: str, candidate: str, topic: str) -> list[Path]:
    from evaltui.config import Settings
    from evaltui.tui.app import EvalApp

    # the review pane goes on with the demo's reviewer
    app = EvalApp(
        db,
        settings=Settings(theme="evaltui-dark", keymap={}, reviewer="demo-reviewer"),
        poll_seconds=0,
        resume_runs=False,
    )
    saved = []

    async def save(name: str, settle: float = 2.5) -> None:
        await pilot.pause(settle)
        path = DOCS / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"evaltui: {name}"), encoding="utf-8")
        saved.append(path)

    async with app.run_test(size=(120, 40)) as pilot:
        await save("1-topics", 4)
        app.open_logs(f'topic = "{topic}" and scores.brand_alignment <= 0.5')
        await save("2-logs")
        await pilot.press("enter")
        await save("3-trace")
        await pilot.press("3")
        await pilot.pause(2)
        await pilot.press("s")  # the seeded stratified suggestion
        await pilot.press("enter")
        await save("4-builder")
        await pilot.press("4")
        await save("5-experiments")
        app.open_diff(base, candidate)
        await save("6-diff", 4)
        await pilot.press("6")
        await save("7-calibration", 4)
        await pilot.press("8")  # the demo's review queue, on its 21st item
        await save("8-review", 3)
    return saved


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="evaltui-demo.duckdb")
    ap.add_argument("--base", default="account-baseline")
    ap.add_argument("--candidate", default="account-fix")
    args = ap.parse_args()
    db = Path(args.db)
    if not db.exists():
        raise SystemExit(f"no database at {db}: run `evaltui demo --no-tui --db {db}` first")
    from evaltui.store import Store
    from evaltui.topics.stats import topic_table

    with Store(db) as store:
        hurts = topic_table(store)["where_it_hurts"]
        worst = next((h["topic"] for h in hurts if h["scorer"] == "brand_alignment"), hurts[0]["topic"])
    for path in asyncio.run(shoot(db, args.base, args.candidate, worst)):
        print(path.relative_to(DOCS.parent))


if __name__ == "__main__":
    main()
