"""`evaltui serve`'s receive path maps lists of spans in the common shape as blocks of
columns (``otel.map_export_blocks``, ``committer.encode_mapped``): the spool records, the
rejected counts and the problems must be exactly those of the span-by-span mapping
(``otel.map_export``, ``committer.encode_spans``), on the fixtures and on documents
mutated every way the mapping treats specially."""

from __future__ import annotations

import base64
import copy
import json
import os
import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from evaltui.collect import otlp
from evaltui.collect.committer import decode_record, encode_mapped, encode_spans
from evaltui.ingest import otel
from tests.serving import chat_spans, otlp_json

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ingest"


def _both(body: bytes, content: str) -> tuple[Any, Any, int]:
    """(the span-by-span result, the blocks' result, spans mapped in blocks) of one body."""

    def run(blocks: bool) -> Any:
        try:
            decoded = otlp.decode(body, content, blocks=blocks)
        except otlp.BadRequest as exc:
            return ("bad", str(exc), exc.status), 0
        if blocks:
            encoded = encode_mapped(decoded.entries)
            in_blocks = sum(len(e) for e in decoded.entries if isinstance(e, otel.MappedBlock))
        else:
            encoded = encode_spans(decoded.spans)
            in_blocks = 0
        return (decoded.rejected, decoded.problems, encoded.payload, encoded.spans, encoded.unstorable), in_blocks

    old, _ = run(False)
    new, in_blocks = run(True)
    return old, new, in_blocks


def _spans(doc: dict[str, Any]) -> list[Any]:
    return [s for rs in doc["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]


def _base_docs() -> list[dict[str, Any]]:
    genai = json.loads((FIXTURES / "otel_genai.json").read_text())
    docs = [genai]
    for line in (FIXTURES / "otel_broken.jsonl").read_text().splitlines():
        try:
            docs.append(json.loads(line))
        except ValueError:
            pass
    # long lists (16 spans or more: the block path is tried on them)
    docs.append({"resourceSpans": [{"scopeSpans": [{"spans": copy.deepcopy(_spans(genai)) * 4}]}]})
    docs.append(otlp_json([s for trace in range(30) for s in chat_spans(trace, turns=3)]))
    return docs


def _attr(key: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"key": key, "value": value}


def _mutate(span: Any, rng: random.Random) -> Any:
    """One of the shapes the mapping treats specially (or cannot read)."""
    if not isinstance(span, dict):
        return span
    s = copy.deepcopy(span)
    attrs = s.setdefault("attributes", [])
    pick = rng.randrange(34)
    if pick == 0:
        s["traceId"] = s.get("traceId", "").upper() if isinstance(s.get("traceId"), str) else s.get("traceId")
    elif pick == 1:
        s["spanId"] = (
            base64.b64encode(bytes.fromhex(s["spanId"])).decode()
            if isinstance(s.get("spanId"), str) and len(s["spanId"]) == 16
            else "zz"
        )
    elif pick == 2:
        s["spanId"] = rng.choice(["", None, 12, "abc", "0" * 16, "G" * 16])
    elif pick == 3:
        s["parentSpanId"] = rng.choice(["", None, "0" * 16, "0", "000\n", "ABCDEF0123456789", 5, "x" * 16])
    elif pick == 4:
        s["startTimeUnixNano"] = rng.choice(
            [None, "", "2026-01-01T00:00:00Z", 1_765_000_000_000_000_000, "12", -1, 1.5e18]
        )
    elif pick == 5:
        s["endTimeUnixNano"] = rng.choice([None, "1765000000000000000", 10**20, "٣" * 19])
    elif pick == 6:
        s["attributes"] = rng.choice([None, {}, {"gen_ai.operation.name": "chat"}, "bad", [1, 2], [{"key": 3}]])
    elif pick == 7:
        attrs.append(
            _attr("gen_ai.usage.output_tokens", {"intValue": rng.choice(["7", "x", 2**70, "99999999999999999999999"])})
        )
    elif pick == 8:
        attrs.append(_attr("big", {"intValue": str(2**70)}))  # Arrow/JSON cannot hold it: unstorable
    elif pick == 9:
        attrs.append(_attr("ratio", {"doubleValue": rng.choice([0.5, "NaN", "x", 1e308])}))
    elif pick == 10:
        attrs.append(_attr("flag", {"boolValue": True}))
    elif pick == 11:
        attrs.append(_attr("tags", {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "2"}]}}))
    elif pick == 12:
        attrs.append(_attr("kv", {"kvlistValue": {"values": [{"key": "a", "value": {"stringValue": "b"}}]}}))
    elif pick == 13:
        s["events"] = [{"name": "gen_ai.user.message", "attributes": [_attr("content", {"stringValue": "hi"})]}]
    elif pick == 14:
        s["events"] = [
            {
                "name": "gen_ai.evaluation.result",
                "attributes": [
                    _attr("gen_ai.evaluation.name", {"stringValue": "relevance"}),
                    _attr("gen_ai.evaluation.score.value", {"doubleValue": 0.8}),
                ],
            }
        ]
    elif pick == 15:
        s["events"] = rng.choice([[], None, "", {}, "bad", [{"name": "exception"}], [1]])
    elif pick == 16:
        s["status"] = rng.choice(
            [
                {"code": 2, "message": "boom"},
                {"code": "STATUS_CODE_ERROR"},
                {"code": 1},
                "x",
                {"code": 2, "message": {"message": "m"}},
            ]
        )
    elif pick == 17:
        attrs.append(
            _attr(
                "input.value",
                {"stringValue": rng.choice(['{"q": 1}', "[1,", "plain", '[{"role": "user", "content": "hi"}]'])},
            )
        )
        attrs.append(_attr("output.value", {"stringValue": '{"a": "b"}'}))
    elif pick == 18:
        attrs.append(_attr("openinference.span.kind", {"stringValue": rng.choice(["LLM", "tool", "CHAIN", "odd"])}))
    elif pick == 19:
        attrs.append(_attr("gen_ai.tool.name", {"stringValue": "lookup"}))
        attrs.append(_attr("gen_ai.tool.call.arguments", {"stringValue": '{"id": 3}'}))
    elif pick == 20:
        attrs.append(
            _attr(
                "gen_ai.input.messages",
                {"stringValue": rng.choice(["not json", "[{}]", '[{"role": "user", "content": "x"}]', "{}"])},
            )
        )
    elif pick == 21:
        attrs.append(_attr("gen_ai.prompt.0.content", {"stringValue": "hello"}))
        attrs.append(_attr("gen_ai.completion.0.content", {"stringValue": "hi"}))
    elif pick == 22:
        attrs.append(_attr("gen_ai.system_instructions", {"stringValue": '[{"type": "text", "content": "be nice"}]'}))
    elif pick == 23:
        s["name"] = rng.choice([None, "", 5, "ünïcode", "x" * 300])
    elif pick == 24:
        attrs.append(_attr("gen_ai.response.model", {"stringValue": rng.choice(["", "m2"])}))
    elif pick == 25:
        attrs.append(_attr("topic", {"stringValue": "billing"}))
    elif pick == 26:
        s.pop("parentSpanId", None)  # a second root of its trace
    elif pick == 27:
        return rng.choice([None, 3, "span", []])
    elif pick == 28:
        attrs.append(_attr("service.name", {"stringValue": "overridden"}))
    elif pick == 29:
        attrs.append(_attr("nothing", {}))
    elif pick == 30:
        attrs.append(_attr("bytes", {"bytesValue": "AAEC"}))
    elif pick == 31:
        s["traceId"] = rng.choice(["A" * 32, "0" * 32, "g" * 32, "ab"])
    elif pick == 32:
        attrs.append(
            _attr(
                "gen_ai.operation.name",
                {"stringValue": rng.choice(["embeddings", "execute_tool", "invoke_agent", "other"])},
            )
        )
    else:
        attrs.append(_attr("surrogate", {"stringValue": "\ud800"}))
    return s


def mutated_docs(seed: int, count: int) -> list[dict[str, Any]]:
    """``count`` documents from the base ones: some spans mutated, or every span of a list
    mutated the same way (so a block may still take them), or lists cut and shuffled."""
    rng = random.Random(seed)
    bases = _base_docs()
    out = []
    for _ in range(count):
        doc = copy.deepcopy(rng.choice(bases))
        for rs in doc.get("resourceSpans", []):
            if not isinstance(rs, dict):
                continue
            for ss in rs.get("scopeSpans") or []:
                if not isinstance(ss, dict) or not isinstance(ss.get("spans"), list):
                    continue
                spans = ss["spans"]
                mode = rng.randrange(4)
                if mode == 0 and spans:
                    k = rng.randrange(len(spans))
                    spans[k] = _mutate(spans[k], rng)
                elif mode == 1:
                    state = rng.getstate()
                    for k, sp in enumerate(spans):  # the same mutation on each
                        rng.setstate(state)
                        spans[k] = _mutate(sp, rng)
                elif mode == 2:
                    rng.shuffle(spans)
                    del spans[rng.randrange(len(spans) + 1) :]
                else:
                    for k in range(len(spans)):
                        if rng.random() < 0.1:
                            spans[k] = _mutate(spans[k], rng)
        out.append(doc)
    return out


def _protobuf(doc: dict[str, Any]) -> bytes | None:
    from google.protobuf.json_format import ParseDict
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    doc = copy.deepcopy(doc)
    try:
        for s in _spans(doc):
            for k in ("traceId", "spanId", "parentSpanId"):
                if s.get(k):
                    s[k] = base64.b64encode(bytes.fromhex(s[k])).decode()
        return bytes(ParseDict(doc, ExportTraceServiceRequest(), ignore_unknown_fields=True).SerializeToString())
    except Exception:
        return None


def _check(docs: list[dict[str, Any]]) -> tuple[int, int, int]:
    """Every document, as JSON and (when it converts) as protobuf: the same results both
    ways; returns (bodies compared, spans encoded, spans mapped in blocks)."""
    bodies = encoded = in_blocks = 0
    for doc in docs:
        forms = [(json.dumps(doc).encode(), otlp.JSON)]
        pb = _protobuf(doc)
        if pb is not None:
            forms.append((pb, otlp.PROTOBUF))
        for body, content in forms:
            old, new, n = _both(body, content)
            assert new == old, (content, doc)
            bodies += 1
            in_blocks += n
            if old[0] != "bad":
                encoded += old[3]
    return bodies, encoded, in_blocks


def test_blocks_map_the_fixtures_as_span_by_span():
    bodies, encoded, in_blocks = _check(_base_docs())
    assert in_blocks >= 100  # the long lists went the block way
    assert encoded > in_blocks  # and the short ones span by span


def test_blocks_map_mutated_documents_as_span_by_span():
    count = int(os.environ.get("EVALTUI_BLOCK_DOCS", "400"))
    bodies, encoded, in_blocks = _check(mutated_docs(seed=18, count=count))
    assert bodies >= count
    assert in_blocks > 0 and encoded > in_blocks


def test_a_block_keeps_a_span_arrow_cannot_hold_out_and_its_root_in():
    spans = [s for trace in range(1, 9) for s in chat_spans(trace, turns=2)]
    spans[0]["attributes"].append(_attr("big", {"intValue": str(2**70)}))  # trace 0's root
    body = orjson.dumps(otlp_json(spans))
    decoded = otlp.decode(body, otlp.JSON, blocks=True)
    assert [type(e) for e in decoded.entries] == [otel.MappedBlock]
    encoded = encode_mapped(decoded.entries)
    assert encoded.spans == len(spans) - 1 and len(encoded.unstorable) == 1
    table, _ = decode_record(encoded.payload)
    rows = table.to_pylist()
    children = [r for r in rows if r["_trace_id"] == f"{1:032x}"]
    assert children and all(r["root_id"] == spans[0]["spanId"] for r in children)
    assert encoded.payload == encode_spans(otlp.decode(body, otlp.JSON).spans).payload


@pytest.mark.parametrize("content", [otlp.JSON, otlp.PROTOBUF])
def test_a_list_with_one_unusual_span(content):
    """JSON: the list goes span by span. Protobuf: the spans before and after it go as
    blocks, it alone span by span; the same records either way."""
    spans = [s for trace in range(1, 9) for s in chat_spans(trace, turns=2)]
    spans[5]["events"] = [{"name": "gen_ai.choice", "attributes": [_attr("content", {"stringValue": "ok"})]}]
    doc = otlp_json(spans)
    body = orjson.dumps(doc) if content == otlp.JSON else _protobuf(doc)
    assert body is not None
    decoded = otlp.decode(body, content, blocks=True)
    if content == otlp.JSON:
        assert all(isinstance(e, otel.MappedSpan) for e in decoded.entries)
    else:
        # (the 5 spans before it: too few to pay for a block, as a list under 16 spans)
        assert [(type(e), len(e) if isinstance(e, otel.MappedBlock) else 1) for e in decoded.entries] == [
            *[(otel.MappedSpan, 1)] * 6,
            (otel.MappedBlock, 18),
        ]
    old, new, _ = _both(body, content)
    assert new == old


# -- protobuf: lists in the common shape mapped straight from the decoded message -----


def _request(doc: dict[str, Any]) -> Any:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest()
    body = _protobuf(doc)
    assert body is not None
    request.ParseFromString(body)
    return request


def _json_twin(request: Any) -> bytes:
    """The request as OTLP JSON (protobuf's JSON mapping, ids as hex as OTLP JSON writes them)."""
    from google.protobuf.json_format import MessageToDict

    doc = MessageToDict(request)
    for rs in doc.get("resourceSpans", []):
        for ss in rs.get("scopeSpans", []):
            for s in ss.get("spans", []):
                for k in ("traceId", "spanId", "parentSpanId"):
                    if k in s:
                        s[k] = base64.b64decode(s[k]).hex()
    return orjson.dumps(doc)


def _set(span: Any, key: str, kind: str, value: Any) -> None:
    kv = span.attributes.add()
    kv.key = key
    if kind:
        setattr(kv.value, kind, value)


def _pb_mutate(span: Any, pick: int) -> None:
    """One of the shapes the mapping treats specially, on a protobuf Span."""
    if pick == 0:
        span.ClearField("parent_span_id")  # a root (a second one of its trace for a child)
    elif pick == 1:
        span.parent_span_id = bytes(8)  # all zeros: no parent
    elif pick == 2:
        span.parent_span_id = bytes.fromhex("0102030405")  # the wrong length
    elif pick == 3:
        span.span_id = bytes(range(1, 5))
    elif pick == 4:
        span.trace_id = bytes(range(1, 9))
    elif pick == 5:
        span.ClearField("trace_id")
    elif pick == 6:
        span.span_id = bytes(8)
    elif pick == 7:
        ev = span.events.add()
        ev.name = "gen_ai.choice"
        _set(ev, "content", "string_value", "ok")
    elif pick == 8:
        ev = span.events.add()
        ev.name = "gen_ai.evaluation.result"
        _set(ev, "gen_ai.evaluation.name", "string_value", "relevance")
        _set(ev, "gen_ai.evaluation.score.value", "double_value", 0.25)
    elif pick == 9:
        ev = span.events.add()
        ev.name = "exception"
        _set(ev, "exception.message", "string_value", "boom")
    elif pick == 10:
        span.status.code = 2
        span.status.message = "failed"
    elif pick == 11:
        span.status.code = 2
    elif pick == 12:
        span.status.code = 1
        span.status.message = "fine"
    elif pick == 13:
        span.start_time_unix_nano = 0
    elif pick == 14:
        span.end_time_unix_nano = 5  # before the start, out of the usual range
    elif pick == 15:
        span.end_time_unix_nano = span.start_time_unix_nano - 3_000_000_000
    elif pick == 16:
        _set(span, "flag", "bool_value", True)
        _set(span, "ratio", "double_value", 0.5)
        _set(span, "zero", "double_value", 0.0)
        _set(span, "nan", "double_value", float("nan"))
        _set(span, "inf", "double_value", float("inf"))
    elif pick == 17:
        _set(span, "big", "int_value", 2**63 - 1)
        _set(span, "neg", "int_value", -7)
        _set(span, "zero", "int_value", 0)
        _set(span, "gen_ai.usage.output_tokens", "int_value", 9)
        _set(span, "gen_ai.usage.prompt_tokens", "string_value", "11")
    elif pick == 18:
        _set(span, "blob", "bytes_value", b"\x00\x01\xff")
        _set(span, "empty", "", None)  # an AnyValue with no value
        _set(span, "blank", "string_value", "")
    elif pick == 19:
        kv = span.attributes.add()
        kv.key = "tags"
        kv.value.array_value.values.add().string_value = "a"
        kv.value.array_value.values.add().int_value = 2
        kv.value.array_value.values.add()
        kv = span.attributes.add()
        kv.key = "kv"
        inner = kv.value.kvlist_value.values.add()
        inner.key = "x"
        inner.value.double_value = 1.5
    elif pick == 20:
        _set(span, "gen_ai.operation.name", "string_value", "chat")
        _set(span, "gen_ai.operation.name", "string_value", "execute_tool")  # the last one counts
        _set(span, "gen_ai.tool.call.arguments", "string_value", '{"id": 3}')
    elif pick == 21:
        _set(span, "gen_ai.input.messages", "string_value", "not json")  # a problem: the span is rejected
    elif pick == 22:
        _set(span, "input.value", "string_value", '{"q": 1}')
        _set(span, "output.value", "string_value", "[1,")
        _set(span, "openinference.span.kind", "string_value", "LLM")
    elif pick == 23:
        _set(span, "gen_ai.prompt.0.content", "string_value", "hello")
        _set(span, "gen_ai.completion.0.content", "string_value", "hi")
    elif pick == 24:
        span.name = ""
    elif pick == 25:
        _set(span, "service.name", "string_value", "overridden")
        _set(span, "gen_ai.response.model", "string_value", "m2")
    elif pick == 26:
        _set(span, "big", "string_value", "\u00fcn\u00efcode \U0001f600")
    else:
        _set(span, "gen_ai.usage.input_tokens", "bool_value", True)  # not a count


_PB_PICKS = 28


def _pb_requests(seed: int, count: int) -> list[Any]:
    """Requests of 30 conversations (150 spans; one scope, or two resources of two scopes,
    some short), some spans mutated: one, every span of a scope the same way, or a tenth."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        spans = [s for trace in range(1 + 40 * n, 31 + 40 * n) for s in chat_spans(trace, turns=4)]
        request = _request(otlp_json(spans))
        if rng.random() < 0.3:  # split: resources of scopes, some under 16 spans
            from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans

            whole = list(request.resource_spans[0].scope_spans[0].spans)
            del request.resource_spans[:]
            cuts = sorted(rng.sample(range(1, len(whole)), 3))
            parts = [whole[a:b] for a, b in zip([0, *cuts], [*cuts, len(whole)])]
            for r in range(2):
                rs: Any = request.resource_spans.add()
                assert isinstance(rs, ResourceSpans)
                _set(rs.resource, "service.name", "string_value", f"svc{r}")
                _set(rs.resource, "service.version", "int_value", 3)
                for part in parts[2 * r : 2 * r + 2]:
                    rs.scope_spans.add().spans.extend(part)
        for rs in request.resource_spans:
            for ss in rs.scope_spans:
                mode, pick = rng.randrange(4), rng.randrange(_PB_PICKS)
                for k, span in enumerate(ss.spans):
                    if (mode == 0 and k == 0) or mode == 1 or (mode == 2 and rng.random() < 0.1):
                        _pb_mutate(span, pick if mode != 2 else rng.randrange(_PB_PICKS))
        out.append(request)
    return out


def _pb_check(request: Any) -> int:
    """The request through the new path (blocks from the message), the old one (its OTLP
    JSON dicts, span by span) and its JSON twin through ``map_export``: the same records,
    counts, rejections and problems; returns the spans mapped in blocks."""
    body = bytes(request.SerializeToString())
    old, new, in_blocks = _both(body, otlp.PROTOBUF)
    assert new == old
    twin, _, _ = _both(_json_twin(request), otlp.JSON)
    assert new == twin
    return in_blocks


def test_protobuf_blocks_from_the_message_map_as_the_json():
    request = _request(otlp_json([s for trace in range(1, 31) for s in chat_spans(trace, turns=4)]))
    decoded = otlp.decode(bytes(request.SerializeToString()), otlp.PROTOBUF, blocks=True)
    assert [type(e) for e in decoded.entries] == [otel.MappedBlock] and len(decoded.entries[0]) == 150
    assert _pb_check(request) == 150


@pytest.mark.parametrize("pick", range(_PB_PICKS))
def test_protobuf_each_unusual_shape_maps_as_the_json(pick):
    """Each mutation on one span of a list and on every span of it: the same results as
    today's path and the JSON; the shapes outside the common one leave the block path
    (the span alone, when the others are in the common shape)."""
    odd = pick in (2, 3, 4, 5, 7, 8, 9, 13, 14)  # wrong-length ids, events, unset or odd times
    for every in (False, True):
        request = _request(otlp_json([s for trace in range(1, 9) for s in chat_spans(trace, turns=3)]))
        spans = request.resource_spans[0].scope_spans[0].spans
        for span in spans if every else [spans[5]]:
            _pb_mutate(span, pick)
        in_blocks = _pb_check(request)
        if every or pick == 21:  # (21: a rejected span, so its run goes span by span, reported)
            assert (in_blocks == 0) == (odd or pick == 21), (pick, every, in_blocks)
        else:  # (the 5 spans before it: too few to pay for a block)
            assert in_blocks == (26 if odd else 32), (pick, every, in_blocks)


def test_protobuf_wrong_length_ids_are_the_same_rejections():
    request = _request(otlp_json([s for trace in range(1, 9) for s in chat_spans(trace, turns=3)]))
    spans = request.resource_spans[0].scope_spans[0].spans
    spans[3].span_id = b"\x01\x02"
    spans[7].trace_id = bytes(17)
    body = bytes(request.SerializeToString())
    decoded = otlp.decode(body, otlp.PROTOBUF, blocks=True)
    assert decoded.rejected == 2
    assert decoded.problems == [
        "span 3 of scope 0 of resource 0: \"spanId\" is not a 16-digit hex id: '0102'",
        f"span 7 of scope 0 of resource 0: \"traceId\" is not a 32-digit hex id: '{'00' * 17}'",
    ]
    assert sum(len(e) if isinstance(e, otel.MappedBlock) else 1 for e in decoded.entries) == len(spans) - 2
    assert [type(e) for e in decoded.entries][-1] == otel.MappedBlock  # the 24 spans after them as a block
    _pb_check(request)


def test_protobuf_mutated_requests_map_as_the_json():
    count = int(os.environ.get("EVALTUI_BLOCK_DOCS", "400")) // 4
    in_blocks = sum(_pb_check(request) for request in _pb_requests(seed=18, count=count))
    assert in_blocks > 0


@pytest.mark.parametrize("at", [0, 17, 23])
def test_protobuf_a_list_that_cannot_be_a_block_is_tried_as_one_once(monkeypatch, at):
    """A list of spans all in the common shape, one of which the mapping rejects: the whole
    list is tried as a block once (not again as its one run, nor as the dicts' block), then
    goes span by span, with the same results as the JSON."""
    request = _request(otlp_json([s for trace in range(1, 9) for s in chat_spans(trace, turns=2)]))
    spans = request.resource_spans[0].scope_spans[0].spans
    _pb_mutate(spans[at], 21)  # a message attribute that is not JSON: a problem, the span rejected
    assert all(otlp._plain(s) for s in spans) and len(spans) >= otlp._FLOOR
    tried: list[int] = []
    dict_blocks: list[int] = []
    pb_block, json_block = otlp._protobuf_block, otel._block
    monkeypatch.setattr(otlp, "_protobuf_block", lambda s, c: tried.append(len(s)) or pb_block(s, c))
    monkeypatch.setattr(otel, "_block", lambda s, c, t: dict_blocks.append(len(s)) or json_block(s, c, t))
    decoded = otlp.decode(bytes(request.SerializeToString()), otlp.PROTOBUF, blocks=True)
    assert tried == [len(spans)] and dict_blocks == []
    assert decoded.rejected == 1 and all(isinstance(e, otel.MappedSpan) for e in decoded.entries)
    monkeypatch.undo()
    _pb_check(request)


def test_serves_warm_up_maps_blocks_and_spans_both_ways_without_problems():
    """`evaltui serve` maps a small request before it listens (its imports and first calls
    off the clock): each encoding's long list as a block and its short one span by span."""
    from evaltui.collect.server import warm_up

    for decoded in warm_up():
        assert not decoded.problems and decoded.rejected == 0
        assert [type(e) for e in decoded.entries] == [otel.MappedBlock, otel.MappedSpan, otel.MappedSpan]
