"""`evaltui serve`: an OTLP/HTTP trace receiver on the standard library's HTTP server.

``POST /v1/traces`` takes protobuf or JSON, gzip or not. A request's spans are mapped
(evaltui.ingest.otel), appended to the write-ahead spool and fsynced before the 2xx
reply; the committer moves them into the database in short batches. When the spool
holds more than ``max_spool_bytes`` or about three commits' worth of spans not yet
committed (so what is acknowledged reaches the database within seconds), or too many
requests are in flight, the reply is 503/429 with Retry-After (OTel exporters wait and retry) instead
of memory growing. A body that cannot be read gets a 400 with the reason and is
counted. After each commit a worker thread files new conversations under the active
topic map and runs the stored online scoring rules (evaltui.collect.work).
``GET /status`` reports the counters as JSON.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from evaltui.collect import otlp
from evaltui.collect.committer import Committer, FileTurns, encode_mapped
from evaltui.collect.spool import Spool
from evaltui.collect.work import WorkerProcess

TRACES_PATH = "/v1/traces"


@dataclass
class Limits:
    max_body_bytes: int = 32 * 1024 * 1024  # decompressed
    max_spool_bytes: int = 256 * 1024 * 1024  # received, not yet committed
    max_in_flight: int = 32  # requests being read or decoded at once
    retry_after_s: int = 1


@dataclass
class Counters:
    requests: int = 0
    spans_accepted: int = 0  # spooled and acknowledged
    spans_rejected: int = 0  # dropped in an accepted request (partial_success)
    malformed: int = 0  # 400/413/415 replies
    throttled: int = 0  # 429/503 replies
    errors: int = 0  # 500 replies (a bug: the request is not acknowledged)
    last_malformed: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **deltas: int) -> None:
        with self.lock:
            for key, n in deltas.items():
                setattr(self, key, getattr(self, key) + n)


class Collector:
    """The receiver and its committer, on one database and spool."""

    def __init__(
        self,
        db_path: str | os.PathLike[str],
        spool_dir: str | os.PathLike[str],
        *,
        host: str = "127.0.0.1",
        port: int = 4318,
        limits: Limits | None = None,
        commit_interval: float = 0.5,
        max_batch: int = 20_000,
        work: bool = True,
        retry_seconds: float = 5.0,
        online_share: float = 0.1,
        commit_process: bool = False,
    ) -> None:
        self.limits = limits or Limits()
        self.counters = Counters()
        self.spool = Spool(spool_dir)
        # Filing and scoring what is committed, off the receive path, in a child process (its
        # imports and embedding never hold this one's interpreter lock); its turns on the file
        # are queued with the committer's and bounded to ``online_share`` while spans wait.
        turns = FileTurns()
        self.worker = (
            WorkerProcess(
                db_path,
                retry_seconds=retry_seconds,
                turns=turns,
                share=online_share,
                behind=lambda: self.spool.pending_spans > 0 or self.spool.sealed_count() > 0,
            )
            if work
            else None
        )
        self.committer = Committer(
            db_path,
            self.spool,
            interval=commit_interval,
            max_batch=max_batch,
            on_commit=self.worker.committed if self.worker else None,
            turns=turns,
            process=commit_process,
        )
        self.started = time.time()
        self._slots = threading.BoundedSemaphore(self.limits.max_in_flight)
        self._stop = threading.Event()
        self._drain_seconds = 30.0
        self._threads: list[threading.Thread] = []
        try:
            self.httpd = _Server((host, port), _Handler)
        except BaseException:
            self.spool.close()
            raise
        self.httpd.collector = self

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.httpd.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        import sys

        # The committer runs SQL with the interpreter lock released and needs it back
        # between statements; with decoding threads busy, the default 5 ms switch interval
        # made each of a commit's statements wait, and the file was held longer.
        sys.setswitchinterval(0.001)
        # What the first requests would otherwise do on the clock, each under load: import
        # the protobuf classes, Arrow (with its compute functions), numpy, and run the
        # mapping and the encoding once (0.3-0.5 s of CPU, measured in the handler threads).
        warm_up()
        # A request of 500 spans makes some 20,000 objects that live until its reply, so the
        # default collector (a pass every 700 new objects, and full passes over every module
        # loaded) ran many times per request: a quarter of the receive path's CPU. What is
        # loaded now is frozen out of the passes, and a young pass runs every 100,000 objects.
        gc.collect()
        gc.freeze()
        gc.set_threshold(100_000, 50, 100)
        targets = [self.httpd.serve_forever, lambda: self.committer.run(self._stop, self._drain_seconds)]
        if self.worker is not None:
            self.worker.start()
        for target in targets:
            t = threading.Thread(target=target, daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, drain_seconds: float = 30.0) -> None:
        """Stop taking requests, commit what the spool holds, let go of everything."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self._drain_seconds = drain_seconds
        self._stop.set()
        for t in self._threads:
            t.join()
        if self.worker is not None:
            self.worker.stop()
        self.spool.close()

    def status(self) -> dict[str, Any]:
        c = self.counters
        with c.lock:
            out: dict[str, Any] = {
                k: getattr(c, k)
                for k in (
                    "requests",
                    "spans_accepted",
                    "spans_rejected",
                    "malformed",
                    "throttled",
                    "errors",
                    "last_malformed",
                )
            }
        out["spool_bytes"] = self.spool.pending_bytes
        out["spool_spans"] = self.spool.pending_spans
        out["uptime_s"] = round(time.time() - self.started, 1)
        out.update(self.committer.snapshot())
        if self.worker is not None:
            out.update(self.worker.snapshot())
        return out

    # -- one request ------------------------------------------------------

    def receive(self, body: bytes, content_type: str | None, encoding: str | None) -> tuple[int, bytes, dict[str, str]]:
        """(status, reply body, extra headers) for one POST /v1/traces."""
        kind = otlp.media_type(content_type)
        reply_kind = otlp.PROTOBUF if kind == otlp.PROTOBUF else otlp.JSON
        self.counters.add(requests=1)
        if (
            self.spool.pending_bytes > self.limits.max_spool_bytes
            or self.spool.pending_spans > self.committer.backlog_limit()
        ):
            return self._throttle(503, reply_kind, "the server is behind writing to the database; retry later")
        with self.committer.holding:  # a commit in this process holds the file: let it finish first
            pass  # (never taken when the commits run in their own process: requests go on meanwhile)
        try:
            raw = otlp.decompress(body, encoding, self.limits.max_body_bytes)
            decoded = otlp.decode(raw, content_type, blocks=True)
        except otlp.BadRequest as exc:
            with self.counters.lock:
                self.counters.malformed += 1
                self.counters.last_malformed = str(exc)
            return exc.status, otlp.status(reply_kind, 3, str(exc)), {}
        # Arrow columns: the commit does nothing per span
        encoded = encode_mapped(decoded.entries) if decoded.entries else None
        accepted = 0
        if encoded is not None:
            if encoded.unstorable:
                decoded.rejected += len(encoded.unstorable)
                decoded.problems.extend(encoded.unstorable)
            if encoded.spans:
                self.spool.append(encoded.payload, encoded.spans)  # durable before the reply
            accepted = encoded.spans
        self.counters.add(spans_accepted=accepted, spans_rejected=decoded.rejected)
        return 200, otlp.success(reply_kind, decoded), {}

    def _throttle(self, code: int, kind: str, message: str) -> tuple[int, bytes, dict[str, str]]:
        self.counters.add(throttled=1)
        grpc = 8 if code == 429 else 14  # RESOURCE_EXHAUSTED, UNAVAILABLE
        return code, otlp.status(kind, grpc, message), {"Retry-After": str(self.limits.retry_after_s)}


def warm_up() -> list[otlp.Decoded]:
    """Map and encode a small request as protobuf and as OTLP JSON (a list long enough to
    be a block, and a short one span by span), so the first requests of a load do not
    import and initialise on the clock; nothing is spooled. Returns what was decoded."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    t0 = 1_765_000_000_000_000_000
    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    kv = rs.resource.attributes.add()
    kv.key, kv.value.string_value = "service.name", "warm-up"
    lists: list[list[dict[str, Any]]] = []
    for size in (otlp._FLOOR, 2):
        ss, dicts = rs.scope_spans.add(), []
        for k in range(size):
            span = ss.spans.add()
            span.trace_id, span.span_id = bytes(15) + b"\x01", (k + 1).to_bytes(8, "big")
            if k:
                span.parent_span_id = (1).to_bytes(8, "big")
            span.name, span.start_time_unix_nano, span.end_time_unix_nano = "warm-up", t0 + k, t0 + k + 1
            kv = span.attributes.add()
            kv.key, kv.value.string_value = "gen_ai.operation.name", "chat"
            kv = span.attributes.add()
            kv.key, kv.value.int_value = "gen_ai.usage.input_tokens", 1
            dicts.append(
                {
                    "traceId": span.trace_id.hex(),
                    "spanId": span.span_id.hex(),
                    "parentSpanId": span.parent_span_id.hex(),
                    "name": span.name,
                    "startTimeUnixNano": str(span.start_time_unix_nano),
                    "endTimeUnixNano": str(span.end_time_unix_nano),
                    "attributes": [
                        {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                        {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "1"}},
                    ],
                }
            )
        lists.append(dicts)
    doc = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "warm-up"}}]},
                "scopeSpans": [{"spans": dicts} for dicts in lists],
            }
        ]
    }
    out = []
    for raw, kind in ((request.SerializeToString(), otlp.PROTOBUF), (orjson.dumps(doc), otlp.JSON)):
        decoded = otlp.decode(raw, kind, blocks=True)
        encode_mapped(decoded.entries)
        otlp.success(kind, decoded)
        out.append(decoded)
    return out


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    collector: Collector


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: exporters reuse one connection
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
        collector = self.server.collector
        if self.path.split("?", 1)[0] != TRACES_PATH:
            self._reply(404, otlp.JSON, b'{"code": 5, "message": "POST /v1/traces"}', close=True)
            return
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._reply(411, otlp.JSON, b'{"code": 3, "message": "Content-Length required"}', close=True)
            return
        kind = otlp.PROTOBUF if otlp.media_type(self.headers.get("Content-Type")) == otlp.PROTOBUF else otlp.JSON
        if int(length) > collector.limits.max_body_bytes:
            collector.counters.add(malformed=1)
            self._reply(
                413, kind, otlp.status(kind, 3, f"body over {collector.limits.max_body_bytes} bytes"), close=True
            )
            return
        if not collector._slots.acquire(blocking=False):
            status, body, headers = collector._throttle(429, kind, "too many requests in flight; retry later")
            self._reply(status, kind, body, headers, close=True)
            return
        try:
            body = self.rfile.read(int(length))
            try:
                status, reply, headers = collector.receive(
                    body, self.headers.get("Content-Type"), self.headers.get("Content-Encoding")
                )
            except Exception as exc:  # a bug, not the client's: say so, stay up, acknowledge nothing
                collector.counters.add(errors=1)
                status, reply, headers = 500, otlp.status(kind, 13, f"{type(exc).__name__}: {exc}"), {}
        finally:
            collector._slots.release()
        self._reply(status, kind, reply, headers)

    def do_GET(self) -> None:  # noqa: N802
        if self.path.split("?", 1)[0] in ("/status", "/"):
            self._reply(200, otlp.JSON, orjson.dumps(self.server.collector.status()))
        else:
            self._reply(404, otlp.JSON, b'{"code": 5, "message": "GET /status"}')

    def _reply(
        self, status: int, kind: str, body: bytes, headers: dict[str, str] | None = None, close: bool = False
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if close:  # the body was not read: the connection cannot carry another request
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the counters say it
        pass
