"""How long `evaltui demo` takes, cold, as README runs it, and where the time goes.

    .venv/bin/python bench/demo.py [--runs 1] [--evaltui .venv/bin/evaltui]

Each run starts `evaltui demo --no-tui` as a new process in a new empty directory (a new
database, an empty embedding cache; the Python environment and the OS file cache are as
they are), reads the steps the demo reports on stderr as they arrive, and times each step
from its own line to the next one (the first row, "start-up", is from the process start to
the first step: Python and evaltui imports). The whole is from the process start to its
exit. The machine's load average and the process's CPU time are printed beside the wall
time, since on a shared machine the wall time says as much about the neighbours.

Prints a table per run, then one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_STEP = re.compile(r"^\[\s*[\d.]+s\] (.*?)(?: \.\.\.)?$")
# The step's first words name it in the table ("building the topic map (MiniLM ...)" -> "building the topic map").
_NAME = re.compile(r"^(.*?)(?: \(|:| from '| with the| on the| against| case by case|$)")


def default_command() -> list[str]:
    """`evaltui` beside this Python (the venv's console script, as README runs it)."""
    script = Path(sys.executable).with_name("evaltui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "evaltui"]


def step_name(line: str) -> str:
    m = _NAME.match(line)
    return (m.group(1) if m else line)[:60]


def run_once(command: list[str]) -> dict:
    """One cold demo; its steps with their durations, the whole, CPU time and load."""
    with tempfile.TemporaryDirectory(prefix="evaltui-demo-bench-") as workdir:
        env = {k: v for k, v in os.environ.items() if k != "EVALTUI_DB"}
        load_before = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*command, "demo", "--no-tui"],
            cwd=workdir,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=1,
        )
        marks: list[tuple[str, float]] = [("start-up (imports)", 0.0)]
        errors: list[str] = []
        assert proc.stderr is not None
        for line in proc.stderr:
            m = _STEP.match(line.rstrip("\n"))
            if m:
                name = step_name(m.group(1))
                seen = sum(1 for n, _ in marks if n.split(" (")[0] == name)
                marks.append((f"{name} ({seen + 1})" if seen else name, time.perf_counter() - started))
            else:
                errors.append(line)
        stdout = proc.stdout.read() if proc.stdout else ""
        code = proc.wait()
        total = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_after = os.getloadavg()[0]
    if code != 0:
        raise SystemExit(f"evaltui demo exited {code}:\n{stdout}{''.join(errors)[-2000:]}")
    steps = []
    for (name, at), nxt in zip(marks, [m[1] for m in marks[1:]] + [total]):
        steps.append({"step": name, "seconds": round(nxt - at, 2)})
    story = next((line for line in stdout.splitlines() if line.startswith("the story:")), "")
    return {
        "story": story,
        "seconds": round(total, 2),
        "cpu_seconds": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2),
        "load_before": round(load_before, 2),
        "load_after": round(load_after, 2),
        "steps": steps,
    }


def print_run(i: int, run: dict) -> None:
    width = max(len(s["step"]) for s in run["steps"])
    print(f"run {i}: load average {run['load_before']:.1f} -> {run['load_after']:.1f} on {os.cpu_count()} cores")
    print(f"  {'step':<{width}}  {'seconds':>8}  {'share':>6}")
    for s in run["steps"]:
        print(f"  {s['step']:<{width}}  {s['seconds']:>8.1f}  {s['seconds'] / run['seconds']:>6.0%}")
    print(f"  {'whole (wall)':<{width}}  {run['seconds']:>8.1f}")
    print(f"  {'whole (CPU, all threads)':<{width}}  {run['cpu_seconds']:>8.1f}")
    print(f"  {run['story']}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--evaltui", help="the evaltui command (default: the one beside this Python)")
    args = parser.parse_args()
    command = [args.evaltui] if args.evaltui else default_command()
    runs = []
    for i in range(1, args.runs + 1):
        runs.append(run_once(command))
        print_run(i, runs[-1])
    walls = sorted(r["seconds"] for r in runs)
    print(f"whole demo, {len(runs)} run(s): min {walls[0]:.1f} s, max {walls[-1]:.1f} s")
    print(json.dumps({"command": [*command, "demo", "--no-tui"], "cores": os.cpu_count(), "runs": runs}))


if __name__ == "__main__":
    main()
