"""`evaltui serve` receives traces from the real OpenTelemetry SDK and from raw OTLP/HTTP
posts (protobuf, JSON, gzip), stores them mapped as the otel file importer maps them,
and answers a body it cannot read with a 400 that says why, staying up."""

from __future__ import annotations

import gzip
import json

import pytest

from tests.serving import Serve, chat_spans, otlp_json, post, protobuf, stored, wait_for


@pytest.fixture
def serve(tmp_path):
    server = Serve(tmp_path / "live.duckdb", "--commit-every", "0.1")
    yield server
    if server.proc.poll() is None:
        server.stop()


def test_the_opentelemetry_sdk_exporter_sends_conversations_that_the_store_files_under_their_root(serve):
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "shop-bot"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=serve.url, compression=Compression.Gzip)))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("conversation") as root:
        root.set_attribute(
            "gen_ai.input.messages",
            json.dumps([{"role": "user", "parts": [{"type": "text", "content": "my parcel is late"}]}]),
        )
        root.set_attribute(
            "gen_ai.output.messages",
            json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": "sorry, it ships today"}]}]),
        )
        with tracer.start_as_current_span("chat gpt-test") as chat:
            chat.set_attribute("gen_ai.operation.name", "chat")
            chat.set_attribute("gen_ai.request.model", "gpt-test")
            chat.set_attribute("gen_ai.usage.input_tokens", 30)
            chat.set_attribute("gen_ai.usage.output_tokens", 7)
        with tracer.start_as_current_span("lookup") as tool:  # OpenInference attributes
            tool.set_attribute("openinference.span.kind", "TOOL")
            tool.set_attribute("input.value", '{"order": 17}')
            tool.set_attribute("output.value", "in transit")
        # The children go in an export of their own, before their root has ended: they
        # are stored under the trace until the root arrives, then filed under it.
        assert provider.force_flush(10_000)
        wait_for(lambda: stored(serve.db) == 2, 10, "the children")
    assert provider.force_flush(10_000)
    provider.shutdown()
    wait_for(lambda: stored(serve.db) == 3, 10, "the root")

    rows = {r[0]: r[1:] for r in _rows(serve.db)}
    conv = rows["conversation"]
    assert conv[0] == "conversation" and json.loads(conv[1]) == [{"role": "user", "content": "my parcel is late"}]
    assert json.loads(conv[2]) == "sorry, it ships today"
    chat = rows["chat gpt-test"]
    assert chat[0] == "llm" and json.loads(chat[4])["model"] == "gpt-test" and json.loads(chat[5])["tokens"] == 37
    tool = rows["lookup"]
    assert tool[0] == "tool" and json.loads(tool[1]) == {"order": 17} and json.loads(tool[2]) == "in transit"
    root_ids = {r[3] for r in rows.values()}
    assert root_ids == {conv[6]}  # every span under the root span's id, not the trace id
    st = serve.status()
    assert st["spans_accepted"] == 3 and st["malformed"] == 0 and st["spans_committed"] == 3


def _rows(db):
    from tests.serving import reading

    with reading(db) as store:
        return store.con.execute(
            "SELECT name, span_type, input, output, root_id, metadata, metrics, id FROM spans"
        ).fetchall()


def test_json_protobuf_and_gzip_bodies_are_stored_once_however_often_they_are_sent(serve):
    doc = otlp_json(chat_spans(1) + chat_spans(2))
    assert post(serve.url, json.dumps(doc).encode(), "application/json")[:2] == (200, b"{}")
    assert post(serve.url, protobuf(doc))[0] == 200  # the same spans again: an exporter's retry
    doc3 = otlp_json(chat_spans(3))
    assert post(serve.url, gzip.compress(protobuf(doc3)), encoding="gzip")[0] == 200
    assert (
        post(serve.url, gzip.compress(json.dumps(doc3).encode()), "application/json; charset=utf-8", "gzip")[0] == 200
    )
    wait_for(lambda: stored(serve.db) == 6, 10, "three conversations")
    assert stored(serve.db, "SELECT count(DISTINCT id) FROM spans") == 6
    assert stored(serve.db, "SELECT count(*) FROM spans WHERE span_type = 'conversation'") == 3
    assert serve.status()["spans_accepted"] == 12


def test_a_body_that_cannot_be_read_gets_a_400_with_the_reason_is_counted_and_the_server_stays_up(serve):
    status, body, _ = post(serve.url, b"{not json", "application/json")
    assert status == 400 and "not JSON" in json.loads(body)["message"]
    status, body, _ = post(serve.url, b"\xff\x00garbage")
    assert status == 400 and b"not an OTLP protobuf" in body  # a google.rpc.Status, protobuf-encoded
    status, body, _ = post(serve.url, b"plainly not gzip", "application/json", "gzip")
    assert status == 400 and "gzip" in json.loads(body)["message"]
    status, body, _ = post(serve.url, json.dumps({"spans": []}).encode(), "application/json")
    assert status == 400 and "resourceSpans" in json.loads(body)["message"]
    assert post(serve.url, b"<xml/>", "text/xml")[0] == 415
    # One bad span in a good request: the others are kept, the bad one is reported.
    spans = chat_spans(9)
    del spans[1]["spanId"]
    status, body, _ = post(serve.url, json.dumps(otlp_json(spans)).encode(), "application/json")
    partial = json.loads(body)["partialSuccess"]
    assert status == 200 and partial["rejectedSpans"] == "1" and "spanId" in partial["errorMessage"]
    wait_for(lambda: stored(serve.db) == 1, 10, "the good span")
    st = serve.status()
    assert st["malformed"] == 5 and st["spans_rejected"] == 1 and st["errors"] == 0
    assert "resourceSpans" in st["last_malformed"] or "text/xml" in st["last_malformed"]
    assert serve.proc.poll() is None


def test_a_stopped_server_commits_what_it_acknowledged_and_says_so(serve):
    assert post(serve.url, protobuf(otlp_json(chat_spans(5, turns=3))))[0] == 200
    assert serve.stop() == 0
    assert stored(serve.db) == 4
    assert "4 spans received" in serve.output()
