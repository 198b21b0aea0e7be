"""OpenTelemetry traces as OTLP JSON, read with the GenAI semantic conventions.

One export document per file, or one per line. Messages come from the
``gen_ai.input.messages``/``gen_ai.output.messages`` attributes, the older indexed
``gen_ai.prompt.N.*``/``gen_ai.completion.N.*`` attributes, or ``gen_ai.*.message`` /
``gen_ai.choice`` events. ``gen_ai.evaluation.result`` events become scores.

``map_export`` is the mapping itself, shared with `evaltui serve` (evaltui.collect).
Exporters batch by time, so a trace's root may come after its children: spans are held
until the file is read, then each gets its trace's root span id (``resolve_roots``).
"""

from __future__ import annotations

import base64
import binascii
import json
import pathlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from collections.abc import Iterator

import orjson

from evaltui.ingest.jsonlines import (
    JsonError,
    content_text,
    error_text,
    is_chat,
    iter_json_items,
    read_text,
    reply_text,
    require_object,
    type_name,
)
from evaltui.ingest.records import BadRecord, skip_reason, coerce_score
from evaltui.model import RecordError, ScoreRow, SpanRow, parse_ts

_RESOURCE_KEYS = ("service.name", "service.version", "deployment.environment", "deployment.environment.name")
_OPERATION_TYPES = {
    "chat": "llm",
    "text_completion": "llm",
    "generate_content": "llm",
    "embeddings": "llm",
    "execute_tool": "tool",
    "invoke_agent": "task",
    "create_agent": "task",
}
_OPENINFERENCE_TYPES = {"LLM": "llm", "EMBEDDING": "llm", "TOOL": "tool", "CHAIN": "task", "AGENT": "task"}
_MESSAGE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
_INDEXED = re.compile(r"^gen_ai\.(prompt|completion)\.(\d+)\.(role|content)$")
_TOKENS = {
    "gen_ai.usage.input_tokens": "prompt_tokens",
    "gen_ai.usage.prompt_tokens": "prompt_tokens",
    "gen_ai.usage.output_tokens": "completion_tokens",
    "gen_ai.usage.completion_tokens": "completion_tokens",
}
_TOKEN_KEYS = frozenset(_TOKENS)
_LLM_KEYS = frozenset(("gen_ai.system", "gen_ai.provider.name", "gen_ai.request.model"))
_MESSAGE_KEYS = frozenset(("gen_ai.system_instructions", "gen_ai.input.messages", "gen_ai.output.messages"))
_INDEXED_PREFIXES = ("gen_ai.prompt.", "gen_ai.completion.")
_NULL_ID = re.compile(r"^0*$")
_HEX = re.compile(r"[0-9a-fA-F]+")
_EPOCH = datetime(1970, 1, 1)
_LONG_DIGITS = re.compile(r"[0-9]{19}")


def _nanos(value: Any) -> Any:
    """``parse_ts`` for OTLP's usual epoch nanoseconds (an int, or digits in a string),
    without its general checks (the same result: the hot path of `evaltui serve`)."""
    if (type(value) is int or (type(value) is str and value.isdigit())) and 1e17 <= (n := float(value)) < 1e20:
        # The same value as datetime.fromtimestamp(n / 1e9, UTC) made naive (both round the
        # float to the microsecond half-even; checked on 300k values), in half the time.
        return _EPOCH + timedelta(seconds=n / 1e9)
    return parse_ts(value)


def _span_times(spans: list[Any]) -> list[tuple[datetime, datetime, float]] | None:
    """Each span's (start, end, latency in seconds) for a whole list of spans at once, when
    every span has both times in the usual form (epoch nanoseconds as ints, or as ASCII
    digit strings, in ``_nanos``'s range); else None, and each span is read by ``_nanos``.

    The same values as ``_nanos`` and ``(end - start).total_seconds()``: the float
    ``float(n) / 1e9``, then rounded to the microsecond as ``timedelta`` rounds it (its
    whole seconds kept, the fraction times 1e6 rounded half to even); the latency is an
    exact count of microseconds divided by 1e6 (checked on 1M values). About 3 us of a
    span's 12-15 us in `evaltui serve`, here a fraction of one."""
    if len(spans) < 16:
        return None
    try:
        starts = [sp["startTimeUnixNano"] for sp in spans]
        ends = [sp["endTimeUnixNano"] for sp in spans]
    except (TypeError, KeyError, IndexError):
        return None
    return epoch_times(starts, ends)


def epoch_times(starts: list[Any], ends: list[Any]) -> list[tuple[datetime, datetime, float]] | None:
    """``_span_times`` of the spans' start and end times (also protobuf's ints, read from
    the decoded message: evaltui.collect.otlp); None unless every one is in the usual form."""
    kinds = set(map(type, starts))
    kinds.update(map(type, ends))
    if kinds == {str}:
        digits = "".join(starts) + "".join(ends)
        if not (digits.isascii() and digits.isdigit()) or not all(starts) or not all(ends):
            return None
    elif kinds != {int}:
        return None
    import numpy as np

    try:
        n = np.array(starts + ends, dtype=np.float64)  # float() of each: the same rounding
    except (ValueError, OverflowError, TypeError):
        return None
    if not ((n >= 1e17) & (n < 1e20)).all():
        return None
    seconds = n / 1e9
    whole = np.trunc(seconds)
    micros = whole.astype(np.int64) * 1_000_000 + np.rint((seconds - whole) * 1e6).astype(np.int64)
    count = len(starts)
    latency = micros[count:] - micros[:count]
    if np.abs(latency).max() >= 2**53:  # beyond a float's exact integers: the per-span way
        return None
    stamps = micros.astype("datetime64[us]").tolist()
    return list(zip(stamps[:count], stamps[count:], (latency / 1e6).tolist()))


def sniff(head: str, path: pathlib.Path) -> bool:
    """An OTLP JSON export: a ``resourceSpans`` document."""
    return bool(re.search(r'(?<!\\)"(resourceSpans|resource_spans)"\s*:', head[:65536]))


@dataclass(slots=True)
class MappedSpan:
    """A span mapped to evaltui's row, with the trace it belongs to. Its ``row.root_id``
    is the trace id until the trace's root span is known (``resolve_roots``)."""

    row: SpanRow
    trace_id: str
    is_root: bool


@dataclass(slots=True)
class MappedBlock:
    """A whole list of spans in the common shape, mapped column by column (the values of
    each span's MappedSpan, without the objects): `evaltui serve`'s receive path. Each
    list has one entry per span, in the request's order; the spans' ``root_id`` is left to
    the encoder (the trace's root, as ``resolve_roots`` gives it)."""

    trace_id: list[str]
    id: list[str]
    parent_id: list[str | None]
    name: list[str]
    span_type: list[str]
    ts: list[Any]
    input: list[Any]
    output: list[Any]
    error: list[str | None]
    metadata: list[dict[str, Any]]
    metrics: list[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.id)


@dataclass(slots=True, frozen=True)
class MappingProblem:
    """A part of an export that could not be read: ``where`` is its path in the OTLP
    document (``("resourceSpans", 0, "scopeSpans", 1, "spans", 4)``; empty: the whole)."""

    where: tuple[str | int, ...]
    reason: str
    partial: bool = False  # the span was kept; only a part of it (a score) was dropped


def read(path: pathlib.Path) -> Iterator[SpanRow | BadRecord]:
    pending: list[MappedSpan | BadRecord] = []  # in file order
    for item in iter_json_items(read_text(path), unwrap=()):
        if isinstance(item, JsonError):
            pending.append(BadRecord(str(path), item.line, item.reason))
            continue
        for entry in map_export(item.value):
            if isinstance(entry, MappingProblem):
                pending.append(BadRecord(str(path), item.line_of(*entry.where), entry.reason, entry.partial))
                continue
            entry.row.line = item.line  # the document's line (finding each span's own costs a re-parse)
            pending.append(entry)
    # Exporters batch by time, so a trace's root may come after its children: roots are
    # known once the whole file is read.
    resolve_roots([e for e in pending if isinstance(e, MappedSpan)])
    for done in pending:
        yield done if isinstance(done, BadRecord) else done.row


def resolve_roots(spans: list[MappedSpan], known: dict[str, str] | None = None) -> dict[str, str]:
    """Give each span its trace's root span id, from these spans or ``known`` (trace id ->
    root span id); a span whose root is in neither keeps the trace id. Returns the roots seen."""
    roots = dict(known or {})
    for s in spans:
        if s.is_root:
            roots.setdefault(s.trace_id, s.row.id)
    for s in spans:
        s.row.root_id = s.row.id if s.is_root else roots.get(s.trace_id, s.trace_id)
    return roots


def map_export(doc: Any) -> Iterator[MappedSpan | MappingProblem]:
    """Map one OTLP trace export (``{"resourceSpans": [...]}``) to evaltui spans.

    The one mapping of OpenTelemetry spans: the file importer calls it on OTLP JSON, and
    `evaltui serve` on each request (OTLP JSON, or protobuf turned into the same shape
    with attributes as plain mappings; it calls ``map_export_blocks``, and for protobuf
    maps lists in the common shape from the message with ``span_fields``). Every span that
    can be read is yielded; every part that cannot is a MappingProblem, and never stops
    the rest.
    """
    for entry in _map_export(doc, blocks=False):
        assert not isinstance(entry, MappedBlock)
        yield entry


def map_export_blocks(doc: Any) -> Iterator[MappedSpan | MappedBlock | MappingProblem]:
    """``map_export``, with each list of spans in the common shape (plain hex ids, epoch
    times, no events: what exporters send for most spans) yielded as one MappedBlock of
    the same values, without a MappedSpan and SpanRow per span; any other list is mapped
    span by span as ``map_export`` maps it (tests/unit/test_otel_blocks.py: the same rows)."""
    return _map_export(doc, blocks=True)


def _map_export(doc: Any, blocks: bool) -> Iterator[MappedSpan | MappedBlock | MappingProblem]:
    try:
        doc = require_object(doc)
        resource_spans = doc.get("resourceSpans", doc.get("resource_spans"))
        if not isinstance(resource_spans, list):
            raise RecordError(
                'missing "resourceSpans"' if resource_spans is None else '"resourceSpans" must be an array'
            )
    except RecordError as exc:
        yield MappingProblem((), str(exc))
        return
    for i, rs in enumerate(resource_spans):
        if not isinstance(rs, dict):
            yield MappingProblem(("resourceSpans", i), "resourceSpans entry is not an object")
            continue
        resource = rs.get("resource") if isinstance(rs.get("resource"), dict) else {}
        try:
            res_attrs = _attributes(resource.get("attributes"))
        except RecordError:
            res_attrs = {}
        common = resource_common(res_attrs)
        scope_spans = rs.get("scopeSpans", rs.get("instrumentationLibrarySpans")) or []
        if not isinstance(scope_spans, list):
            yield MappingProblem(("resourceSpans", i), '"scopeSpans" must be an array')
            continue
        for j, ss in enumerate(scope_spans):
            spans = ss.get("spans") if isinstance(ss, dict) else None
            if not isinstance(spans, list):
                yield MappingProblem(("resourceSpans", i, "scopeSpans", j), 'missing "spans"')
                continue
            yield from map_spans(spans, common, ("resourceSpans", i, "scopeSpans", j), blocks)


def resource_common(res_attrs: dict[str, Any]) -> dict[str, Any]:
    """The resource's attributes every span of it carries in its metadata."""
    return {k: res_attrs[k] for k in _RESOURCE_KEYS if k in res_attrs}


def map_spans(
    spans: list[Any], common: dict[str, Any], where: tuple[str | int, ...], blocks: bool, first: int = 0
) -> Iterator[MappedSpan | MappedBlock | MappingProblem]:
    """One list of spans (a scopeSpans' ``spans``, at ``where``) as ``map_export`` maps it
    (``blocks``: as ``map_export_blocks``); ``common``: ``resource_common`` of its resource.
    ``first``: the list is part of a longer one, from its span ``first`` (problems say where
    in the longer list)."""
    times = _span_times(spans)
    if blocks and times is not None and (block := _block(spans, common, times)) is not None:
        yield block
        return
    for k, raw in enumerate(spans):
        problems: list[str] = []
        try:
            entry = _span(raw, common, problems, times[k] if times is not None else None)
        except Exception as exc:
            problems, entry = [skip_reason(exc, "span")], None
        if entry is not None:
            yield entry
        for reason in problems:
            yield MappingProblem((*where, "spans", first + k), reason, partial=entry is not None)


def _span(
    raw: Any, common: dict[str, Any], problems: list[str], times: tuple[datetime, datetime, float] | None = None
) -> MappedSpan:
    # This runs for every span `evaltui serve` receives (in a list not in the common shape:
    # see _block): the usual cases are tested first and the rarer rules skipped when their
    # keys are absent (the same result either way).
    sp = raw if type(raw) is dict else require_object(raw)
    get = sp.get
    trace_id = _hex_id(get("traceId"), "traceId", 16)
    span_id = _hex_id(get("spanId"), "spanId", 8)
    parent = get("parentSpanId")
    parent_id = (
        None
        if parent is None or parent == "" or (isinstance(parent, str) and _NULL_ID.match(parent))
        else _hex_id(parent, "parentSpanId", 8)
    )
    latency: float | None
    if times is not None:  # read for the whole list of spans (_span_times)
        start, end, latency = times
    else:
        start = _nanos(get("startTimeUnixNano"))
        end = _nanos(get("endTimeUnixNano"))
        latency = (end - start).total_seconds() if start is not None and end is not None else None
    attrs = _attributes(get("attributes"))
    events = get("events") or []
    if not isinstance(events, list):
        raise RecordError('"events" must be an array')
    name, span_type, input_, output, error, metadata, metrics, scores = span_fields(
        get("name"), get("status"), attrs, events, parent_id, latency, common, problems
    )
    span = SpanRow(
        id=span_id,
        root_id=trace_id,  # replaced by the trace's root span id once it is known (resolve_roots)
        parent_id=parent_id,
        name=name,
        span_type=span_type,
        ts=start,
        input=input_,
        output=output,
        error=error,
        metadata=metadata,
        metrics=metrics,
        scores=scores,
    )
    return MappedSpan(span, trace_id, parent_id is None)


def span_fields(
    name: Any,
    status: Any,
    attrs: dict[str, Any],
    events: list[Any],
    parent_id: str | None,
    latency: float | None,
    common: dict[str, Any],
    problems: list[str],
) -> tuple[str, str, Any, Any, str | None, dict[str, Any], dict[str, Any], list[ScoreRow]]:
    """A span's (name, type, input, output, error, metadata, metrics, scores) from its
    ``name`` and ``status`` values, attributes and events (``attrs``: its own dict,
    consumed), for ``_span``, ``_block`` and protobuf's block (evaltui.collect.otlp)."""
    metrics: dict[str, Any] = {}
    if latency is not None:
        metrics["latency_s"] = latency
    if not _TOKEN_KEYS.isdisjoint(attrs):
        for key, metric in _TOKENS.items():
            value = attrs.pop(key, None)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                metrics[metric] = value
        if "prompt_tokens" in metrics and "completion_tokens" in metrics:
            metrics["tokens"] = metrics["prompt_tokens"] + metrics["completion_tokens"]

    input_msgs, output_msgs = _attribute_messages(attrs)
    scores: list[ScoreRow] = []
    error = None
    for ev in events:
        if not isinstance(ev, dict):
            continue
        event = ev.get("name")
        ev_attrs = _attributes(ev.get("attributes"))
        if event in _MESSAGE_EVENTS:
            msg = _event_message(ev_attrs, ev.get("body"), _MESSAGE_EVENTS[event])
            input_msgs.append(msg)  # assistant messages here are history; the reply is gen_ai.choice
        elif event == "gen_ai.choice":
            output_msgs.append(_event_message(ev_attrs, ev.get("body"), "assistant"))
        elif event == "gen_ai.evaluation.result":
            try:
                scores.append(_evaluation(ev_attrs))
            except RecordError as exc:
                label = ev_attrs.get("gen_ai.evaluation.name")
                problems.append(f'score "{label}": {exc}' if isinstance(label, str) else f"score: {exc}")
        elif event == "exception" and error is None:
            error = error_text(ev_attrs.get("exception.message")) or error_text(ev_attrs.get("exception.type"))

    if isinstance(status, dict) and status.get("code") in (2, "STATUS_CODE_ERROR", "ERROR"):
        error = error_text(status.get("message")) or error or "error"

    op = attrs.get("gen_ai.operation.name")
    if isinstance(op, str) and op in _OPERATION_TYPES:
        span_type = _OPERATION_TYPES[op]
    elif isinstance(attrs.get("openinference.span.kind"), str):
        span_type = _OPENINFERENCE_TYPES.get(attrs["openinference.span.kind"].upper(), "span")
    elif "gen_ai.tool.name" in attrs:
        span_type = "tool"
    elif input_msgs or not _LLM_KEYS.isdisjoint(attrs):
        span_type = "llm"
    else:
        span_type = "span"

    input_: Any = input_msgs or None
    output: Any = None
    if output_msgs:
        output = reply_text(output_msgs) if len(output_msgs) == 1 else output_msgs
    if input_ is None and "input.value" in attrs:
        input_ = _maybe_json(attrs.pop("input.value"))
    if output is None and "output.value" in attrs:
        output = _maybe_json(attrs.pop("output.value"))
    if span_type == "tool":
        input_ = input_ if input_ is not None else _maybe_json(attrs.get("gen_ai.tool.call.arguments"))
        output = output if output is not None else _maybe_json(attrs.get("gen_ai.tool.call.result"))
    if parent_id is None and is_chat(input_) and any(m.get("role") == "user" for m in input_):
        span_type = "conversation"

    metadata = dict(common)
    metadata.update(attrs)
    model = attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model")
    if model:
        metadata["model"] = model
    return (
        name if isinstance(name, str) and name else span_type,
        span_type,
        input_,
        output,
        error,
        metadata,
        metrics,
        scores,
    )


def _block(
    spans: list[Any], common: dict[str, Any], times: list[tuple[datetime, datetime, float]]
) -> MappedBlock | None:
    """A list of spans in the common shape mapped as ``_span`` maps each, column by column;
    None when any span is not in it (then the list is mapped span by span, problems and
    all): every span a mapping with plain hex ids (``_hex_id``'s usual case), a parent
    absent or a plain hex id, no events, and its times read for the list (``times``)."""
    if any(type(sp) is not dict for sp in spans):
        return None
    trace_ids = _hex_ids([sp.get("traceId") for sp in spans], 16)
    span_ids = _hex_ids([sp.get("spanId") for sp in spans], 8)
    if trace_ids is None or span_ids is None:
        return None
    parents: list[str | None] = []
    for parent in [sp.get("parentSpanId") for sp in spans]:
        if parent is None or parent == "":
            parents.append(None)
        elif type(parent) is str and len(parent) == 16 and _HEX.fullmatch(parent):
            parents.append(None if _NULL_ID.match(parent) else parent.lower())
        else:
            return None
    no_events: list[Any] = []
    problems: list[str] = []
    rows = []
    try:
        for sp, parent_id, (_, _, latency) in zip(spans, parents, times):
            get = sp.get
            if get("events"):
                return None
            attrs = _attributes(get("attributes"))
            rows.append(span_fields(get("name"), get("status"), attrs, no_events, parent_id, latency, common, problems))
    except Exception:  # a span _span would reject or report: the list goes span by span
        return None
    return block_of(trace_ids, span_ids, parents, times, rows, problems)


def block_of(
    trace_ids: list[str],
    span_ids: list[str],
    parents: list[str | None],
    times: list[tuple[datetime, datetime, float]],
    rows: list[tuple[str, str, Any, Any, str | None, dict[str, Any], dict[str, Any], list[ScoreRow]]],
    problems: list[str],
) -> MappedBlock | None:
    """The MappedBlock of a list's ids, times and ``span_fields`` rows; None when a span had a
    problem or a score (those lists are mapped span by span, so each is reported)."""
    names, span_types, inputs, outputs, errors, metadata, metrics, scores = map(list, zip(*rows))
    if problems or any(scores):  # (none without events)
        return None
    return MappedBlock(
        trace_ids,
        span_ids,
        parents,
        names,
        span_types,
        [t[0] for t in times],
        inputs,
        outputs,
        errors,
        metadata,
        metrics,
    )


def _hex_ids(values: list[Any], size: int) -> list[str] | None:
    """``_hex_id`` of each value when all are plain hex ids of ``size`` bytes; else None."""
    if set(map(type, values)) != {str} or set(map(len, values)) != {2 * size}:
        return None
    joined = "".join(values)
    if not _HEX.fullmatch(joined):
        return None
    return values if joined.islower() or joined.isdigit() else [v.lower() for v in values]


def _hex_id(value: Any, key: str, size: int) -> str:
    """OTLP JSON ids are hex; protobuf-JSON exporters write base64 — accept both."""
    if type(value) is str and len(value) == 2 * size and _HEX.fullmatch(value):  # the usual case first
        return value.lower()
    if value is None or value == "":
        raise RecordError(f'missing "{key}"')
    if not isinstance(value, str):
        raise RecordError(f'"{key}" must be a string, got {type_name(value)}')
    if len(value) == 2 * size and _HEX.fullmatch(value):
        return value.lower()
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) == size:
        return raw.hex()
    raise RecordError(f'"{key}" is not a {2 * size}-digit hex id: {value!r}')


def _any_value(v: Any) -> Any:
    if not isinstance(v, dict):
        return v
    if "stringValue" in v:
        return v["stringValue"]
    if "intValue" in v:
        try:
            return int(v["intValue"])
        except (TypeError, ValueError):
            return v["intValue"]
    if "doubleValue" in v:
        try:
            return float(v["doubleValue"])
        except (TypeError, ValueError):
            return v["doubleValue"]
    if "boolValue" in v:
        return v["boolValue"]
    if "arrayValue" in v:
        values = (v["arrayValue"] or {}).get("values") or []
        return [_any_value(x) for x in values]
    if "kvlistValue" in v:
        values = (v["kvlistValue"] or {}).get("values") or []
        return {kv.get("key"): _any_value(kv.get("value")) for kv in values if isinstance(kv, dict)}
    if "bytesValue" in v:
        return v["bytesValue"]
    return None


def _attributes(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if isinstance(raw, dict):  # some exporters write a plain mapping
        return dict(raw)
    if not isinstance(raw, list):
        raise RecordError(f'"attributes" must be an array, got {type_name(raw)}')
    out = {}
    for kv in raw:
        if isinstance(kv, dict) and isinstance(key := kv.get("key"), str):
            v = kv.get("value")
            # A string, the usual value, inline (what _any_value returns for it).
            out[key] = v["stringValue"] if type(v) is dict and "stringValue" in v else _any_value(v)
    return out


def _maybe_json(value: Any) -> Any:
    """``json.loads`` of a string that starts as a JSON object or array, else the value.

    orjson parses it first (the message attributes of every GenAI span: several times
    faster), with the same result for what it accepts, except integers beyond 64 bits,
    which it turns into floats: a text with 19 digits in a row, and one orjson refuses
    (NaN, a lone surrogate, 1e400), go to ``json.loads`` (tests/unit/test_importers.py)."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        if _LONG_DIGITS.search(value) is None:
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                pass
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _semconv_messages(value: Any) -> list[dict[str, Any]]:
    """Messages in the current semconv shape (``parts``) or the chat shape, as chat messages."""
    value = _maybe_json(value)
    if not isinstance(value, list):
        raise RecordError("gen_ai messages attribute is not a JSON list of messages")
    out = []
    for m in value:
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise RecordError("gen_ai messages attribute has a message without a role")
        if "parts" in m:
            parts = m["parts"] if isinstance(m["parts"], list) else []
            texts = [
                p.get("content")
                for p in parts
                if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("content"), str)
            ]
            calls = [p for p in parts if isinstance(p, dict) and p.get("type") == "tool_call"]
            msg: dict[str, Any] = {"role": m["role"], "content": "\n".join(texts) if texts else None}
            if calls:
                msg["tool_calls"] = calls
        else:
            msg = {"role": m["role"], "content": content_text(m.get("content"))}
            if m.get("tool_calls"):
                msg["tool_calls"] = m["tool_calls"]
        out.append(msg)
    return out


def _attribute_messages(attrs: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Pop the message attributes (current or indexed convention) off ``attrs``."""
    input_msgs: list[dict[str, Any]] = []
    output_msgs: list[dict[str, Any]] = []
    indexed_keys = [k for k in attrs if k.startswith(_INDEXED_PREFIXES)]
    if not indexed_keys and _MESSAGE_KEYS.isdisjoint(attrs):  # the usual span: none of them
        return input_msgs, output_msgs
    if "gen_ai.system_instructions" in attrs:
        sys = _maybe_json(attrs.pop("gen_ai.system_instructions"))
        text = content_text(sys) if isinstance(sys, list) else sys
        input_msgs.append({"role": "system", "content": text})
    if "gen_ai.input.messages" in attrs:
        input_msgs.extend(_semconv_messages(attrs.pop("gen_ai.input.messages")))
    if "gen_ai.output.messages" in attrs:
        output_msgs.extend(_semconv_messages(attrs.pop("gen_ai.output.messages")))
    indexed: dict[tuple[str, int], dict[str, Any]] = {}
    for key in indexed_keys:
        m = _INDEXED.match(key)
        if m:
            indexed.setdefault((m.group(1), int(m.group(2))), {})[m.group(3)] = attrs.pop(key)
    for (kind, _), msg in sorted(indexed.items()):
        role = msg.get("role") if isinstance(msg.get("role"), str) else ("user" if kind == "prompt" else "assistant")
        (input_msgs if kind == "prompt" else output_msgs).append({"role": role, "content": msg.get("content")})
    return input_msgs, output_msgs


def _event_message(attrs: dict[str, Any], body: Any, role: str) -> dict[str, Any]:
    msg = _maybe_json(attrs.get("message"))
    if isinstance(body, dict) and "kvlistValue" in body:
        body = _any_value(body)
    if not isinstance(msg, dict) and isinstance(body, dict):
        msg = body.get("message") if isinstance(body.get("message"), dict) else body
    if isinstance(msg, dict):
        out: dict[str, Any] = {
            "role": msg.get("role") if isinstance(msg.get("role"), str) else role,
            "content": content_text(msg.get("content")),
        }
        if msg.get("tool_calls"):
            out["tool_calls"] = _maybe_json(msg["tool_calls"])
        return out
    content = attrs.get("content", attrs.get("gen_ai.event.content"))
    return {
        "role": attrs.get("role") if isinstance(attrs.get("role"), str) else role,
        "content": content_text(_maybe_json(content)),
    }


def _evaluation(attrs: dict[str, Any]) -> ScoreRow:
    name = attrs.get("gen_ai.evaluation.name")
    if not isinstance(name, str) or not name:
        raise RecordError('missing "gen_ai.evaluation.name"')
    label = attrs.get("gen_ai.evaluation.score.label")
    explanation = attrs.get("gen_ai.evaluation.explanation")
    return ScoreRow(
        name=name,
        score=coerce_score(attrs.get("gen_ai.evaluation.score.value")),
        label=str(label) if label is not None else None,
        rationale=explanation if isinstance(explanation, str) else None,
        source="online",
    )
