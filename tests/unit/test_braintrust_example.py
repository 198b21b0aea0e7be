"""The issue's "done when": a Braintrust-style eval file using init, init_logger,
wrap_anthropic, init_function by slug, init_dataset(project=, name=) and load_prompt runs
with only its import line changed, through the real CLI, against loopback Anthropic
(the task, the real anthropic client) and OpenAI (the judge, the real openai client)
servers; its experiment shows the scorer slug, the dataset version and the prompt version."""

from __future__ import annotations

import ast
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import EVALTUI, ROOT

COURSE = ROOT / "examples" / "braintrust_course"
EVAL_FILE = COURSE / "eval_support_answers.py"
# What the file imports: each is a name of Braintrust's Python SDK.
BRAINTRUST_NAMES = {
    "Eval",
    "current_span",
    "init",
    "init_dataset",
    "init_function",
    "init_logger",
    "load_prompt",
    "traced",
    "wrap_anthropic",
}


def cli(db: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EVALTUI, *args, "--db", str(db)], capture_output=True, text=True, cwd=ROOT, timeout=300, env=env
    )


def test_only_the_import_line_names_evaltui() -> None:
    tree = ast.parse(EVAL_FILE.read_text())
    ours = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("evaltui")]
    assert len(ours) == 1 and ours[0].module == "evaltui"
    assert {a.name for a in ours[0].names} == BRAINTRUST_NAMES
    code = ast.Module([n for n in tree.body[1:] if n is not ours[0]], [])  # without the docstring and that import
    assert "evaltui" not in ast.unparse(code)


def test_the_names_exist_in_braintrust_when_it_is_installed() -> None:
    braintrust = pytest.importorskip("braintrust")
    assert all(hasattr(braintrust, name) for name in BRAINTRUST_NAMES)


def test_the_course_eval_runs_against_loopback_anthropic_and_openai(tmp_path: Path) -> None:
    from evaltui.testing.fake_anthropic import FakeAnthropic
    from evaltui.testing.fake_anthropic import Reply as AnthropicReply
    from evaltui.testing.fake_openai import FakeOpenAI, Reply

    db = tmp_path / "course.duckdb"
    for args in (
        ("datasets", "import", "support-questions", str(COURSE / "questions.jsonl")),
        ("prompts", "add", "support-answer", str(COURSE / "support-answer.yaml")),
        ("scorers", "add", "helpfulness", str(COURSE / "helpfulness.yaml"), "--project", "juniper-support"),
    ):
        setup = cli(db, *args)
        assert setup.returncode == 0, setup.stderr

    with FakeAnthropic() as anthropic_server, FakeOpenAI() as openai_server:
        # the task's replies, and the judge's verdicts: 4 helpful, 1 not
        anthropic_server.enqueue(
            *(
                AnthropicReply(
                    content=f"Happy to help, case {i}. Next step: reply here.",
                    prompt_tokens=120 + i,
                    completion_tokens=30,
                )
                for i in range(5)
            )
        )
        openai_server.enqueue(*(Reply(choice="N" if i == 0 else "Y", reasons=f"verdict {i}") for i in range(5)))
        env = {
            **os.environ,
            "ANTHROPIC_BASE_URL": anthropic_server.base_url,
            "ANTHROPIC_API_KEY": "sk-ant-test",
            "OPENAI_BASE_URL": openai_server.base_url,
            "OPENAI_API_KEY": "sk-test",
        }
        ran = cli(db, "eval", str(EVAL_FILE), env=env)
        asked = [r.body for r in anthropic_server.chat_requests]
        judged = [r.body for r in openai_server.chat_requests]
    assert ran.returncode == 0, ran.stderr

    # the task: the stored prompt, built with each record's variables, sent by the anthropic client
    assert len(asked) == 5 and {b["model"] for b in asked} == {"claude-sonnet-4-5"}
    assert all(b["system"].startswith("You are Juno, the support assistant") for b in asked)
    assert (
        sorted(b["messages"][0]["content"] for b in asked)[0] == "Hi, I'm Ada. Where is my order? It was due yesterday."
    )
    assert any(b["messages"][0]["content"] == "Hi, I'm there. Do you ship to Canada?" for b in asked)
    # the judge: the stored rubric, through the openai client
    assert len(judged) == 5 and all("Does the support reply answer" in b["messages"][0]["content"] for b in judged)

    shown = json.loads(cli(db, "experiments", "show", "support-answers", "--json").stdout)
    assert shown["project"] == "juniper-support"
    assert shown["scorers"] == ["helpfulness"]
    assert (shown["dataset"], shown["dataset_version"]) == ("support-questions", 1)
    assert [(p["name"], p["version"]) for p in shown["prompts"]] == [("support-answer", 1)]
    cases = shown["cases"]
    assert sorted(c["scores"]["Helpfulness"]["score"] for c in cases) == [0.0, 1.0, 1.0, 1.0, 1.0]
    # wrap_anthropic put each call's usage and latency on its case; current_span().log its metadata
    assert sorted(c["metrics"]["prompt_tokens"] for c in cases) == [120, 121, 122, 123, 124]
    assert all(
        c["metrics"]["completion_tokens"] == 30 and c["metrics"]["llm_calls"] == 1 and c["metrics"]["llm_latency_s"] > 0
        for c in cases
    )
    assert all(c["metadata"]["stop_reason"] == "end_turn" for c in cases)
    printed = cli(db, "experiments", "show", "support-answers").stdout
    assert "dataset support-questions v1 · scorers helpfulness · prompts support-answer v1 (" in printed
    assert "init" not in {
        r["name"] for r in map(json.loads, cli(db, "experiments", "list", "--json").stdout.splitlines())
    }
