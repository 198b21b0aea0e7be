"""OTLP/HTTP trace requests: bodies in, replies out (no sockets here).

A body is protobuf (``application/x-protobuf``) or OTLP JSON (``application/json``),
optionally gzip- or deflate-compressed. Both go through the one mapping of the file
importer, ``evaltui.ingest.otel``: JSON as it is, protobuf decoded with
``opentelemetry-proto``. On the receive path (``decode(..., blocks=True)``) a protobuf
list of spans in the common shape is mapped into a MappedBlock straight from the decoded
message (``_protobuf_block``, with the mapping's own rules, ``otel.span_fields``); any
other list is turned into the shape of OTLP JSON (attributes already as plain mappings)
and mapped as JSON is (``otel.map_spans``), as the whole request is without ``blocks``.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass, field
from collections.abc import Iterator
from typing import Any

import orjson

from evaltui.ingest.otel import (
    MappedBlock,
    MappedSpan,
    MappingProblem,
    block_of,
    span_fields,
    epoch_times,
    map_export,
    map_export_blocks,
    map_spans,
    resource_common,
)

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
    entries: Iterator[MappedSpan | MappedBlock | MappingProblem]
    if kind == PROTOBUF:
        request = _protobuf_request(body)
        entries = _protobuf_entries(request) if blocks else map_export(_protobuf_document(request))
    elif kind == JSON:
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"body is not JSON: {exc}") from None
        entries = map_export_blocks(doc) if blocks else map_export(doc)
    else:
        raise BadRequest(f"unsupported Content-Type {kind or '(none)'!r} ({PROTOBUF} or {JSON})", 415)
    out = Decoded()
    spans: list[Any] = out.entries if blocks else out.spans
    for entry in entries:
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


def _protobuf_request(body: bytes) -> Any:
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        raise BadRequest(f"body is not an OTLP protobuf ExportTraceServiceRequest: {exc}") from None
    return request


def _protobuf_document(request: Any) -> dict[str, Any]:
    """The request in the shape of OTLP JSON (ids as hex, attributes as plain mappings)."""
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": _attrs(rs.resource.attributes)},
                "scopeSpans": [{"spans": [_span(s) for s in ss.spans]} for ss in rs.scope_spans],
            }
            for rs in request.resource_spans
        ]
    }


def _protobuf_entries(request: Any) -> Iterator[MappedSpan | MappedBlock | MappingProblem]:
    """``map_export_blocks`` of ``_protobuf_document(request)``, the same entries, with
    each list of spans in the common shape mapped into a MappedBlock straight from the
    decoded message (``_protobuf_block``: no OTLP-JSON dict per span); any other list is
    turned into those dicts and mapped as before."""
    for i, rs in enumerate(request.resource_spans):
        common = resource_common(_attrs(rs.resource.attributes))
        for j, ss in enumerate(rs.scope_spans):
            spans = list(ss.spans)
            where = ("resourceSpans", i, "scopeSpans", j)
            block = _protobuf_block(spans, common) if len(spans) >= _FLOOR else None
            if block is not None:
                yield block
            elif len(spans) < _FLOOR:
                yield from map_spans([_span(s) for s in spans], common, where, True)
            else:  # (the whole list was just tried as a block: not again as one run)
                yield from _protobuf_runs(spans, common, where, whole_tried=True)


def _protobuf_runs(
    spans: list[Any], common: dict[str, Any], where: tuple[str | int, ...], whole_tried: bool = False
) -> Iterator[MappedSpan | MappedBlock | MappingProblem]:
    """A list not in the common shape as a whole (a span with events, an odd id or time):
    each run of at least ``_FLOOR`` spans in the common shape as a block, the other spans
    one by one, in order (the same entries, as ``encode_mapped`` encodes them, as the list span by span).
    A run the block cannot take (a span the mapping rejects, reports or scores) goes span
    by span, so each problem is reported as before, at its place in the whole list.
    ``whole_tried``: the caller tried the whole list as a block and it could not be one, so
    a run that is the whole list goes span by span at once (the block is not tried twice)."""
    # Runs of spans in the common shape long enough to pay for a block (``_FLOOR``); the
    # spans between them (odd, or in shorter runs) go span by span, together.
    plain = [_plain(s) for s in spans]
    runs: list[tuple[int, int]] = []  # (start, end) of each run long enough
    k = 0
    while k < len(spans):
        end = k + 1
        while end < len(spans) and plain[end] == plain[k]:
            end += 1
        if plain[k] and end - k >= _FLOOR:
            runs.append((k, end))
        k = end
    done = 0
    for start, end in [*runs, (len(spans), len(spans))]:
        if done < start:
            yield from map_spans([_span(s) for s in spans[done:start]], common, where, True, first=done)
        if start < end:
            tried = whole_tried and start == 0 and end == len(spans)
            block = None if tried else _protobuf_block(spans[start:end], common)
            if block is not None:
                yield block
            else:  # span by span (the dicts' block would fail as the message's did: not tried)
                yield from map_spans([_span(s) for s in spans[start:end]], common, where, False, first=start)
        done = end


_NULL_PARENT = bytes(8)
_ERROR = 2  # Status.STATUS_CODE_ERROR
_FLOOR = 16  # spans: a shorter list is mapped span by span (the block's fixed cost is more)


def _plain(s: Any) -> bool:
    """A span in the common shape as ``_protobuf_block`` takes it: ids of 16 and 8 bytes, a
    parent absent or of 8 bytes, no events, both times in ``otel.epoch_times``'s range."""
    return (
        len(s.trace_id) == 16
        and len(s.span_id) == 8
        and len(s.parent_span_id) in (0, 8)
        and not s.events
        and 10**17 <= s.start_time_unix_nano < 10**20
        and 10**17 <= s.end_time_unix_nano < 10**20
    )


def _protobuf_block(spans: list[Any], common: dict[str, Any]) -> MappedBlock | None:
    """``otel._block`` of the protobuf spans' OTLP-JSON dicts (``_span``), read from the
    messages: None unless the list is in the common shape as ``_block`` takes it (ids of
    16 and 8 bytes, a parent absent or of 8 bytes, both times set, no
    events), and when the mapping reports anything (then the caller maps the dicts)."""
    trace_ids = [s.trace_id for s in spans]
    span_ids = [s.span_id for s in spans]
    parent_ids = [s.parent_span_id for s in spans]
    if set(map(len, trace_ids)) != {16} or set(map(len, span_ids)) != {8} or not set(map(len, parent_ids)) <= {0, 8}:
        return None
    if any(s.events for s in spans):
        return None
    # 0 is an unset time: its dict has None, and _span_times leaves the list to _span
    times = epoch_times([s.start_time_unix_nano for s in spans], [s.end_time_unix_nano for s in spans])
    if times is None:
        return None
    parents: list[str | None] = [
        None if not p or p == _NULL_PARENT else p.hex()  # empty or all zeros: no parent (otel._NULL_ID)
        for p in parent_ids
    ]
    no_events: list[Any] = []
    problems: list[str] = []
    rows = []
    try:
        for s, parent_id, (_, _, latency) in zip(spans, parents, times):
            status = None
            if s.HasField("status") and (st := s.status).code == _ERROR:
                status = {"code": _ERROR, "message": st.message}  # what span_fields reads of it
            rows.append(
                span_fields(s.name, status, _attrs(s.attributes), no_events, parent_id, latency, common, problems)
            )
    except Exception:  # a span the dicts' way would reject or report: the list goes that way
        return None
    return block_of([t.hex() for t in trace_ids], [t.hex() for t in span_ids], parents, times, rows, problems)


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
        # The usual kinds inline (this runs for every attribute of every span received): a
        # string first, without WhichOneof (a non-empty string_value is the oneof's value).
        if text := v.string_value:
            out[kv.key] = text
        elif v.WhichOneof("value") == "int_value":
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
