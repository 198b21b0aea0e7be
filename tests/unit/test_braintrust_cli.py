"""`evaltui eval` with `braintrust eval`'s flags: a folder runs every eval_*.py and *.eval.py
under it; --filter PATH=REGEX keeps matching cases (a bare REGEX keeps matching evals);
--list, --jsonl, --num-workers / --max-concurrency, --no-send-logs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.helpers import EVALTUI, ROOT

EVAL = """
from evaltui import Eval

Eval("{project}", data=[{{"id": f"c{{i}}", "input": f"q{{i}}", "expected": f"q{{i}}",
                          "metadata": {{"priority": "P0" if i % 3 == 0 else "P1"}}}} for i in range(9)],
     task=lambda input: input, scores=[lambda output, expected: float(output == expected)],
     experiment_name="{name}", max_concurrency=8)
"""


def cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EVALTUI, "eval", *args, "--db", str(db)], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def folder(tmp_path: Path) -> Path:
    root = tmp_path / "evals"
    (root / "nested").mkdir(parents=True)
    (root / ".hidden").mkdir()
    (root / "eval_alpha.py").write_text(EVAL.format(project="alpha", name="alpha-run"))
    (root / "beta.eval.py").write_text(EVAL.format(project="beta", name="beta-run"))
    (root / "nested" / "eval_gamma.py").write_text(EVAL.format(project="gamma", name="gamma-run"))
    (root / "helpers.py").write_text("raise RuntimeError('not an eval file: never imported')\n")
    (root / ".hidden" / "eval_secret.py").write_text("raise RuntimeError('hidden: never imported')\n")
    return root


def test_a_folder_runs_every_eval_file_under_it_and_lists_them(tmp_path: Path) -> None:
    root, db = folder(tmp_path), tmp_path / "e.duckdb"
    listed = cli(db, str(root), "--list")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert [(r[0], r[1], Path(r[2]).name) for r in rows] == [
        ("beta", "beta-run", "beta.eval.py"),
        ("alpha", "alpha-run", "eval_alpha.py"),
        ("gamma", "gamma-run", "eval_gamma.py"),
    ]
    ran = cli(db, str(root), "--jsonl", "--no-send-logs")
    assert ran.returncode == 0, ran.stderr
    summaries = [json.loads(line) for line in ran.stdout.splitlines()]
    assert sorted((s["experiment_name"], s["results"]) for s in summaries) == [
        ("alpha-run", 9),
        ("beta-run", 9),
        ("gamma-run", 9),
    ]
    only = cli(db, str(root), "--filter", "^gam", "--list")
    assert only.stdout.split("\t")[:2] == ["gamma", "gamma-run"]


def test_filter_keeps_matching_cases_and_max_concurrency_overrides_the_files(tmp_path: Path) -> None:
    root, db = folder(tmp_path), tmp_path / "e.duckdb"
    ran = cli(db, str(root / "eval_alpha.py"), "--filter", "metadata.priority=^P0$", "--num-workers", "2", "--jsonl")
    assert ran.returncode == 0, ran.stderr
    [summary] = [json.loads(line) for line in ran.stdout.splitlines()]
    assert summary["results"] == 3  # c0, c3, c6
    shown = json.loads(
        subprocess.run(
            [*EVALTUI, "experiments", "show", "alpha-run", "--json", "--db", str(db)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout
    )
    assert sorted(c["record_id"] for c in shown["cases"]) == ["c0", "c3", "c6"]
    assert shown["task"]["max_concurrency"] == 2
    two = cli(
        db,
        str(root / "beta.eval.py"),
        "--filter",
        "input=q[12]",
        "--filter",
        "metadata.priority=P1",
        "--max-concurrency",
        "3",
        "--jsonl",
    )
    assert json.loads(two.stdout)["results"] == 2  # q1 and q2, both P1
    bad = cli(db, str(root / "beta.eval.py"), "--filter", "input=(")
    assert bad.returncode == 2 and bad.stderr.startswith("error: bad --filter regex 'input=('")
    none = cli(db, str(root / "beta.eval.py"), "--filter", "^nothing")
    assert none.returncode == 2 and "matches" in none.stderr


def test_one_broken_file_of_several_is_reported_and_the_others_run(tmp_path: Path) -> None:
    root, db = folder(tmp_path), tmp_path / "e.duckdb"
    (root / "eval_broken.py").write_text("raise ValueError('needs a key')\n")
    ran = cli(db, str(root), "--jsonl")
    assert ran.returncode == 3  # partly done
    assert f"error: {root / 'eval_broken.py'} failed to load: ValueError: needs a key" in ran.stderr
    assert len(ran.stdout.splitlines()) == 3
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = cli(db, str(empty))
    assert nothing.returncode == 2 and nothing.stderr.strip() == f"error: no eval_*.py or *.eval.py files under {empty}"
