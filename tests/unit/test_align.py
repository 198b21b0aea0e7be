"""`evaltui align`: on the sample logs, through the loopback judge that reads its prompt
(``evaltui.testing.fake_judge.DemoJudge``), few-shot candidates built from the dev part
raise the account topic's test-part kappa; the best is saved as a new rubric version that
scores and calibrates like any other; and no test-part label or note reaches a prompt."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from evaltui.scoring.align import AlignOptions, align, render_example, split
from evaltui.testing import FakeOpenAI
from evaltui.testing.fake_judge import DemoJudge
from tests.helpers import EVALTUI

ACCOUNT = "account_and_login"


@pytest.fixture
def judge_server():
    with FakeOpenAI(responder=DemoJudge()) as server:
        yield server


def _env(server: FakeOpenAI) -> dict[str, str]:
    return {**os.environ, "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "sk-test"}


def test_align_raises_the_account_topics_test_kappa_and_saves_a_new_rubric_version(
    sample_db, judge_server, tmp_path
) -> None:
    db = tmp_path / "sample.duckdb"
    shutil.copy(sample_db, db)
    run = subprocess.run(
        [*EVALTUI, "--db", str(db), "align", "brand_alignment", "--save-dir", str(tmp_path / "rubrics")],
        capture_output=True,
        text=True,
        timeout=600,
        env=_env(judge_server),
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    report = json.loads(
        subprocess.run(
            [*EVALTUI, "--db", str(db), "align", "brand_alignment", "--json", "--save-dir", str(tmp_path / "rubrics")],
            capture_output=True,
            text=True,
            timeout=600,
            env=_env(judge_server),
        ).stdout
    )
    current, best = report["candidates"][0], next(r for r in report["candidates"] if r["name"] == report["best"])
    before, after = current["test"]["by_topic"][ACCOUNT], best["test"]["by_topic"][ACCOUNT]
    assert before["kappa"] < 0.6 and after["kappa"] >= 0.7
    assert best["test"]["overall"]["kappa"] > current["test"]["overall"]["kappa"]
    assert best["name"].startswith("few-shot-") and best["examples"] > 0
    # the printed table has each version's test kappa with its interval, and the account row
    lo, hi = after["kappa_ci"]
    row = next(line for line in out.splitlines() if line.startswith(ACCOUNT))
    assert f"{after['kappa']:.2f} [{lo:.2f}, {hi:.2f}]" in row
    assert f"{before['kappa']:.2f} [{before['kappa_ci'][0]:.2f}, {before['kappa_ci'][1]:.2f}]" in row
    assert "test kappa [95% CI]" in out and "proposed-edit" in out  # the model's rubric edit was a candidate too

    # the saved rubric is a new version of the same scorer: it scores and calibrates as any other
    saved = Path(report["saved"])
    assert saved.is_file() and saved.name == f"brand_alignment-{report['best_version'].split('+')[0]}.yaml"
    cal = subprocess.run(
        [*EVALTUI, "--db", str(db), "calibrate", "brand_alignment", "--version", report["best_version"], "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cal.returncode == 0, cal.stderr
    assert json.loads(cal.stdout)["overall"]["n"] == report["dev"] + report["test"]
    scored = subprocess.run(
        [
            *EVALTUI,
            "--db",
            str(db),
            "score",
            "--scorer",
            str(saved),
            "--where",
            f'topic = "{ACCOUNT}"',
            "--sample",
            "0.05",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(judge_server),
    )
    assert scored.returncode == 0, scored.stderr
    assert report["best_version"].split("+")[0] in scored.stdout + scored.stderr


def _prompts(server: FakeOpenAI) -> list[str]:
    return ["\n".join(str(m.get("content")) for m in r.body["messages"]) for r in server.chat_requests]


def _align(db: Path, server: FakeOpenAI, tmp_path: Path) -> dict:
    from evaltui.llm import LLMClient
    from evaltui.store import Store

    with Store(db) as store:
        client = LLMClient(base_url=server.base_url, api_key="sk-test", cache=None, use_cache=False)
        return align(store, "brand_alignment", client, options=AlignOptions(save_dir=tmp_path / "rubrics"))


def test_test_part_labels_never_reach_a_prompt(sample_db, judge_server, tmp_path) -> None:
    from evaltui.scoring.human_labels import add_label
    from evaltui.store import Store
    from evaltui.store.calibration_pairs import labelled_examples

    db = tmp_path / "sample.duckdb"
    shutil.copy(sample_db, db)
    first = _align(db, judge_server, tmp_path)
    prompts_first = _prompts(judge_server)
    with_examples = [p for p in prompts_first if "<example grade=" in p]
    edit_requests = [p for p in prompts_first if "<rubric>" in p]
    assert with_examples and len(edit_requests) == 1

    # every example in every prompt is a dev-part span with its own human grade
    with Store(db, read_only=True) as store:
        examples = {e["id"]: e for e in labelled_examples(store, "brand_alignment")}
    dev_ids, test_ids = split(sorted(examples), 0, 0.5)
    assert sorted(test_ids) == sorted(first["test_ids"])
    allowed = {render_example(examples[i], examples[i]["label"]) for i in dev_ids}
    blocks = {b for p in with_examples for b in re.findall(r'<example grade="[^"]+">.*?</example>', p, re.S)}
    assert blocks and blocks <= allowed
    for row in first["candidates"]:
        assert not set(row["example_ids"]) & set(test_ids)

    # change every test-part label and note: no prompt that carries labels changes, and the notes never appear
    with Store(db) as store:
        for i in test_ids:
            flipped = {"A": "C", "B": "A", "C": "A"}[examples[i]["label"]]
            add_label(store, i, "brand_alignment", flipped, rationale=f"LEAK-CHECK {i}")
    judge_server.reset()
    second = _align(db, judge_server, tmp_path)
    prompts_second = _prompts(judge_server)
    assert not any("LEAK-CHECK" in p for p in prompts_second)
    assert sorted(p for p in prompts_second if "<example grade=" in p or "<rubric>" in p) == sorted(
        with_examples + edit_requests
    )
    assert second["test_ids"] == first["test_ids"]
    assert second["candidates"][0]["dev"] == first["candidates"][0]["dev"]  # the dev part is untouched


def test_align_says_what_to_do_without_an_endpoint_or_labels(sample_db, tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "EVALTUI_OPENAI"))}
    no_endpoint = subprocess.run(
        [*EVALTUI, "--db", str(sample_db), "align", "brand_alignment"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert no_endpoint.returncode == 2 and "OPENAI_BASE_URL" in no_endpoint.stderr
    assert len(no_endpoint.stderr.strip().splitlines()) == 1
    with FakeOpenAI(responder=DemoJudge()) as server:
        empty = subprocess.run(
            [*EVALTUI, "--db", str(tmp_path / "empty.duckdb"), "align", "brand_alignment"],
            capture_output=True,
            text=True,
            timeout=120,
            env=_env(server),
            cwd=tmp_path,
        )
    assert empty.returncode == 2 and "label more first" in empty.stderr


def test_the_demo_aligns_the_llm_judge_and_corrects_its_diff(demo_run) -> None:
    _, out, steps = demo_run
    llm = out["llm_judge"]
    overall = llm["align"]["test_agreement"]["overall"]
    assert overall["after"]["kappa"] > overall["before"]["kappa"]
    assert all(
        len(part[side]["kappa_ci"]) == 2
        for part in llm["align"]["test_agreement"].values()
        for side in ("before", "after")
        if part[side].get("kappa") is not None
    )
    text = "\n".join(steps)
    assert "LLM judge vs people on the test part, overall: current rubric kappa" in text
    k = llm["corrected"]
    assert k["labels"] > 0 and len(k["corrected_ci"]) == 2 and len(k["judge_ci"]) == 2
    assert f"corrected for judge error {k['corrected_delta']:+.2f}" in text
