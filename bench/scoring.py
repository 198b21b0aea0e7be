"""Judge throughput against the loopback OpenAI-compatible server, and a cached re-run.

The server (``python -m evaltui.testing.fake_openai``, in its own process) answers every
call after a fixed 200 ms, like a model endpoint. For each
concurrency the LLM judge (brand_alignment rubric, forced tool call, the real ``openai``
client, the DuckDB response cache on) grades distinct replies; the ideal is concurrency
/ 0.2 s calls per second. Each concurrency makes 40 calls per slot (8 s of sustained
calls); at concurrency 50 a short run of 10 per slot follows, where the first burst of
50 requests and the last replies' drain weigh four times as much. Then the
concurrency-50 workload runs again unchanged: every reply comes from the cache, and its
speed-up over the first run is reported.

    .venv/bin/python bench/scoring.py [--latency 0.2] [--calls-per-slot 40]

Prints a table, then one JSON object of the figures on the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaltui import heap  # noqa: E402
from evaltui.llm import LLMClient  # noqa: E402
from evaltui.store.llm_cache import LLMCache  # noqa: E402
from evaltui.scoring.judge import LLMJudge  # noqa: E402
from evaltui.store import Store  # noqa: E402


def case(tag: str, i: int) -> dict:
    return {"input": f"Where is my order #{tag}-{i}?", "output": f"Sorry for the wait! Order {tag}-{i} ships today."}


async def run(judge: LLMJudge, n: int, concurrency: int, tag: str) -> float:
    limit = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with limit:
            await judge(**case(tag, i))

    started = time.perf_counter()
    judge.prefetch([case(tag, i) for i in range(n)])  # as online scoring does per page
    with heap.frozen():  # as online scoring does around its calls
        await asyncio.gather(*(one(i) for i in range(n)))
    return time.perf_counter() - started


class ServerProcess:
    """The loopback server in its own process, as a real endpoint would be: it does not
    share this process's GIL with the client being measured."""

    def __init__(self, latency: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "evaltui.testing.fake_openai", "--port", "0", "--latency", str(latency)],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline()
        self.base_url = line.split(" at ")[1].split()[0]

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(5)


async def main(latency: float, per_slot: int) -> dict:
    figures: dict = {"latency_s": latency, "runs": []}
    with ServerProcess(latency) as server, tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "b.duckdb") as store:
        for concurrency in (1, 10, 50):
            client = LLMClient(
                base_url=server.base_url,
                api_key="sk-bench",
                concurrency=concurrency,
                cache=LLMCache(store),
                max_retries=0,
            )
            judge = LLMJudge("brand_alignment", client)
            n = concurrency * per_slot
            await run(judge, min(n, 2 * concurrency), concurrency, f"warm{concurrency}")  # connections, imports
            seconds = await run(judge, n, concurrency, f"c{concurrency}")
            ideal = concurrency / latency
            figures["runs"].append(
                {
                    "concurrency": concurrency,
                    "calls": n,
                    "seconds": round(seconds, 3),
                    "calls_per_s": round(n / seconds, 1),
                    "ideal_per_s": ideal,
                    "of_ideal": round(n / seconds / ideal, 3),
                }
            )
            if concurrency == 50:  # the same at 10 calls per slot: ramp-up and drain weigh 4x more
                short_n = concurrency * 10
                short = await run(judge, short_n, concurrency, "short50")
                figures["short_run"] = {
                    "concurrency": concurrency,
                    "calls": short_n,
                    "seconds": round(short, 3),
                    "calls_per_s": round(short_n / short, 1),
                    "ideal_per_s": ideal,
                    "of_ideal": round(short_n / short / ideal, 3),
                }
                client.flush()
                calls_before = client.usage.calls
                cached = await run(judge, n, concurrency, "c50")
                assert client.usage.calls == calls_before, "the re-run must make no calls"
                figures["cached_rerun"] = {
                    "calls": n,
                    "seconds": round(cached, 4),
                    "calls_per_s": round(n / cached, 1),
                    "speedup": round(seconds / cached, 1),
                    "speedup_vs_concurrency_1": round((n * latency) / cached, 1),
                }
            await client.aclose()
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument(
        "--calls-per-slot",
        type=int,
        default=40,
        help="calls = concurrency x this (40: 8 s of sustained calls at 200 ms)",
    )
    args = parser.parse_args()
    figures = asyncio.run(main(args.latency, args.calls_per_slot))
    print(f"{'run':<22}{'calls':>7}{'seconds':>10}{'calls/s':>10}{'ideal/s':>10}{'of ideal':>10}")
    for r in figures["runs"]:
        print(
            f"{'judge, concurrency ' + str(r['concurrency']):<22}{r['calls']:>7}{r['seconds']:>10.2f}"
            f"{r['calls_per_s']:>10.1f}{r['ideal_per_s']:>10.0f}{r['of_ideal']:>10.2f}"
        )
    r = figures["short_run"]
    print(
        f"{'  short run, c=50':<22}{r['calls']:>7}{r['seconds']:>10.2f}{r['calls_per_s']:>10.1f}"
        f"{r['ideal_per_s']:>10.0f}{r['of_ideal']:>10.2f}"
    )
    c = figures["cached_rerun"]
    print(
        f"{'cached re-run (c=50)':<22}{c['calls']:>7}{c['seconds']:>10.3f}{c['calls_per_s']:>10.1f}"
        f"{'':>10}{'x' + str(c['speedup']):>10}"
    )
    print(json.dumps(figures))
