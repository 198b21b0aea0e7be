"""Stored scorers by slug: `evaltui scorers add SLUG RUBRIC.yaml|module:attr` and
`init_function(project_name=..., slug=...)` returning that scorer in an eval file, judged
through the real openai client against the loopback server."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.helpers import EVALTUI, ROOT

RUBRIC = """name: Helpfulness
prompt: |
  Is this reply helpful? [Question] {{input}} [Reply] {{output}}
choices: {Y: 1.0, N: 0.0}
"""


def cli(db: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EVALTUI, *args, "--db", str(db)], capture_output=True, text=True, cwd=ROOT, timeout=300, env=env
    )


def test_scorers_add_keeps_versions_by_content_and_refuses_what_cannot_run(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    rubric = tmp_path / "helpful.yaml"
    rubric.write_text(RUBRIC)
    added = cli(db, "scorers", "add", "helpful", str(rubric), "--project", "support")
    assert added.returncode == 0 and added.stdout.startswith("scorer helpful: version 1 (rubric, "), added.stderr
    assert "unchanged, the content of version 1" in cli(db, "scorers", "add", "helpful", str(rubric)).stdout
    rubric.write_text(RUBRIC.replace("helpful?", "helpful and kind?"))
    assert "version 2" in cli(db, "scorers", "add", "helpful", str(rubric)).stdout
    assert cli(db, "scorers", "add", "exact", "evaltui.scoring.heuristics:ExactMatch").returncode == 0

    listed = [json.loads(line) for line in cli(db, "scorers", "list", "--json").stdout.splitlines()]
    assert [(r["slug"], r["version"], r["kind"]) for r in listed] == [("exact", 1, "python"), ("helpful", 2, "rubric")]
    assert "helpful and kind?" in cli(db, "scorers", "show", "helpful").stdout
    assert "helpful and kind?" not in cli(db, "scorers", "show", "helpful", "--version", "1").stdout

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: X\nprompt: hi\nchoices: {A: 3}\n")
    for args in (
        ("scorers", "add", "bad", str(bad)),
        ("scorers", "add", "bad", "no_such_module:Thing"),
        ("scorers", "add", "bad", "just-a-name"),
    ):
        refused = cli(db, *args)
        assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
        assert refused.stderr.startswith("error: ")
    missing = cli(db, "scorers", "show", "helpfull")
    assert missing.returncode == 2 and "no stored scorer 'helpfull' (stored: exact, helpful)" in missing.stderr


EVAL_FILE = """
from evaltui import Eval, init_function

Eval("support", data=[{"id": f"c{i}", "input": f"question {i}"} for i in range(6)],
     task=lambda input: "answer to " + input,
     scores=[init_function(project_name="support", slug="helpful"), init_function(project_name="support", slug="exact")],
     experiment_name="stored-scorers")
"""


def test_init_function_returns_the_stored_rubric_judge_and_the_experiment_names_its_slug(tmp_path: Path) -> None:
    from evaltui.testing.fake_openai import FakeOpenAI

    db = tmp_path / "s.duckdb"
    rubric = tmp_path / "helpful.yaml"
    rubric.write_text(RUBRIC)
    assert cli(db, "scorers", "add", "helpful", str(rubric)).returncode == 0
    assert cli(db, "scorers", "add", "exact", "evaltui.scoring.heuristics:ExactMatch").returncode == 0
    path = tmp_path / "eval_stored.py"
    path.write_text(EVAL_FILE)
    with FakeOpenAI() as server:
        env = {**os.environ, "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "sk-test"}
        ran = cli(db, "eval", str(path), env=env)
        judged = [r.body for r in server.chat_requests]
    assert ran.returncode == 0, ran.stderr
    assert len(judged) == 6 and all(
        "Is this reply helpful? [Question] question" in b["messages"][0]["content"] for b in judged
    )
    shown = json.loads(cli(db, "experiments", "show", "stored-scorers", "--json").stdout)
    assert shown["scorers"] == ["helpful", "exact"]
    assert shown["task"]["scorer_versions"]["helpful"].startswith("helpful@v1+")
    labels = {c["scores"]["Helpfulness"]["label"] for c in shown["cases"]}
    assert labels <= {"Y", "N"} and all(c["scores"]["Helpfulness"]["rationale"] for c in shown["cases"])
    assert "scorers helpful, exact" in cli(db, "experiments", "show", "stored-scorers").stdout

    no_endpoint = {k: v for k, v in os.environ.items() if k not in ("OPENAI_BASE_URL", "OPENAI_API_KEY")}
    failed = cli(db, "eval", str(path), env=no_endpoint)
    assert failed.returncode == 2 and "helpful is an LLM judge: no model endpoint configured" in failed.stderr
