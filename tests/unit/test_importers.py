"""The five log importers: good spans, bad lines reported by number, stable ids, sniffing."""

from __future__ import annotations

import json
import pathlib
from datetime import datetime

import pytest

from evaltui.ingest import FORMATS, braintrust, csv_rows, langfuse, openai_chat, otel
from evaltui.ingest.records import BadRecord
from evaltui.model import SPAN_TYPES, SpanRow

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "ingest"
IMPORTERS = [openai_chat, braintrust, langfuse, otel, csv_rows]
FORMAT_OF = {m: fmt for fmt, name in FORMATS.items() for m in IMPORTERS if m.__name__ == name}  # module -> --format


def load(module, name: str) -> tuple[dict[str, SpanRow], list[BadRecord]]:
    path = FIXTURES / name if isinstance(name, str) else name
    spans: dict[str, SpanRow] = {}
    bad: list[BadRecord] = []
    for row in module.read(path):
        if isinstance(row, BadRecord):
            bad.append(row)
        else:
            assert isinstance(row, SpanRow)
            assert row.id not in spans, f"duplicate id {row.id}"
            spans[row.id] = row
    return spans, bad


def lines(bad: list[BadRecord]) -> list[int]:
    return sorted(b.line for b in bad)


def scores(span: SpanRow) -> dict[str, float | None]:
    return {s.name: s.score for s in span.scores}


def check_invariants(spans: dict[str, SpanRow]) -> None:
    for span in spans.values():
        assert span.span_type in SPAN_TYPES
        assert span.ts is None or isinstance(span.ts, datetime)
        if span.parent_id is None:
            assert span.root_id == span.id


# --- openai ---------------------------------------------------------------------------


def test_openai_conversations_and_turns():
    spans, bad = load(openai_chat, "openai_chat.jsonl")
    assert bad == []
    check_invariants(spans)
    roots = [s for s in spans.values() if s.span_type == "conversation"]
    assert [r.id for r in roots][1:] == ["conv-0002", "conv-0003"]

    first = roots[0]  # no id in the file: a stable content id
    assert first.parent_id is None and first.name == "conversation"
    assert first.ts == datetime(2024, 5, 2, 9, 14, 3)
    assert first.input[-1] == {"role": "user", "content": "Can I still change the delivery address?"}
    assert first.input[0]["role"] == "system"
    assert first.output == "Yes, until it ships. What's the new address?"
    assert first.metadata == {"channel": "chat", "customer_tier": "gold", "total_turns": 2}
    assert first.tags == ["shipping"]
    turns = sorted((s for s in spans.values() if s.parent_id == first.id), key=lambda s: s.metadata["turn_index"])
    assert [(t.span_type, t.name, t.root_id) for t in turns] == [("turn", "turn", first.id)] * 2
    assert turns[0].input.startswith("Hi, I ordered a tent")
    assert turns[0].output.startswith("Sorry for the wait!")
    assert turns[1].input == "Can I still change the delivery address?"

    second = spans["conv-0002"]
    assert second.input == [{"role": "user", "content": "Do you price-match REI?"}]  # parts flattened
    assert second.expected == "Yes, within 14 days for identical items."
    assert second.ts == datetime(2024, 5, 2, 9, 54, 3)

    tool = spans["conv-0003"]
    assert tool.output["content"] is None
    assert tool.output["tool_calls"][0]["function"]["name"] == "lookup_order"
    assert tool.metadata["tools"][0]["function"]["name"] == "lookup_order"
    assert tool.metadata["locale"] == "fr-FR" and tool.ts is None
    (turn,) = [s for s in spans.values() if s.parent_id == "conv-0003"]
    assert turn.input == "Où est ma commande A-10987 ?"
    assert turn.output == tool.output
    assert len(spans) == 3 + 2 + 1 + 1


def test_openai_bad_lines():
    spans, bad = load(openai_chat, "openai_chat_broken.jsonl")
    assert {s.root_id for s in spans.values()} == {"ok-1", "ok-2"}
    assert len(spans) == 4
    assert spans["ok-2"].input[0]["content"] == "Thanks — that’s all 🙏"
    assert spans["ok-2"].output == "Happy to help! 😊"
    # 2 invalid JSON, 3 blank (skipped), 4 not an object, 5 no messages, 6 bad ts,
    # 8 metadata not an object, 9 message without role, 10 truncated
    assert lines(bad) == [2, 4, 5, 6, 8, 9, 10]
    reasons = {b.line: b.reason for b in bad}
    assert reasons[2].startswith("invalid JSON: Expecting ',' delimiter (col ")
    assert reasons[5] == 'missing "messages"'
    assert "last tuesday" in reasons[6]
    assert all(b.path == str(FIXTURES / "openai_chat_broken.jsonl") for b in bad)
    assert str(bad[0]).startswith(f"{FIXTURES / 'openai_chat_broken.jsonl'}:2: invalid JSON")


# --- braintrust -----------------------------------------------------------------------


def test_braintrust_trace_tree_and_scores():
    spans, bad = load(braintrust, "braintrust_export.json")
    assert bad == []
    check_invariants(spans)
    assert {k: (s.root_id, s.parent_id, s.span_type) for k, s in spans.items()} == {
        "sp-root-1": ("sp-root-1", None, "conversation"),
        "sp-llm-1": ("sp-root-1", "sp-root-1", "llm"),
        "sp-tool-1": ("sp-root-1", "sp-llm-1", "tool"),
        "sp-score-1": ("sp-root-1", "sp-root-1", "span"),
        "sp-root-2": ("sp-root-2", None, "task"),
    }
    root = spans["sp-root-1"]
    assert scores(root) == {"Brand Alignment": 0.8, "Resolution": 1.0}  # null Factuality skipped
    assert root.output == "We'll ship a replacement pole set today at no cost."
    assert root.input[-1] == {"role": "user", "content": "Yes, the Ridgeline 2P."}
    assert root.metrics["latency_s"] == 2.5
    assert root.tags == ["warranty"] and root.metadata == {"customer_tier": "silver", "channel": "chat"}
    assert root.ts == datetime(2024, 5, 2, 10, 0)
    llm = spans["sp-llm-1"]
    assert llm.name == "Chat Completion"
    assert llm.metrics["prompt_tokens"] == 412 and llm.metrics["tokens"] == 431
    assert llm.metadata["model"] == "gpt-4o-mini"
    judge = spans["sp-score-1"].scores[0]
    assert (judge.name, judge.score, judge.label) == ("Brand Alignment", 0.8, "B")
    assert judge.rationale.startswith("Warm, on-brand")
    assert spans["sp-root-2"].expected == "Lifetime warranty against defects."
    assert scores(spans["sp-root-2"]) == {"Factuality": 1.0}


def test_braintrust_bad_rows():
    spans, bad = load(braintrust, "braintrust_broken.jsonl")
    assert set(spans) == {"s-a1", "s-a2", "s-f1"}
    # The out-of-range score is dropped and reported; the span is kept.
    assert scores(spans["s-a1"]) == {"Brand Alignment": 0.6}
    assert spans["s-a2"].parent_id == "s-a1" and spans["s-a2"].metrics["tokens"] == 234
    assert scores(spans["s-f1"]) == {"Brand Alignment": 1.0}  # booleans count as 1/0
    assert spans["s-f1"].input == "Ça marche avec des enfants ? 子供"
    # 1 score 1.4, 3 invalid JSON, 4 bad created, 5 scores not an object,
    # 6 child without root_span_id, 8 truncated
    assert lines(bad) == [1, 3, 4, 5, 6, 8]
    reasons = {b.line: b.reason for b in bad}
    assert reasons[1] == 'score "Helpfulness": score 1.4 is not in 0..1'
    assert reasons[6] == 'missing "root_span_id"'


# --- langfuse -------------------------------------------------------------------------


def test_langfuse_traces_observations_scores():
    spans, bad = load(langfuse, "langfuse_traces.json")
    assert bad == []
    check_invariants(spans)
    assert {k: (s.root_id, s.parent_id, s.span_type) for k, s in spans.items()} == {
        "tr-1001": ("tr-1001", None, "conversation"),
        "obs-a": ("tr-1001", "tr-1001", "span"),
        "obs-b": ("tr-1001", "tr-1001", "llm"),
        "obs-c": ("tr-1001", "obs-b", "span"),
        "tr-1002": ("tr-1002", None, "task"),
        "obs-d": ("tr-1002", "tr-1002", "llm"),
    }
    trace = spans["tr-1001"]
    assert trace.input[-1] == {"role": "user", "content": "Summit GTX, size 44."}
    assert trace.output.startswith("The Summit GTX has a 2-year")
    assert trace.metadata["session_id"] == "sess-88" and trace.metadata["user_id"] == "u-412"
    assert trace.tags == ["warranty", "footwear"]
    by_name = {s.name: s for s in trace.scores}
    assert set(by_name) == {"Brand Alignment", "Resolved"}
    assert by_name["Brand Alignment"].score == 0.9
    assert by_name["Brand Alignment"].rationale == "Empathetic and on-voice."
    assert by_name["Brand Alignment"].source == "online"
    assert by_name["Resolved"].score == 1.0 and by_name["Resolved"].source == "human"
    (tone,) = spans["obs-b"].scores
    assert (tone.name, tone.score, tone.label) == ("Tone", None, "friendly")
    gen = spans["obs-b"]
    assert gen.metrics == {
        "latency_s": 2.7,
        "prompt_tokens": 512,
        "completion_tokens": 31,
        "tokens": 543,
        "cost": 0.00042,
    }
    assert gen.metadata["model"] == "gpt-4o-mini"
    assert spans["obs-d"].error == "content filter retried once"
    assert scores(spans["tr-1002"]) == {"Factuality": 0.75}


def test_langfuse_bad_records_keep_the_trace():
    spans, bad = load(langfuse, "langfuse_broken.json")
    assert set(spans) == {"lf-ok-1", "lf-obs-1", "lf-ok-2", "lf-ok-3"}
    assert scores(spans["lf-ok-1"]) == {"Brand Alignment": 0.4}
    assert spans["lf-ok-2"].input == "配送は何日かかりますか？"
    assert spans["lf-ok-2"].ts == datetime(2024, 5, 5, 7, 15)
    assert spans["lf-ok-3"].scores[0].source == "human"
    # 18 observation with a bad startTime, 27 score 7, 28 score on an unknown observation,
    # 31 invalid JSON trace, 36 trace without id, 48 observations not a list, 61 truncated
    assert lines(bad) == [18, 27, 28, 31, 36, 48, 61]
    reasons = {b.line: b.reason for b in bad}
    assert reasons[27] == 'score "Helpfulness": score 7 is not in 0..1'
    assert reasons[36] == 'missing "id"'


# --- otel -----------------------------------------------------------------------------


def test_otel_genai_spans():
    spans, bad = load(otel, "otel_genai.json")
    assert bad == []
    check_invariants(spans)
    assert {k: (s.root_id, s.parent_id, s.span_type) for k, s in spans.items()} == {
        "eee19b7ec3c1b174": ("eee19b7ec3c1b174", None, "conversation"),
        "b7ad6b7169203331": ("eee19b7ec3c1b174", "eee19b7ec3c1b174", "llm"),
        "00f067aa0ba902b7": ("eee19b7ec3c1b174", "b7ad6b7169203331", "tool"),
        "53995c3f42cd8ad8": ("53995c3f42cd8ad8", None, "conversation"),
    }
    root = spans["eee19b7ec3c1b174"]
    assert root.input[-1] == {"role": "user", "content": "Yes, brand new."}
    assert root.output == "Then the igniter may be faulty — I'll send a replacement."
    assert root.metrics["latency_s"] == 4.5
    assert root.metadata["service.name"] == "acme-support-bot" and root.metadata["session.id"] == "sess-19"
    (judge,) = root.scores
    assert (judge.name, judge.score, judge.label) == ("Brand Alignment", 0.7, "B")
    assert judge.rationale == "Helpful but skips the apology."
    chat = spans["b7ad6b7169203331"]  # messages from events
    assert chat.input == [
        {"role": "system", "content": "You are Acme's support assistant."},
        {"role": "user", "content": "Yes, brand new."},
    ]
    assert chat.output == root.output
    assert chat.metrics == {"latency_s": 2.5, "prompt_tokens": 388, "completion_tokens": 22, "tokens": 410}
    assert chat.metadata["gen_ai.request.temperature"] == 0.2
    assert chat.ts == datetime(2024, 5, 4, 11, 0, 0, 500000)
    tool = spans["00f067aa0ba902b7"]
    assert tool.input == {"sku": "STV-IGN"} and tool.output == {"rma": "RMA-7781"}
    assert tool.error == "inventory service timeout"
    legacy = spans["53995c3f42cd8ad8"]  # indexed gen_ai.prompt.N / completion.N attributes
    assert legacy.input == [{"role": "user", "content": "¿Hacen envíos a México?"}]
    assert legacy.output == "Sí, en 7–10 días hábiles."
    assert legacy.metrics["tokens"] == 21 and legacy.metadata["llm.is_streaming"] is False


def test_otel_bad_spans_and_root_from_a_later_line():
    spans, bad = load(otel, "otel_broken.jsonl")
    assert set(spans) == {"1111111111111111", "2222222222222222", "4444444444444444"}
    # the child on line 1 learns its root from line 3
    assert spans["1111111111111111"].root_id == "2222222222222222"
    assert spans["2222222222222222"].span_type == "conversation"
    assert spans["2222222222222222"].input[0]["content"] == "Where's my refund? 返金"
    assert spans["4444444444444444"].scores == []
    # 1 bad start time, 1 missing spanId, 2 invalid JSON, 3 score 4.0, 4 wrong type, 5 truncated
    assert lines(bad) == [1, 1, 2, 3, 4, 5]
    assert 'missing "spanId"' in {b.reason for b in bad}


def test_otel_pretty_document_reports_the_bad_span_line(tmp_path):
    ok = {"traceId": "ab" * 16, "spanId": "cd" * 8, "name": "root", "startTimeUnixNano": "1714820400000000000"}
    broken = {"traceId": "ab" * 16, "spanId": "ef" * 8, "parentSpanId": "cd" * 8, "startTimeUnixNano": True}
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": [ok, broken]}]}]}
    path = tmp_path / "export.json"
    text = json.dumps(doc, indent=2)
    path.write_text(text)
    spans, bad = load(otel, path)
    assert list(spans) == ["cd" * 8]
    text_lines = text.splitlines()
    id_line = next(i for i, ln in enumerate(text_lines, 1) if '"efefefefefefefef"' in ln)
    brace = max(i for i in range(1, id_line) if text_lines[i - 1].strip() == "{")
    assert lines(bad) == [brace]  # the line of the span's opening brace
    assert "boolean" in bad[0].reason


def test_otel_whole_document_unparseable(tmp_path):
    path = tmp_path / "export.json"
    path.write_text('{\n  "resourceSpans": [\n    {"scopeSpans": [}\n  ]\n}\n')
    spans, bad = load(otel, path)
    assert spans == {} and lines(bad) == [3]


# --- csv ------------------------------------------------------------------------------


def test_csv_rows():
    spans, bad = load(csv_rows, "support_logs.csv")
    assert bad == []
    check_invariants(spans)
    ids = list(spans)
    assert ids[:2] == ["row-1", "row-2"] and len(ids) == 3
    first = spans["row-1"]
    assert first.span_type == "conversation"
    assert first.input == [{"role": "user", "content": "Do you sell replacement tent stakes?"}]
    assert first.output == "Yes — packs of 8 aluminium stakes, $12."
    assert first.tags == ["accessories", "tents"]
    assert first.metadata == {"channel": "chat", "latency_ms": 842}
    assert scores(first) == {"Brand Alignment": 0.9, "Factuality": 1.0}
    second = spans["row-2"]
    assert (
        second.input[0]["content"] == "My order arrived damaged.\nThe box was crushed and the lantern glass is cracked."
    )
    assert second.expected == "Apologise and offer a replacement"
    assert second.metadata["latency_ms"] == 1530.5 and scores(second) == {"Brand Alignment": 0.6}
    third = spans[ids[2]]  # no id: a stable content id
    assert third.ts == datetime(2024, 5, 6, 6, 10)
    assert third.input[0]["content"] == "Wie lange dauert der Versand nach Österreich?"


def test_csv_bad_rows_use_physical_lines():
    spans, bad = load(csv_rows, "support_logs_broken.csv")
    contents = [s.input[0]["content"] for s in spans.values()]
    assert contents == [
        "What sizes does the Alpine parka come in?",
        "A question\nthat spans\nthree lines",
        "Is the stove allowed in carry-on luggage?",
        "Last row",
    ]
    assert scores(list(spans.values())[2]) == {}  # 1.7 dropped, row kept
    # 3 too many columns, 7 empty input (after a 3-line row), 8 score 1.7, 9 extra column, 11 truncated
    assert lines(bad) == [3, 7, 8, 9, 11]
    assert {b.line: b.reason for b in bad}[3] == "expected 4 columns, got 5"


def test_csv_without_input_column():
    spans, bad = load(csv_rows, "no_input.csv")
    assert spans == {}
    assert [(b.line, b.reason) for b in bad] == [(1, "no input column; columns are: question, answer")]


def test_csv_bad_timestamp(tmp_path):
    path = tmp_path / "logs.csv"
    path.write_text("input,ts\nhello,2024-01-01T00:00:00Z\nbye,tomorrow\n")
    spans, bad = load(csv_rows, path)
    assert len(spans) == 1 and lines(bad) == [3]


# --- shared behaviour -------------------------------------------------------------------

GOOD = {
    "openai": ["openai_chat.jsonl", "openai_chat_broken.jsonl"],
    "braintrust": ["braintrust_export.json", "braintrust_broken.jsonl"],
    "langfuse": ["langfuse_traces.json", "langfuse_broken.json"],
    "otel": ["otel_genai.json", "otel_broken.jsonl"],
    "csv": ["support_logs.csv", "support_logs_broken.csv", "no_input.csv"],
}


@pytest.mark.parametrize("module", IMPORTERS, ids=FORMAT_OF.get)
def test_ids_are_stable_across_reads(module):
    for name in GOOD[FORMAT_OF[module]]:
        first = [r.id if isinstance(r, SpanRow) else str(r) for r in module.read(FIXTURES / name)]
        second = [r.id if isinstance(r, SpanRow) else str(r) for r in module.read(FIXTURES / name)]
        assert first == second


@pytest.mark.parametrize("name", sorted(n for names in GOOD.values() for n in names) + ["evaltui_spans.jsonl"])
def test_sniff_picks_exactly_the_right_format(name):
    path = FIXTURES / name
    head = path.read_text(encoding="utf-8")[:65536]
    expected = [fmt for fmt, names in GOOD.items() if name in names]
    assert [FORMAT_OF[m] for m in IMPORTERS if m.sniff(head, path)] == expected


@pytest.mark.parametrize("module", IMPORTERS, ids=FORMAT_OF.get)
@pytest.mark.parametrize("content", ["", "\n\n  \n", "\ufeff"])
def test_empty_files_yield_nothing(module, content, tmp_path):
    path = tmp_path / ("empty.csv" if module is csv_rows else "empty.json")
    path.write_text(content, encoding="utf-8")
    assert list(module.read(path)) == []
    assert module.sniff(content, path) is False


@pytest.mark.parametrize("module", IMPORTERS, ids=FORMAT_OF.get)
def test_garbage_never_raises(module, tmp_path):
    path = tmp_path / "garbage.json"
    path.write_bytes(b'\x00\xff\xfe{["\n]]]}\n' + bytes(range(256)))
    rows = list(module.read(path))
    assert all(isinstance(r, (SpanRow, BadRecord)) for r in rows)


def test_json_array_of_openai_records_and_data_wrapper(tmp_path):
    path = tmp_path / "langfuse.json"
    traces = json.loads((FIXTURES / "langfuse_traces.json").read_text(encoding="utf-8"))
    path.write_text(json.dumps({"data": traces, "meta": {"page": 1, "totalItems": 2}}, indent=1))
    spans, bad = load(langfuse, path)
    assert bad == [] and {"tr-1001", "tr-1002", "obs-d"} <= set(spans)
    head = path.read_text()[:65536]
    assert [FORMAT_OF[m] for m in IMPORTERS if m.sniff(head, path)] == ["langfuse"]


def test_otel_times_read_for_a_whole_list_equal_each_span_read_alone():
    """`serve` reads the times of a request's spans in one pass (otel._span_times): the
    same datetimes and latencies as each span's own reading, halfway cases included; an
    unusual time in the list sends the whole list the per-span way."""
    import random

    rng = random.Random(18)
    values = [rng.randrange(10**17, 10**20) for _ in range(3000)]
    values += [v // 1000 * 1000 + d for v in values[:1000] for d in (500,)] + [1_765_000_000_000_000_500]
    for as_text in (True, False):
        spans = []
        for a in values:
            b = min(a + rng.choice([0, 1, 500, 1500, rng.randrange(10**12)]), 10**20 - 1)
            spans.append({"startTimeUnixNano": str(a) if as_text else a, "endTimeUnixNano": str(b) if as_text else b})
        together = otel._span_times(spans)
        assert together is not None
        for span, (start, end, latency) in zip(spans, together):
            alone_start = otel._nanos(span["startTimeUnixNano"])
            alone_end = otel._nanos(span["endTimeUnixNano"])
            assert (start, end, latency) == (alone_start, alone_end, (alone_end - alone_start).total_seconds())
    mixed = [dict(s) for s in spans[:20]]
    mixed[5]["endTimeUnixNano"] = "2026-01-01T00:00:00Z"
    assert otel._span_times(mixed) is None
    assert otel._span_times(spans[:15]) is None  # short lists: per span


def test_otel_mapping_of_a_long_list_equals_each_span_mapped_alone():
    doc = json.loads((FIXTURES / "otel_genai.json").read_text())
    spans = [s for rs in doc["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    many = [json.loads(json.dumps(s)) for _ in range(6) for s in spans]
    assert otel._span_times(many) is not None  # the list is read the one-pass way
    together = list(otel.map_export({"resourceSpans": [{"scopeSpans": [{"spans": many}]}]}))
    alone = [e for s in many for e in otel.map_export({"resourceSpans": [{"scopeSpans": [{"spans": [s]}]}]})]
    assert [repr(e) for e in together] == [repr(e) for e in alone]
    assert any(e.row.metrics.get("latency_s") for e in together if isinstance(e, otel.MappedSpan))


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',
        "[1e400, -1e400]",
        "[NaN, Infinity]",
        '["\\ud800", "\\udfff x"]',
        "[123456789012345678901234567890, -9223372036854775809, 18446744073709551615, 18446744073709551616]",
        "[-0.0, 5e-324, 1.7976931348623157e308, 0.1, 1E5, 100000000000000000000.0]",
        '[{"role": "user", "parts": [{"type": "text", "content": "caf\\u00e9 \\ud83d\\ude00"}]}]',
        "[1,]",
        '{"a": [1, {"b": null}], "c": true}',
        "[" * 900 + "]" * 900,
    ],
)
def test_otel_message_json_is_read_as_json_reads_it(text):
    """The message attributes are parsed with orjson when it reads them as ``json`` does
    (integers beyond 64 bits, NaN, lone surrogates and the like go to ``json``)."""
    from evaltui.ingest.otel import _maybe_json

    try:
        expected = json.loads(text)
    except ValueError:
        expected = text  # not JSON: the text as it is
    got = _maybe_json(text)
    assert repr(got) == repr(expected)
