"""OTLP/HTTP trace requests: bodies in, replies out (no sockets here).

A body is protobuf (``application/x-protobuf``) or OTLP JSON (``application/json``),
optionally gzip- or deflate-compressed. Protobuf is decoded with ``opentelemetry-proto``
and turned into the shape of OTLP JSON (attributes already as plain mappings), so both
go through the one mapping of the file importer, ``evaltui.ingest.otel.map_export``.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from evaltui.ingest.otel import MappedBlock, MappedSpan, MappingProblem, map_export, map_export_blocks

PROTOBUF = "application/x-protobuf"
JSON = "application/json"


class BadRequest(Exception):
    """A request the server refuses with ``status`` (400, 413, 415) and this reason."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class Decoded:
    """A request's spans, and what could not be read of it."""

    spans: list[MappedSpan] = field(default_factory=list)
    # with ``decode(..., blocks=True)``, instead: the spans one by one and in blocks, in order
    entries: list[MappedSpan | MappedBlock] = field(default_factory=list)
    rejected: int = 0  # spans dropped whole
    problems: list[str] = field(default_factory=list)


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """The body without its Content-Encoding; more than ``limit`` bytes is refused (a
    small gzip body can expand without bound)."""
    encoding = (encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "deflate"):
        raise BadRequest(f"unsupported Content-Encoding {encoding!r} (gzip, deflate or none)", 415)
    wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
    try:
        d = zlib.decompressobj(wbits)
        out = d.decompress(body, limit + 1)
        if len(out) > limit or d.unconsumed_tail:
            raise BadRequest(f"body is larger than {limit} bytes once decompressed", 413)
        if not d.eof:
            raise BadRequest(f"{encoding} body is truncated")
    except zlib.error as exc:
        raise BadRequest(f"body is not valid {encoding}: {exc}") from None
    return out


def decode(body: bytes, content_type: str | None, blocks: bool = False) -> Decoded:
    """Map a trace export request's body to evaltui spans; raise BadRequest when the body
    as a whole cannot be read (a span that cannot be read is counted as rejected). With
    ``blocks``, the spans go to ``entries``, lists of the common shape as MappedBlocks
    (``map_export_blocks``: the receive path; ``committer.encode_mapped`` encodes them)."""
    kind = media_type(content_type)
    if kind == PROTOBUF:
        doc = _protobuf_document(body)
    elif kind == JSON:
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"body is not JSON: {exc}") from None
    else:
        raise BadRequest(f"unsupported Content-Type {kind or '(none)'!r} ({PROTOBUF} or {JSON})", 415)
    out = Decoded()
    spans: list[Any] = out.entries if blocks else out.spans
    for entry in map_export_blocks(doc) if blocks else map_export(doc):
        if isinstance(entry, MappingProblem):
            if not entry.where and not spans:
                raise BadRequest(entry.reason)
            if not entry.partial:
                out.rejected += 1
            out.problems.append(_where(entry) + entry.reason)
        else:
            spans.append(entry)
    return out


def _where(problem: MappingProblem) -> str:
    w = problem.where
    return f"span {w[5]} of scope {w[3]} of resource {w[1]}: " if len(w) == 6 else ""


def _protobuf_document(body: bytes) -> dict[str, Any]:
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        raise BadRequest(f"body is not an OTLP protobuf ExportTraceServiceRequest: {exc}") from None
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": _attrs(rs.resource.attributes)},
                "scopeSpans": [{"spans": [_span(s) for s in ss.spans]} for ss in rs.scope_spans],
            }
            for rs in request.resource_spans
        ]
    }


def _span(s: Any) -> dict[str, Any]:
    events = s.events
    status = s.status
    return {
        "traceId": s.trace_id.hex(),
        "spanId": s.span_id.hex(),
        "parentSpanId": s.parent_span_id.hex() or None,
        "name": s.name,
        "startTimeUnixNano": s.start_time_unix_nano or None,
        "endTimeUnixNano": s.end_time_unix_nano or None,
        "attributes": _attrs(s.attributes),
        "events": [{"name": e.name, "attributes": _attrs(e.attributes)} for e in events] if events else [],
        "status": {"code": status.code, "message": status.message},
    }


def _attrs(kvs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in kvs:
        v = kv.value
        kind = v.WhichOneof("value")
        # The usual kinds inline (this runs for every attribute of every span received).
        if kind == "string_value":
            out[kv.key] = v.string_value
        elif kind == "int_value":
            out[kv.key] = v.int_value
        else:
            out[kv.key] = _value(v)
    return out


def _value(v: Any) -> Any:
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return _attrs(v.kvlist_value.values)
    if kind == "bytes_value":
        return base64.b64encode(v.bytes_value).decode()  # as OTLP JSON writes bytes
    return getattr(v, kind)


# -- replies ---------------------------------------------------------------


def success(kind: str, decoded: Decoded) -> bytes:
    """An ExportTraceServiceResponse, with partial_success when spans were rejected."""
    message = "; ".join(decoded.problems[:5])
    if kind == PROTOBUF:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

        response = ExportTraceServiceResponse()
        if decoded.problems:
            response.partial_success.rejected_spans = decoded.rejected
            response.partial_success.error_message = message
        return bytes(response.SerializeToString())
    if not decoded.problems:
        return b"{}"
    return orjson.dumps({"partialSuccess": {"rejectedSpans": str(decoded.rejected), "errorMessage": message}})


def status(kind: str, code: int, message: str) -> bytes:
    """A google.rpc.Status body (what OTLP/HTTP sends with a 4xx or 5xx), in the request's
    encoding: protobuf for protobuf requests, else JSON."""
    if kind == PROTOBUF:
        text = message.encode()
        return b"\x08" + _varint(code) + b"\x12" + _varint(len(text)) + text
    return orjson.dumps({"code": code, "message": message})


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)
