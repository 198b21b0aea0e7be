"""Spans per second through `evaltui serve`, and what another process's reads wait meanwhile.

    .venv/bin/python bench/collector.py [--seconds 20] [--clients 2] [--encoding json|protobuf] [--phoenix]

Starts `evaltui serve` on a new database and a free loopback port; client threads post
OTLP requests of 500 new spans each (100 conversations of a root and 4 chat spans,
GenAI attributes; bodies made before the clock) for ``--seconds``. Meanwhile this
process reads the span count the way the app does (a short read-only connection) every
``--read-every`` seconds (0.1: far more often than the app, which reads when the file
changed, at most every 2 s). Then the server is stopped (it commits what it acknowledged) and the stored
count is checked against the acknowledged one. The machine's load average is printed:
on a shared machine it says as much as the figures; so is the CPU the server spent per
span, which hardly moves with the load. With ``--phoenix`` the same load (protobuf) then
goes to Phoenix's collector (`phoenix serve`, the bench extra) and the ratios are printed.

With ``--sdk`` the load goes through the OpenTelemetry SDK's own exporter instead
(``OTLPSpanExporter``, protobuf over HTTP, its retries on 429/503 included): ``--clients``
processes each export ReadableSpans of the same conversations, 500 a call (the SDK's
``BatchSpanProcessor`` sends at most 512), built before the clock. The exporters' CPU
(encoding each batch, on this machine's two cores beside serve) is printed apart.

Prints a table, then one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

PER_REQUEST = 100  # conversations; x 5 spans


def conversations(first: int, n: int) -> dict:
    spans = []
    for trace in range(first, first + n):
        tid, root = f"{trace:032x}", f"{trace:012x}0000"
        t0 = 1_765_000_000_000_000_000 + trace * 1000
        spans.append(
            {
                "traceId": tid,
                "spanId": root,
                "name": "conversation",
                "startTimeUnixNano": str(t0),
                "endTimeUnixNano": str(t0 + 900),
                "attributes": [
                    {
                        "key": "gen_ai.input.messages",
                        "value": {
                            "stringValue": json.dumps(
                                [
                                    {
                                        "role": "user",
                                        "parts": [{"type": "text", "content": f"where is my order {trace}?"}],
                                    }
                                ]
                            )
                        },
                    }
                ],
            }
        )
        for t in range(1, 5):
            spans.append(
                {
                    "traceId": tid,
                    "spanId": f"{trace:012x}{t:04x}",
                    "parentSpanId": root,
                    "name": "chat",
                    "startTimeUnixNano": str(t0 + t),
                    "endTimeUnixNano": str(t0 + t + 100),
                    "attributes": [
                        {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                        {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-bench"}},
                        {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "40"}},
                    ],
                }
            )
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "bench"}}]},
                "scopeSpans": [{"spans": spans}],
            }
        ]
    }


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


def sdk_spans(first: int, n: int) -> list[Any]:
    """The conversations of ``conversations`` as the SDK's ReadableSpans (trace i's ids
    from i + 1: an all-zero id is not a valid OpenTelemetry id)."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    from opentelemetry.trace import SpanContext, TraceFlags

    resource, scope = Resource({"service.name": "bench"}), InstrumentationScope("bench")
    out = []
    for trace in range(first + 1, first + n + 1):
        t0 = 1_765_000_000_000_000_000 + trace * 1000
        root = SpanContext(trace, trace << 16, is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED))
        message = [{"role": "user", "parts": [{"type": "text", "content": f"where is my order {trace}?"}]}]
        out.append(
            ReadableSpan(
                "conversation",
                root,
                resource=resource,
                attributes={"gen_ai.input.messages": json.dumps(message)},
                instrumentation_scope=scope,
                start_time=t0,
                end_time=t0 + 900,
            )
        )
        for t in range(1, 5):
            ctx = SpanContext(trace, (trace << 16) | t, is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED))
            attributes = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-bench"}
            attributes["gen_ai.usage.input_tokens"] = 40
            out.append(
                ReadableSpan(
                    "chat",
                    ctx,
                    parent=root,
                    resource=resource,
                    attributes=attributes,
                    instrumentation_scope=scope,
                    start_time=t0 + t,
                    end_time=t0 + t + 100,
                )
            )
    return out


def sdk_client(url: str, first: int, requests: int) -> None:
    """One exporting process (``--sdk``): builds its batches, says "ready", waits for a line
    with the wall-clock deadline, exports batch after batch until then; prints a JSON line
    per export (wall time, spans, ok) and its CPU seconds for the exports."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SpanExportResult

    batches = [sdk_spans((first + i) * PER_REQUEST, PER_REQUEST) for i in range(requests)]
    exporter = OTLPSpanExporter(endpoint=url, timeout=60)
    print("ready", flush=True)
    deadline = float(sys.stdin.readline())
    cpu0 = time.process_time()
    for batch in batches:
        if time.time() >= deadline:
            break
        ok = exporter.export(batch) is SpanExportResult.SUCCESS
        print(json.dumps([time.time(), len(batch), ok]), flush=True)
    print(json.dumps({"cpu_s": time.process_time() - cpu0}), flush=True)
    exporter.shutdown()


def drive_sdk(
    url: str, requests: int, seconds: float, clients: int, tick: Any, every: float, acks: list
) -> tuple[int, int, float, float]:
    """``drive`` through the SDK's exporter in ``clients`` processes: (spans acknowledged,
    failed exports, seconds, the exporters' CPU seconds); ``acks`` gets (wall time, spans
    acknowledged so far)."""
    per = requests // clients
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--sdk-client", url, "--first", str(c * per), "--requests", str(per)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for c in range(clients)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    started = time.time()
    for p in procs:
        assert p.stdin is not None
        p.stdin.write(f"{started + seconds}\n")
        p.stdin.flush()
    stop = threading.Event()
    while time.time() - started < seconds and any(p.poll() is None for p in procs):
        tick()
        stop.wait(every)
    outputs = [p.communicate()[0] for p in procs]
    elapsed = time.time() - started
    exports, cpu_s = [], 0.0
    for out in outputs:
        for line in out.splitlines():
            row = json.loads(line)
            if isinstance(row, dict):
                cpu_s += row["cpu_s"]
            else:
                exports.append(row)
    acked, failed = 0, 0
    for t, n, ok in sorted(exports):
        if ok:
            acked += n
            acks.append((t, acked))
        else:
            failed += 1
    return acked, failed, elapsed, cpu_s


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


def drive(
    url: str,
    bodies: list[bytes],
    content: str,
    seconds: float,
    clients: int,
    tick: Any = None,
    every: float = 0.1,
    acks: list | None = None,
) -> tuple[int, int, float]:
    """Client threads post the bodies (each once; a throttled one is dropped after its
    Retry-After) for ``seconds``; ``tick`` runs every ``every`` s meanwhile; ``acks`` gets
    (time, spans acknowledged so far) at each 2xx. Returns (spans acknowledged, throttled
    replies, seconds)."""
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
                        if acks is not None:
                            acks.append((time.time(), acked[0]))
            except urllib.error.HTTPError as exc:
                with lock:
                    throttled[0] += 1
                time.sleep(float(exc.headers.get("Retry-After", 1)))

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    while time.monotonic() - started < seconds and any(t.is_alive() for t in threads):
        if tick is not None:
            tick()
        stop.wait(every)  # the app reads when the file changed, at most every 2 s
    stop.set()
    for t in threads:
        t.join()
    return acked[0], throttled[0], time.monotonic() - started


def visibility(acks: list[tuple[float, int]], seen: list[tuple[float, int]]) -> list[float]:
    """Seconds from each 2xx to the first read, ended after it, that counted at least the
    spans acknowledged by then (sorted); acknowledgements no read caught up with before the
    load stopped are left out (the count reads run only during the load)."""
    out, j = [], 0
    for t, n in acks:
        while j < len(seen) and (seen[j][0] < t or seen[j][1] < n):
            j += 1
        if j == len(seen):
            break
        out.append(seen[j][0] - t)
    return sorted(out)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def phoenix(bodies: list[bytes], args: argparse.Namespace) -> dict[str, Any]:
    """The same load (protobuf: Phoenix takes no OTLP JSON) to Phoenix's collector (`phoenix
    serve` on loopback ports, its own temporary working dir and SQLite database). Phoenix
    replies before it writes (spans wait in memory for its bulk inserter), so what it has
    stored is counted in its database at the end of the load and again once it stops
    growing (the drain)."""
    import shutil
    import sqlite3

    from evaltui.collect.committer import process_cpu_seconds

    exe = args.phoenix_bin or shutil.which("phoenix", path=str(Path(sys.executable).parent)) or shutil.which("phoenix")
    if not exe:
        return {"phoenix": "not run: the phoenix command is missing (pip install -e '.[bench]', or --phoenix-bin)"}
    wd = Path(tempfile.mkdtemp(prefix="bench-phoenix-"))
    port = free_port()
    env = {
        **os.environ,
        "PHOENIX_WORKING_DIR": str(wd),
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(free_port()),
        "PHOENIX_TELEMETRY_ENABLED": "false",
    }
    with open(wd / "phoenix.log", "wb") as out:
        proc = subprocess.Popen([exe, "serve"], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=wd)
    try:
        started = time.monotonic()
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() - started > 300:
                    return {
                        "phoenix": f"not run: phoenix serve did not start ({(wd / 'phoenix.log').read_text()[-300:]!r})"
                    }
                time.sleep(0.5)
        startup = time.monotonic() - started

        def count() -> int:
            con = sqlite3.connect(f"file:{wd / 'phoenix.db'}?mode=ro", uri=True, timeout=10)
            try:
                return int(con.execute("SELECT count(*) FROM spans").fetchone()[0])
            finally:
                con.close()

        acked, throttled, elapsed = drive(
            f"http://127.0.0.1:{port}/v1/traces", bodies, "application/x-protobuf", args.seconds, args.clients
        )
        cpu_s = process_cpu_seconds(proc.pid)
        at_end = count()
        drain_started = last_change = time.monotonic()
        stored = at_end
        while stored < acked and time.monotonic() - last_change < 10 and time.monotonic() - drain_started < 120:
            time.sleep(0.5)
            if (n := count()) != stored:
                stored, last_change = n, time.monotonic()
        drained = last_change - drain_started
        return {
            "phoenix_startup_s": round(startup, 1),
            "phoenix_acknowledged_per_s": round(acked / elapsed),
            "phoenix_stored_at_end_of_load": at_end,
            "phoenix_stored_after_drain": stored,
            "phoenix_drain_s": round(drained, 1),
            "phoenix_throttled": throttled,
            # stored / (load + the time its inserter took to catch up): the rate it can sustain
            "phoenix_stored_per_s": round(stored / (elapsed + drained)),
            "phoenix_cpu_us_per_span": round(1e6 * cpu_s / max(acked, 1)),
            "phoenix_acknowledged": acked,
        }
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if not args.keep:
            shutil.rmtree(wd, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--encoding", choices=["json", "protobuf"], default="json")
    ap.add_argument("--read-every", type=float, default=0.1, help="seconds between two reads of this process")
    ap.add_argument("--requests", type=int, default=300, help="bodies made up front (500 spans each)")
    ap.add_argument(
        "--online",
        action="store_true",
        help="work as logs arrive: a topic map built beforehand and a stored rule with an LLM judge "
        "(a loopback fake OpenAI server in this process), so serve files and scores while it receives",
    )
    ap.add_argument("--sample", type=float, default=0.05, help="the rule's sample rate with --online")
    ap.add_argument(
        "--serve-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="an extra argument for `evaltui serve` (repeat), e.g. --serve-arg=--no-online",
    )
    ap.add_argument("--judge-latency", type=float, default=0.05, help="seconds the fake judge takes per call")
    ap.add_argument(
        "--phoenix",
        action="store_true",
        help="then the same load (protobuf) to Phoenix's collector (arize-phoenix, the bench extra); ratios printed",
    )
    ap.add_argument(
        "--phoenix-bin", metavar="PATH", help="the phoenix command (default: beside this Python, else on PATH)"
    )
    ap.add_argument("--keep", action="store_true", help="keep the working directories (the databases, serve's log)")
    ap.add_argument(
        "--sdk",
        action="store_true",
        help="send through the OpenTelemetry SDK's OTLPSpanExporter (protobuf) in --clients processes",
    )
    ap.add_argument("--make-online-db", metavar="DB", help=argparse.SUPPRESS)
    ap.add_argument("--sdk-client", metavar="URL", help=argparse.SUPPRESS)
    ap.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.make_online_db:
        make_online_db(Path(args.make_online_db), args.sample)
        return
    if args.sdk_client:
        sdk_client(args.sdk_client, args.first, args.requests)
        return
    if args.sdk:
        args.encoding = "protobuf"

    from evaltui.collect.committer import process_cpu_seconds
    from evaltui.store.connections import reading

    work = Path(tempfile.mkdtemp(prefix="bench-collector-"))
    if not args.keep:  # on any exit, sys.exit included
        import atexit
        import shutil

        atexit.register(shutil.rmtree, work, ignore_errors=True)
    db, log = work / "live.duckdb", work / "serve.log"
    content = "application/json" if args.encoding == "json" else "application/x-protobuf"
    bodies = [] if args.sdk else [body(i * PER_REQUEST, args.encoding) for i in range(args.requests)]
    env = dict(os.environ)
    judge = None
    if args.online:
        judge = online_database(db, args.sample, args.judge_latency)
        env.update(
            {"OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": judge.base_url, "EVALTUI_CONFIG": str(work / "none.toml")}
        )
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "evaltui", "serve", "--db", str(db), "--port", "0", *args.serve_arg],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
        )
    while not (m := re.search(r"127\.0\.0\.1:(\d+)/", log.read_text())):
        if proc.poll() is not None:
            sys.exit(log.read_text())
        time.sleep(0.05)
    port = int(m.group(1))
    url = f"http://127.0.0.1:{port}/v1/traces"

    seen: list[tuple[float, int]] = []  # (time a read ended, spans it counted)

    def read_once() -> float:
        started = time.monotonic()
        with reading(db) as store:
            n = store.con.execute("SELECT count(*) FROM spans").fetchall()[0][0]
        seen.append((time.time(), n))  # wall time: the SDK's exporters are other processes
        return time.monotonic() - started

    idle = sorted(read_once() for _ in range(20))
    cpu_at_start = process_cpu_seconds(proc.pid)  # its start (imports, opening the file) left out below
    waits: list[float] = []
    acks: list[tuple[float, int]] = []
    client_cpu_s = None
    if args.sdk:
        acked, throttled, elapsed, client_cpu_s = drive_sdk(
            url, args.requests, args.seconds, args.clients, lambda: waits.append(read_once()), args.read_every, acks
        )
    else:
        acked, throttled, elapsed = drive(
            url, bodies, content, args.seconds, args.clients, lambda: waits.append(read_once()), args.read_every, acks
        )
    visible = visibility(acks, seen)
    status = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/status").read())
    # The receiver and the committer: serve's process plus its commit process when the commits
    # run in one (not the online worker: its own process, paused while spans wait).
    commit_cpu_s = status.get("commit_process_cpu_s") or 0.0
    cpu_s = process_cpu_seconds(proc.pid) + commit_cpu_s
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
        "sender": "OpenTelemetry SDK exporter" if args.sdk else "raw OTLP/HTTP posts",
        "encoding": args.encoding,
        "clients": args.clients,
        "seconds": round(elapsed, 1),
        "spans_acknowledged_per_s": round(acked / elapsed),
        "spans_committed_per_s": round(status["spans_committed"] / elapsed),
        "read_ms_idle_p50": round(pct(idle, 0.5)),
        "read_ms_p50": round(pct(waits, 0.5)),
        "read_ms_p95": round(pct(waits, 0.95)),
        "read_ms_max": round(waits[-1] * 1000),
        "reads": len(waits),
        # from a 2xx to the first read (as the app reads) that counts that many spans
        "visible_s_p50": round(visible[len(visible) // 2], 2) if visible else None,
        "visible_s_p95": round(visible[min(len(visible) - 1, int(0.95 * len(visible)))], 2) if visible else None,
        "visible_s_max": round(visible[-1], 2) if visible else None,
        "hold_s_p95": status["hold_s_p95"],
        "hold_s_max": status["hold_s_max"],
        "commits": status["commits"],
        "batch_limit": status.get("batch_limit"),
        "busy_waits": status["busy_waits"],
        "throttled": throttled,  # with --sdk: exports that failed after the exporter's own retries
        "exporter_cpu_us_per_span": round(1e6 * client_cpu_s / max(acked, 1)) if client_cpu_s is not None else None,
        "acknowledged": acked,
        "stored_after_stop": stored,
        "load_average": round(os.getloadavg()[0], 1),
        "online": args.online,
        # CPU the serve process spent per acknowledged span: unlike spans/s, it hardly moves with the machine's load
        "serve_cpu_s": round(cpu_s, 1),
        "serve_cpu_us_per_span": round(1e6 * cpu_s / max(acked, 1)),
        # the same without serve's start (1-2 s of CPU for imports: a fixed cost, not one per span)
        "serve_load_cpu_us_per_span": round(1e6 * (cpu_s - cpu_at_start) / max(acked, 1)),
        "commit_process_cpu_us_per_span": round(1e6 * commit_cpu_s / max(acked, 1)),
        "conversations_filed": status.get("conversations_filed"),
        "turns_scored": status.get("turns_scored"),
        "score_failures": status.get("score_failures"),
        "work_passes": status.get("work_passes"),
        "work_turns": status.get("work_turns"),
        "work_hold_s": status.get("work_hold_s"),
        "work_wait_s": status.get("work_wait_s"),
        "work_state": status.get("work_state"),
        "serve_args": " ".join(args.serve_arg),
    }
    assert stored == acked, "an acknowledged span is missing"
    if args.phoenix:
        pb = (
            bodies if args.encoding == "protobuf" else [body(i * PER_REQUEST, "protobuf") for i in range(args.requests)]
        )
        px = phoenix(pb, args)
        figures.update(px)
        if px.get("phoenix_stored_per_s"):
            figures["ratio_committed_vs_phoenix_stored"] = round(
                figures["spans_committed_per_s"] / px["phoenix_stored_per_s"], 2
            )
        if px.get("phoenix_acknowledged_per_s"):
            figures["ratio_acknowledged_vs_phoenix"] = round(
                figures["spans_acknowledged_per_s"] / px["phoenix_acknowledged_per_s"], 2
            )
    print(f"{'figure':<34} value")
    for k, v in figures.items():
        print(f"{k:<34} {v}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
