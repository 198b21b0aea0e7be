"""Loading an eval file: what the user is told when the file itself stops."""

from __future__ import annotations

import subprocess

from tests.helpers import EVALTUI


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*EVALTUI, *args], capture_output=True, text=True, timeout=120)


def test_an_eval_file_raising_system_exit_is_reported_as_such(tmp_path):
    db = str(tmp_path / "e.duckdb")
    early = tmp_path / "early.py"
    early.write_text("import sys\nsys.exit(3)\n")
    out = run("eval", str(early), "--db", db)
    assert out.returncode == 2
    assert out.stderr.strip() == f"error: {early} raised SystemExit(3) while loading, before defining any Eval(...)"

    late = tmp_path / "late.py"
    late.write_text(
        "import sys\nfrom evaltui import Eval\n"
        "Eval('p', data=[{'input': 1}], task=lambda i: i, scores=[lambda output: 1.0], experiment_name='x')\n"
        "sys.exit('config missing')\n"
    )
    out = run("eval", str(late), "--db", db)
    assert (
        out.returncode == 2 and out.stderr.strip() == f"error: {late} raised SystemExit('config missing') while loading"
    )

    clean = tmp_path / "clean.py"
    clean.write_text(late.read_text().replace("sys.exit('config missing')", "sys.exit(0)"))
    out = run("eval", str(clean), "--db", db, "--jsonl")
    assert out.returncode == 0, out.stderr


def test_the_apps_task_discovery_names_a_file_that_raised_system_exit(tmp_path):
    from evaltui.evals.launch import discover

    (tmp_path / "quits.py").write_text("raise SystemExit(1)\n")
    tasks, problems = discover([tmp_path])
    assert tasks == [] and problems == [f"{(tmp_path / 'quits.py').resolve()} raised SystemExit(1) while loading"]
