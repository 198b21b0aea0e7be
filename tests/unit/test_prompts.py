"""Prompts as versioned things: `evaltui prompts add|list|show|diff`, `load_prompt(...).build()`
recording its version on the eval case, the experiment knowing which prompt version it
ran, and `diff` (CLI and pane) showing the prompt diff next to the score diff."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.helpers import EVALTUI, ROOT
from tests.helpers import until


def cli(db: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EVALTUI, *args, "--db", str(db)], capture_output=True, text=True, cwd=ROOT, timeout=300, env=env
    )


V1 = (
    "model: gpt-4o-mini\ntemperature: 0\nmessages:\n  - role: system\n    content: You are Juno. Be brief.\n"
    "  - role: user\n    content: 'Customer {{customer.name}} asks: {{input}}'\n"
)
V2 = (
    V1.replace("Be brief.", "Be brief.\\nAlways give the reset link first.")
    .replace("content: You", 'content: "You')
    .replace("first.\n", 'first."\n')
)


def test_add_versions_by_content_hash_list_show_and_diff(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    f = tmp_path / "juno.yaml"
    f.write_text(V1)
    first = cli(db, "prompts", "add", "juno", str(f))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("prompt juno: version 1 (")
    again = cli(db, "prompts", "add", "juno", str(f))
    assert "unchanged, the content of version 1" in again.stdout  # the same hash is the same version
    f.write_text(V2)
    assert "version 2" in cli(db, "prompts", "add", "juno", str(f)).stdout
    text = tmp_path / "plain.txt"
    text.write_text("Summarise {{input}}\n")
    assert cli(db, "prompts", "add", "summary", str(text), "--role", "user").returncode == 0

    listed = [json.loads(line) for line in cli(db, "prompts", "list", "--json").stdout.splitlines()]
    assert [(p["name"], [v["version"] for v in p["versions"]]) for p in listed] == [("juno", [1, 2]), ("summary", [1])]
    shown = json.loads(cli(db, "prompts", "show", "juno", "--version", "1", "--json").stdout)
    assert shown["model"] == "gpt-4o-mini" and shown["params"] == {"temperature": 0}
    assert shown["messages"][0] == {"role": "system", "content": "You are Juno. Be brief."}
    by_hash = json.loads(
        cli(db, "prompts", "show", "juno", "--version", listed[0]["versions"][1]["hash"][:6], "--json").stdout
    )
    assert by_hash["version"] == 2

    diff = json.loads(cli(db, "prompts", "diff", "juno", "--json").stdout)  # previous -> latest
    assert (diff["base"]["version"], diff["candidate"]["version"], diff["added"], diff["removed"]) == (1, 2, 1, 0)
    assert "+Always give the reset link first." in diff["diff"]
    printed = cli(db, "prompts", "diff", "juno", "1", "2").stdout
    assert "prompt juno: v1" in printed and "+Always give the reset link first." in printed

    missing = cli(db, "prompts", "show", "jnuo")
    assert missing.returncode == 2 and missing.stderr.strip().startswith(
        "error: no prompt named 'jnuo' (known: juno, summary)"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("messages: [{role: wizard, content: hi}]\n")
    refused = cli(db, "prompts", "add", "juno", str(bad))
    assert (
        refused.returncode == 2
        and len(refused.stderr.strip().splitlines()) == 1
        and "message 1 needs a role" in refused.stderr
    )
    no_version = cli(db, "prompts", "show", "juno", "--version", "7")
    assert no_version.returncode == 2 and "has no version '7'" in no_version.stderr


EVAL_FILE = """
from evaltui import Eval, load_prompt

prompt = load_prompt("juno", version=VERSION)

def task(input):
    built = prompt.build(input=input, customer={"name": "Ada"})
    return built["messages"][-1]["content"] + " / " + built["messages"][0]["content"]

def brief(output):
    return 1.0 if "reset link" in output else 0.0

Eval("support", data=[{"id": f"c{i}", "input": f"locked out {i}"} for i in range(4)], task=task, scores=[brief],
     experiment_name="EXPERIMENT")
"""


def test_an_eval_records_the_prompt_version_it_built_and_diff_shows_the_prompt_diff(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    for i, content in enumerate((V1, V2), 1):
        f = tmp_path / f"v{i}.yaml"
        f.write_text(content)
        assert cli(db, "prompts", "add", "juno", str(f)).returncode == 0
    for name, version in (("before", 1), ("after", 2)):
        path = tmp_path / f"eval_{name}.py"
        path.write_text(EVAL_FILE.replace("VERSION", str(version)).replace("EXPERIMENT", name))
        ran = cli(db, "eval", str(path))
        assert ran.returncode == 0, ran.stderr

    shown = json.loads(cli(db, "experiments", "show", "after", "--json").stdout)
    assert [(p["name"], p["version"]) for p in shown["prompts"]] == [("juno", 2)]
    assert shown["cases"][0]["output"].startswith("Customer Ada asks: locked out")  # the variables filled in
    assert "prompts juno v2 (" in cli(db, "experiments", "show", "after").stdout

    diff = json.loads(cli(db, "diff", "before", "after", "--json").stdout)
    assert diff["scores"]["brief"]["delta"] == 1.0
    [change] = diff["prompts"]
    assert (change["base"]["version"], change["candidate"]["version"], change["added"], change["removed"]) == (
        1,
        2,
        1,
        0,
    )
    printed = cli(db, "diff", "before", "after").stdout
    assert (
        "prompt juno: v1 (" in printed and "+1 -0 lines" in printed and "+Always give the reset link first." in printed
    )

    listed = [json.loads(line) for line in cli(db, "prompts", "list", "--json").stdout.splitlines()]
    assert [v["experiments"] for v in listed[0]["versions"]] == [["before"], ["after"]]


def test_load_prompt_outside_an_eval_builds_openai_messages_and_records_nothing(tmp_path: Path) -> None:
    from evaltui import case_context, load_prompt
    from evaltui.prompts.template import parse_prompt
    from evaltui.prompts.versions import add_prompt
    from evaltui.store import Store

    db = tmp_path / "p.duckdb"
    with Store(db) as store:
        add_prompt(store, "juno", parse_prompt(V1.encode(), "juno.yaml"))
    prompt = load_prompt(slug="juno", project="support", db=db)  # Braintrust's keywords
    built = prompt.build(input="hi", customer={"name": "Bo"})
    assert built == {
        "model": "gpt-4o-mini",
        "temperature": 0,
        "messages": [
            {"role": "system", "content": "You are Juno. Be brief."},
            {"role": "user", "content": "Customer Bo asks: hi"},
        ],
    }
    case = case_context.CaseContext()
    with case_context.entering(case):
        prompt.build(input="x")
        prompt.build(input="y")
    assert case.prompts == [prompt.ref()]  # once per case


def test_the_demo_diff_shows_the_prompt_change_from_baseline_to_fix(demo_run: tuple[Path, dict, list[str]]) -> None:
    db, out, steps = demo_run
    assert out["prompts"]["baseline"]["version"] == 1 and out["prompts"]["fix"]["version"] == 2
    [change] = out["diff"]["prompts"]
    assert change["name"] == "juno" and change["base"]["version"] == 1 and change["candidate"]["version"] == 2
    assert change["added"] > 0 and change["removed"] == 0  # the fix only adds the account policies
    assert any(line.strip().startswith("prompt juno: v1 -> v2") for line in steps)
    printed = cli(db, "diff", "account-baseline", "account-fix").stdout
    assert f"prompt juno: v1 ({change['base']['hash']}) -> v2 ({change['candidate']['hash']})" in printed
    added = [line[1:] for line in printed.splitlines() if line.startswith("+")]
    assert len(added) == change["added"] and set(added) <= _fix_lines()


async def test_the_diff_pane_shows_the_prompt_diff_next_to_the_scores(
    demo_run: tuple[Path, dict, list[str]], tmp_path: Path
) -> None:
    import shutil

    from tests.tui.helpers import open_diff
    from tests.tui.helpers import make_app
    from tests.tui.snapshot import screen_text

    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_run[0], db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_diff(app, pilot)
        screen.compare("account-baseline", "account-fix")
        await until(pilot, lambda: screen.data is not None and screen.data.comparison.prompts)
        [change] = screen.data.comparison.prompts
        first_added = next(line for line in change["diff"] if line.startswith("+") and not line.startswith("+++"))

        def shown() -> str:
            return "\n".join(screen_text(app))

        await until(pilot, lambda: "prompt juno: v1" in shown() and "P: show the diff" in shown())
        assert first_added[:60] not in shown()
        await pilot.press("P")
        await until(pilot, lambda: first_added[:60] in shown())  # the added policy lines, under the scores
        assert "Brand Alignment" in shown() and "P: show the diff" not in shown()
        await pilot.press("P")
        await until(pilot, lambda: first_added[:60] not in shown())


def _fix_lines() -> set[str]:
    from evaltui.demo.generate import FIX_SYSTEM_PROMPT

    return set(FIX_SYSTEM_PROMPT.splitlines())


async def test_the_prompts_pane_lists_versions_with_the_experiments_that_ran_each(
    demo_run: tuple[Path, dict, list[str]], tmp_path: Path
) -> None:
    import shutil

    from evaltui.tui.screens.prompts import PromptsScreen
    from tests.tui.helpers import make_app
    from tests.tui.snapshot import screen_text

    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_run[0], db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        await until(pilot, lambda: isinstance(app.screen, PromptsScreen) and app.screen.rows)
        screen = app.screen

        def shown() -> str:
            return "\n".join(screen_text(app))

        assert [(r["name"], r["version"], r["experiments"]) for r in screen.rows] == [
            ("juno", 1, ["account-baseline"]),
            ("juno", 2, ["account-fix"]),
        ]
        await until(pilot, lambda: "account-baseline" in shown() and "account-fix" in shown())
        assert "juno v1 (" in shown() and "[system]" in shown()  # the first version: its text
        await pilot.press("down")
        fix = screen.rows[1]
        first_added = next(line for line in fix["diff"] if line.startswith("+") and not line.startswith("+++"))
        await until(
            pilot, lambda: f"changes from v1: +{fix['added']} -0 lines" in shown() and first_added[:60] in shown()
        )
        await pilot.press("d")  # its whole text instead
        await until(pilot, lambda: "changes from v1" not in shown() and "[system]" in shown())
