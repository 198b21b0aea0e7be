"""Running a real `evaltui serve` for the serve tests, and OTLP requests to send it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from evaltui.store.connections import reading
from tests.helpers import EVALTUI


class Serve:
    """An `evaltui serve` subprocess on a free loopback port."""

    def __init__(self, db: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.db = db
        self.log = db.with_name(f"{db.name}.serve-{time.monotonic_ns()}.log")
        with open(self.log, "wb") as err:
            self.proc = subprocess.Popen(
                [*EVALTUI, "serve", "--db", str(db), "--port", "0", *args],
                stdout=subprocess.DEVNULL,
                stderr=err,
                env={**os.environ, **(env or {})},
            )
        self.port = int(wait_for(lambda: _port(self.log) or self._alive(), 60, "serve to listen"))
        self.url = f"http://127.0.0.1:{self.port}/v1/traces"

    def __enter__(self) -> Serve:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:  # a failed test: leave no server behind
            self.proc.kill()
            self.proc.wait(30)

    def _alive(self) -> None:
        if self.proc.poll() is not None:
            raise AssertionError(f"serve exited {self.proc.returncode}: {self.log.read_text()}")

    def status(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/status", timeout=10) as r:
            return json.loads(r.read())

    def stop(self) -> int:
        self.proc.terminate()
        return self.proc.wait(60)

    def output(self) -> str:
        return self.log.read_text()


def _port(log: Path) -> int | None:
    m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", log.read_text())
    return int(m.group(1)) if m else None


def wait_for(condition, timeout: float, what: str):
    """Poll ``condition`` until it returns something truthy (a state, never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def post(
    url: str,
    body: bytes,
    content_type: str = "application/x-protobuf",
    encoding: str | None = None,
    timeout: float = 30,
) -> tuple[int, bytes, dict[str, str]]:
    headers = {"Content-Type": content_type}
    if encoding:
        headers["Content-Encoding"] = encoding
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def otlp_json(spans: list[dict[str, Any]], service: str = "shop-bot") -> dict[str, Any]:
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
                "scopeSpans": [{"scope": {"name": "test"}, "spans": spans}],
            }
        ]
    }


def chat_spans(trace: int, turns: int = 1, start_ns: int = 1_765_000_000_000_000_000) -> list[dict[str, Any]]:
    """A conversation in OTLP JSON: a root with the GenAI messages and ``turns`` chat spans."""
    trace_id = f"{trace:032x}"
    root = f"{trace:012x}0000"
    spans = [
        {
            "traceId": trace_id,
            "spanId": root,
            "name": "conversation",
            "startTimeUnixNano": str(start_ns + trace),
            "endTimeUnixNano": str(start_ns + trace + 5_000_000),
            "attributes": [
                {
                    "key": "gen_ai.input.messages",
                    "value": {
                        "stringValue": json.dumps(
                            [{"role": "user", "parts": [{"type": "text", "content": f"where is order {trace}?"}]}]
                        )
                    },
                },
                {
                    "key": "gen_ai.output.messages",
                    "value": {
                        "stringValue": json.dumps(
                            [{"role": "assistant", "parts": [{"type": "text", "content": "it ships today"}]}]
                        )
                    },
                },
            ],
        }
    ]
    for t in range(turns):
        spans.append(
            {
                "traceId": trace_id,
                "spanId": f"{trace:012x}{t + 1:04x}",
                "parentSpanId": root,
                "name": "chat",
                "startTimeUnixNano": str(start_ns + trace + t),
                "endTimeUnixNano": str(start_ns + trace + t + 1_000_000),
                "attributes": [
                    {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                    {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-test"}},
                    {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "12"}},
                ],
            }
        )
    return spans


def protobuf(doc: dict[str, Any]) -> bytes:
    """The same request as protobuf, through opentelemetry-proto's own JSON parser."""
    from google.protobuf.json_format import ParseDict

    return ParseDict(_b64_ids(doc), ExportTraceServiceRequest()).SerializeToString()


def _b64_ids(doc: Any) -> Any:
    """protobuf's JSON mapping writes bytes as base64, OTLP JSON writes ids as hex."""
    import base64

    if isinstance(doc, list):
        return [_b64_ids(x) for x in doc]
    if isinstance(doc, dict):
        return {
            k: base64.b64encode(bytes.fromhex(v)).decode()
            if k in ("traceId", "spanId", "parentSpanId")
            else _b64_ids(v)
            for k, v in doc.items()
        }
    return doc


_RAISE: Any = object()


def stored(db: Path, sql: str = "SELECT count(*) FROM spans", busy: Any = _RAISE) -> Any:
    """One value read by another process's way: a short read-only connection (which waits
    up to 5 s for a writer, as the app's reads do). ``busy``: returned instead of raising
    when the writer held the file longer (a wait on state says "not yet")."""
    from evaltui.errors import StoreBusy

    if not db.exists():
        return 0
    try:
        with reading(db) as store:
            return store.con.execute(sql).fetchall()[0][0]
    except StoreBusy:
        if busy is _RAISE:
            raise
        return busy
