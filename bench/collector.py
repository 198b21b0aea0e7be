"""Spans per second through `evaltui serve`, and what another process's reads wait meanwhile.

    .venv/bin/python bench/collector.py [--seconds 20] [--clients 2] [--encoding json|protobuf]

Starts `evaltui serve` on a new database and a free loopback port; client threads post
OTLP requests of 500 new spans each (100 conversations of a root and 4 chat spans,
GenAI attributes; bodies made before the clock) for ``--seconds``. Meanwhile this
process reads the span count the way the app does (a short read-only connection) every
``--read-every`` seconds (0.1: far more often than the app, which reads when the file
changed, at most every 2 s). Then the server is stopped (it commits what it acknowledged) and the stored
count is checked against the acknowledged one. The machine's load average is printed:
on a shared machine it says as much as the figures.

Prints a table, then one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

PER_REQUEST = 100  # conversations; x 5 spans


def conversations(first: int, n: int) -> dict:
    spans = []
    for trace in range(first, first + n):
        tid, root = f"{trace:032x}", f"{trace:012x}0000"
        t0 = 1_765_000_000_000_000_000 + trace * 1000
        spans.append({"traceId": tid, "spanId": root, "name": "conversation",
                      "startTimeUnixNano": str(t0), "endTimeUnixNano": str(t0 + 900),
                      "attributes": [{"key": "gen_ai.input.messages", "value": {"stringValue": json.dumps(
                          [{"role": "user", "parts": [{"type": "text", "content": f"where is my order {trace}?"}]}])}}]})
        for t in range(1, 5):
            spans.append({"traceId": tid, "spanId": f"{trace:012x}{t:04x}", "parentSpanId": root, "name": "chat",
                          "startTimeUnixNano": str(t0 + t), "endTimeUnixNano": str(t0 + t + 100),
                          "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                                         {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-bench"}},
                                         {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "40"}}]})
    return {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "bench"}}]},
                               "scopeSpans": [{"spans": spans}]}]}


def body(first: int, encoding: str) -> bytes:
    doc = conversations(first, PER_REQUEST)
    if encoding == "json":
        return json.dumps(doc).encode()
    from google.protobuf.json_format import ParseDict
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    for s in doc["resourceSpans"][0]["scopeSpans"][0]["spans"]:
        for k in ("traceId", "spanId", "parentSpanId"):
            if k in s:
                s[k] = base64.b64encode(bytes.fromhex(s[k])).decode()
    return ParseDict(doc, ExportTraceServiceRequest()).SerializeToString()


def online_database(db: Path, sample: float, latency: float):
    """A database with a topic map over the support fixture and a sampled LLM-judge rule on
    what serve receives (made in a child process, so this one does not keep the embedding
    model and its threads while it measures); returns the started fake judge."""
    from evaltui.testing import FakeOpenAI

    subprocess.run([sys.executable, __file__, "--make-online-db", str(db), "--sample", str(sample)], check=True)
    return FakeOpenAI(latency=latency).start()


def make_online_db(db: Path, sample: float) -> None:
    from evaltui.ingest import ingest_file
    from evaltui.store import Store
    from evaltui.store.scoring import Rule, save_rule
    from evaltui.topics.build import BuildOptions, build_map

    with Store(db) as store:
        ingest_file(store, Path(__file__).parents[1] / "tests" / "fixtures" / "topics" / "support.jsonl")
        build_map(store, BuildOptions(name_with_llm=False))
        save_rule(store, Rule("bench-judge", ["brand_alignment"], 'source = "otlp:serve"', sample, "conversation"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--encoding", choices=["json", "protobuf"], default="json")
    ap.add_argument("--read-every", type=float, default=0.1, help="seconds between two reads of this process")
    ap.add_argument("--requests", type=int, default=300, help="bodies made up front (500 spans each)")
    ap.add_argument("--online", action="store_true",
                    help="work as logs arrive: a topic map built beforehand and a stored rule with an LLM judge "
                         "(a loopback fake OpenAI server in this process), so serve files and scores while it receives")
    ap.add_argument("--sample", type=float, default=0.05, help="the rule's sample rate with --online")
    ap.add_argument("--serve-arg", action="append", default=[], metavar="ARG",
                    help="an extra argument for `evaltui serve` (repeat), e.g. --serve-arg=--no-online")
    ap.add_argument("--judge-latency", type=float, default=0.05, help="seconds the fake judge takes per call")
    ap.add_argument("--make-online-db", metavar="DB", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.make_online_db:
        make_online_db(Path(args.make_online_db), args.sample)
        return

    from evaltui.store.connections import reading

    work = Path(tempfile.mkdtemp(prefix="bench-collector-"))
    db, log = work / "live.duckdb", work / "serve.log"
    content = "application/json" if args.encoding == "json" else "application/x-protobuf"
    bodies = [body(i * PER_REQUEST, args.encoding) for i in range(args.requests)]
    env = dict(os.environ)
    judge = None
    if args.online:
        judge = online_database(db, args.sample, args.judge_latency)
        env.update({"OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": judge.base_url,
                    "EVALTUI_CONFIG": str(work / "none.toml")})
    with open(log, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "evaltui", "serve", "--db", str(db), "--port", "0", *args.serve_arg],
                                stdout=subprocess.DEVNULL, stderr=err, env=env)
    while not (m := re.search(r"127\.0\.0\.1:(\d+)/", log.read_text())):
        if proc.poll() is not None:
            sys.exit(log.read_text())
        time.sleep(0.05)
    port = int(m.group(1))
    url = f"http://127.0.0.1:{port}/v1/traces"

    def read_once() -> float:
        started = time.monotonic()
        with reading(db) as store:
            store.con.execute("SELECT count(*) FROM spans").fetchall()
        return time.monotonic() - started

    idle = sorted(read_once() for _ in range(20))
    stop, lock = threading.Event(), threading.Lock()
    queue, acked, throttled = iter(bodies), [0], [0]

    def client() -> None:
        while not stop.is_set():
            with lock:
                b = next(queue, None)
            if b is None:
                return
            req = urllib.request.Request(url, data=b, headers={"Content-Type": content}, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=60) as r:
                    r.read()
                    with lock:
                        acked[0] += PER_REQUEST * 5
            except urllib.error.HTTPError as exc:
                with lock:
                    throttled[0] += 1
                time.sleep(float(exc.headers.get("Retry-After", 1)))
                with lock:
                    queue_back.append(b)

    queue_back: list[bytes] = []
    threads = [threading.Thread(target=client, daemon=True) for _ in range(args.clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    waits = []
    while time.monotonic() - started < args.seconds and any(t.is_alive() for t in threads):
        waits.append(read_once())
        stop.wait(args.read_every)  # the app reads when the file changed, at most every 2 s
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    status = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/status").read())
    proc.terminate()
    proc.wait()
    if judge is not None:
        judge.stop()
    with reading(db) as store:
        stored = store.con.execute("SELECT count(*) FROM spans WHERE source = 'otlp:serve'").fetchall()[0][0]
    waits.sort()

    def pct(xs: list[float], q: float) -> float:
        return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000

    figures = {
        "encoding": args.encoding, "clients": args.clients, "seconds": round(elapsed, 1),
        "spans_acknowledged_per_s": round(acked[0] / elapsed), "spans_committed_per_s": round(status["spans_committed"] / elapsed),
        "read_ms_idle_p50": round(pct(idle, 0.5)), "read_ms_p50": round(pct(waits, 0.5)),
        "read_ms_p95": round(pct(waits, 0.95)), "read_ms_max": round(waits[-1] * 1000), "reads": len(waits),
        "hold_s_p95": status["hold_s_p95"], "hold_s_max": status["hold_s_max"], "commits": status["commits"], "busy_waits": status["busy_waits"],
        "throttled": throttled[0], "acknowledged": acked[0], "stored_after_stop": stored,
        "load_average": round(os.getloadavg()[0], 1), "online": args.online,
        "conversations_filed": status.get("conversations_filed"), "turns_scored": status.get("turns_scored"),
        "score_failures": status.get("score_failures"), "work_passes": status.get("work_passes"),
        "work_turns": status.get("work_turns"), "work_hold_s": status.get("work_hold_s"),
        "work_wait_s": status.get("work_wait_s"), "work_state": status.get("work_state"),
        "serve_args": " ".join(args.serve_arg),
    }
    print(f"{'figure':<28} value")
    for k, v in figures.items():
        print(f"{k:<28} {v}")
    print(json.dumps(figures))
    assert stored == acked[0], "an acknowledged span is missing"


if __name__ == "__main__":
    main()
