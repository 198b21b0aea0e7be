"""`evaltui views list|show|save|delete` as a user runs it (a real process on a real
database), sharing its views with the app's log browser."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.helpers import EVALTUI
from tests.tui.helpers import make_app
from tests.tui.helpers import logs, views_db
from tests.helpers import until


def run(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*EVALTUI, "views", *args, "--db", str(db)], capture_output=True, text=True, timeout=120)


def test_save_list_show_and_delete_a_view(tmp_path: Path) -> None:
    db = views_db(tmp_path)
    out = run(db, "list")
    assert out.returncode == 0 and out.stdout.startswith("no saved views")

    out = run(
        db,
        "save",
        "slow gpt-y",
        "--where",
        'metadata.model = "gpt-y"',
        "--column",
        "metrics.latency_s",
        "--column",
        "metadata.prompt_version",
        "--sort",
        "metrics.latency_s",
        "--descending",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        'saved view slow gpt-y: metadata.model = "gpt-y" · by metrics.latency_s descending'
        " · columns metrics.latency_s, metadata.prompt_version"
    )
    out = run(db, "save", "worst", "--sort", "scores.brand_alignment")  # scores sort worst first by default
    assert out.returncode == 0, out.stderr

    out = run(db, "list", "--json")
    assert [json.loads(line) for line in out.stdout.splitlines()] == [
        {
            "name": "slow gpt-y",
            "where": 'metadata.model = "gpt-y"',
            "columns": ["metrics.latency_s", "metadata.prompt_version"],
            "sort": "metrics.latency_s",
            "descending": True,
        },
        {"name": "worst", "where": "", "columns": [], "sort": "scores.brand_alignment", "descending": False},
    ]
    table = run(db, "list").stdout.splitlines()
    assert table[0].split() == ["view", "sort", "columns", "filter"] and len(table) == 3

    shown = json.loads(run(db, "show", "slow gpt-y", "--json").stdout)
    assert shown["matching"] == 4  # conversations 1, 4, 7, 10 run on gpt-y
    assert "matches  4 conversations" in run(db, "show", "slow gpt-y").stdout

    out = run(db, "save", "worst", "--where", "topic = login")  # the same name replaces it
    assert out.returncode == 0 and out.stdout.startswith("replaced view worst: topic = login · by ts descending")

    out = run(db, "delete", "worst")
    assert out.returncode == 0 and out.stdout.strip() == "deleted view worst"
    assert [json.loads(line)["name"] for line in run(db, "list", "--json").stdout.splitlines()] == ["slow gpt-y"]


def test_bad_views_are_one_line_errors_and_save_nothing(tmp_path: Path) -> None:
    db = views_db(tmp_path)
    cases = [
        (
            ("save", "typo", "--where", "scores.brand_alignmnt < 0.5"),
            "no scorer named brand_alignmnt; did you mean brand_alignment?",
        ),
        (("save", "bad", "--where", "scores.brand_alignment < high"), "bad filter at column"),
        (("save", "bad", "--sort", "nope"), "cannot sort by 'nope'"),
        (("save", "bad", "--column", "input"), "cannot show column 'input'"),
        (("save", " "), "a saved view needs a name"),
        (("show", "nope"), "no saved view named 'nope' (saved views: none yet)"),
        (("delete", "nope"), "no saved view named 'nope'"),
    ]
    for args, message in cases:
        out = run(db, *args)
        assert out.returncode == 2, (args, out.stderr)
        assert out.stderr.startswith("error: ") and message in out.stderr, (args, out.stderr)
        assert "Traceback" not in out.stderr
    assert run(db, "list", "--json").stdout == ""


async def test_a_view_saved_on_the_command_line_opens_in_the_app(tmp_path: Path) -> None:
    from evaltui.tui.screens.views_dialog import ViewsDialog

    db = views_db(tmp_path)
    out = run(
        db,
        "save",
        "billing by cost",
        "--where",
        "topic = billing",
        "--column",
        "metrics.cost",
        "--sort",
        "metrics.cost",
    )
    assert out.returncode == 0, out.stderr
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await logs(app, pilot)
        await pilot.press("V")
        await until(pilot, lambda: isinstance(app.screen, ViewsDialog))
        await pilot.press("enter")
        await until(
            pilot,
            lambda: (
                screen.view.where == "topic = billing"
                and screen.total == 6
                and screen.view.sort == "metrics.cost"
                and not screen.view.descending
            ),
        )
        costs = [r.metrics["cost"] for r in screen.page.rows]
        assert costs == sorted(costs)
