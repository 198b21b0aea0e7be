"""The Eval runner at scale: 1,000 cases whose async task sleeps 200 ms, one trivial
scorer, max_concurrency 50 — evaltui next to the ideal and, in the same run, the
same work through Braintrust and pydantic-evals.

    .venv/bin/python bench/runner.py [--cases 1000] [--sleep 0.2] [--concurrency 50]

The ideal wall time is cases / concurrency x sleep (4.0 s by default). Braintrust runs
with ``no_send_logs=True`` (nothing leaves the machine); pydantic-evals with
``Dataset.evaluate(max_concurrency=50)``. evaltui writes every result to a DuckDB file
as it finishes, and computes the summary from the file at the end; all of it is measured,
creating the database file included (the peers store nothing, so nothing is left out of
evaltui's clock that they do not pay either). Peers missing from the environment
are reported as skipped (``pip install braintrust pydantic-evals``).

Prints a table, then its figures as one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def run_evaltui(cases: int, sleep: float, concurrency: int, db: Path) -> dict:
    from evaltui import EvalAsync

    async def task(input):
        await asyncio.sleep(sleep)
        return input * 2

    def nonneg(output):
        return output >= 0

    data = [{"input": i, "expected": i * 2} for i in range(cases)]
    assert not db.exists()  # the run creates its database inside the clock: the peers keep nothing

    async def main():
        return await EvalAsync(
            "bench",
            data=data,
            task=task,
            scores=[nonneg],
            max_concurrency=concurrency,
            experiment_name="bench",
            db=db,
            quiet=True,
        )

    cpu0, t0 = time.process_time(), time.perf_counter()
    result = asyncio.run(main())
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    assert result.summary.results == cases and result.summary.errors == 0, result.summary
    return {"wall_s": wall, "cpu_s": cpu}


def run_braintrust(cases: int, sleep: float, concurrency: int) -> dict:
    try:
        from braintrust import Eval
    except ImportError:
        return {"skipped": "braintrust is not installed"}

    async def task(input):
        await asyncio.sleep(sleep)
        return input * 2

    def nonneg(output):
        return output >= 0

    data = [{"input": i, "expected": i * 2} for i in range(cases)]
    os.environ.setdefault("BRAINTRUST_DISABLE_ATEXIT_FLUSH", "1")
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        result = Eval("bench", data=data, task=task, scores=[nonneg], max_concurrency=concurrency, no_send_logs=True)
    wall = time.perf_counter() - t0
    assert len(result.results) == cases
    return {"wall_s": wall}


def run_pydantic_evals(cases: int, sleep: float, concurrency: int) -> dict:
    try:
        from pydantic_evals import Case, Dataset
        from pydantic_evals.evaluators import Evaluator, EvaluatorContext
    except ImportError:
        return {"skipped": "pydantic-evals is not installed"}
    from dataclasses import dataclass

    @dataclass
    class NonNeg(Evaluator):
        def evaluate(self, ctx: EvaluatorContext) -> bool:
            return ctx.output >= 0

    async def task(input: int) -> int:
        await asyncio.sleep(sleep)
        return input * 2

    dataset = Dataset(
        name="bench",
        cases=[Case(name=f"c{i}", inputs=i, expected_output=i * 2) for i in range(cases)],
        evaluators=[NonNeg()],
    )

    async def main():
        return await dataset.evaluate(task, max_concurrency=concurrency, progress=False)

    t0 = time.perf_counter()
    report = asyncio.run(main())
    wall = time.perf_counter() - t0
    assert len(report.cases) == cases
    return {"wall_s": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--sleep", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    ideal = args.cases / args.concurrency * args.sleep

    with tempfile.TemporaryDirectory() as tmp:
        ours = run_evaltui(args.cases, args.sleep, args.concurrency, Path(tmp) / "bench.duckdb")
    peers = {
        "braintrust": run_braintrust(args.cases, args.sleep, args.concurrency),
        "pydantic_evals": run_pydantic_evals(args.cases, args.sleep, args.concurrency),
    }

    figures = {
        "cases": args.cases,
        "sleep_s": args.sleep,
        "max_concurrency": args.concurrency,
        "ideal_s": ideal,
        "evaltui_wall_s": round(ours["wall_s"], 3),
        "evaltui_vs_ideal": round(ours["wall_s"] / ideal, 3),
        "evaltui_cpu_ms_per_case": round(ours["cpu_s"] / args.cases * 1000, 3),
    }
    rows = [("evaltui (durable, DuckDB)", ours["wall_s"], ours["wall_s"] / ideal, 1.0)]
    for name, peer in peers.items():
        if "skipped" in peer:
            figures[f"{name}_skipped"] = peer["skipped"]
            continue
        figures[f"{name}_wall_s"] = round(peer["wall_s"], 3)
        figures[f"{name}_vs_evaltui"] = round(peer["wall_s"] / ours["wall_s"], 3)
        rows.append((name.replace("_", "-"), peer["wall_s"], peer["wall_s"] / ideal, peer["wall_s"] / ours["wall_s"]))

    print(
        f"{args.cases} cases x {args.sleep * 1000:.0f} ms async task, 1 scorer, max_concurrency {args.concurrency}; "
        f"ideal {ideal:.2f} s"
    )
    print(f"{'runner':<28}{'wall s':>9}{'x ideal':>9}{'x evaltui':>11}")
    for name, wall, vs_ideal, vs_ours in rows:
        print(f"{name:<28}{wall:>9.3f}{vs_ideal:>9.3f}{vs_ours:>11.3f}")
    print(f"evaltui CPU per case: {figures['evaltui_cpu_ms_per_case']:.3f} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
