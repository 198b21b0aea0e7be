"""The tracing SDK behind ``evaltui.init_logger``: spans through the standard OpenTelemetry
SDK (TracerProvider + BatchSpanProcessor) carrying the GenAI semantic-convention attributes
that ``evaltui.ingest.otel.map_export`` reads, so `evaltui serve` stores a traced LLM call
as a conversation (or a turn) with its input, output, model, usage and latency.

Where the spans go (first that is set):

1. ``init_logger(endpoint=...)``, ``EVALTUI_ENDPOINT``, ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``
   or ``OTEL_EXPORTER_OTLP_ENDPOINT``: the OTLP/HTTP exporter posts them to that server.
2. Otherwise a local JSONL spool in evaltui's own span format (``init_logger(spool=...)``,
   ``EVALTUI_SPOOL``, else ``<database>-traces.jsonl`` beside the database), which
   ``evaltui ingest --follow`` reads. A trace's spans are written together when its root
   ends, so every line already carries its root's id.

Scores logged with ``current_span().log(scores=...)`` become ``gen_ai.evaluation.result``
events, which the mapping stores as the span's scores (source "online").
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evaltui import case_context

_INSTRUMENTATION = "evaltui"


def resolve_endpoint(endpoint: str | None = None) -> str | None:
    """The OTLP/HTTP traces URL, or None (spool locally)."""
    url = endpoint or os.environ.get("EVALTUI_ENDPOINT")
    if not url and os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        return os.environ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]  # the OTel spec: used as is
    url = url or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if not url:
        return None
    url = url.rstrip("/")
    return url if url.endswith("/v1/traces") else url + "/v1/traces"


def resolve_spool(spool: str | os.PathLike[str] | None = None) -> Path:
    if spool:
        return Path(spool)
    if os.environ.get("EVALTUI_SPOOL"):
        return Path(os.environ["EVALTUI_SPOOL"])
    from evaltui.dbpath import default_db, resolve_db_path

    db = resolve_db_path(default_db())
    return db.with_name(f"{db.stem}-traces.jsonl")


def _attr(value: Any) -> Any:
    """An OpenTelemetry attribute value: primitives as they are, anything else as JSON."""
    if isinstance(value, (str, bool, int, float)):
        return value
    return json.dumps(value, default=str, ensure_ascii=False)


def _is_chat(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in value)
    )


class SdkSpan:
    """An OpenTelemetry span with Braintrust's ``log``; in an eval case it also logs onto the case."""

    def __init__(self, otel_span: Any, tracer: Any) -> None:
        self.otel = otel_span
        self.name = getattr(otel_span, "name", None)
        self._tracer = tracer

    @property
    def id(self) -> str:
        return format(self.otel.get_span_context().span_id, "016x")

    def log(
        self,
        *,
        input: Any = None,
        output: Any = None,
        scores: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        **_: Any,
    ) -> None:
        case = case_context.current()
        if case is not None:
            case.metadata.update(metadata or {})
            case.metrics.update(metrics or {})
        s = self.otel
        if input is not None:
            if _is_chat(input):
                s.set_attribute("gen_ai.input.messages", _attr(input))
            else:
                s.set_attribute("input.value", _attr(input))
        if output is not None:
            if _is_chat(output):
                s.set_attribute("gen_ai.output.messages", _attr(output))
            else:
                s.set_attribute("output.value", _attr(output))
        for key, value in (metadata or {}).items():
            s.set_attribute(str(key), _attr(value))
        for key, value in (metrics or {}).items():
            s.set_attribute(f"evaltui.metrics.{key}", _attr(value))
        for name, value in (scores or {}).items():
            attrs: dict[str, Any] = {"gen_ai.evaluation.name": str(name)}
            if isinstance(value, bool) or value is None:
                attrs["gen_ai.evaluation.score.value"] = float(bool(value))
            elif isinstance(value, (int, float)):
                attrs["gen_ai.evaluation.score.value"] = float(value)
            else:
                attrs["gen_ai.evaluation.score.label"] = str(value)
            s.add_event("gen_ai.evaluation.result", attrs)

    def start_span(self, name: str | None = None, **_: Any) -> SdkSpan:
        from opentelemetry import trace

        ctx = trace.set_span_in_context(self.otel)
        return SdkSpan(self._tracer.start_span(name or "span", context=ctx), self._tracer)

    def set_attributes(self, **attrs: Any) -> None:
        for k, v in attrs.items():
            self.otel.set_attribute(k, _attr(v))

    def end(self, *_: Any, **__: Any) -> float:
        import time

        self.otel.end()
        return time.time()

    def __enter__(self) -> SdkSpan:
        return self

    def __exit__(self, *exc: object) -> None:
        self.end()


class SdkLogger:
    """What ``init_logger`` returns with the SDK: its project, where spans go, ``flush``."""

    def __init__(self, backend: OtelBackend, project: str | None) -> None:
        self._backend = backend
        self.project = project

    @property
    def destination(self) -> str:
        return self._backend.destination

    def start_span(self, name: str | None = None, **_: Any) -> SdkSpan:
        return SdkSpan(self._backend.tracer.start_span(name or "span"), self._backend.tracer)

    def log(self, **event: Any) -> str:
        """A root span holding one event (input, output, scores, metadata)."""
        with self._backend.span("log") as span:
            span.log(**event)
            return span.id

    def flush(self) -> None:
        self._backend.flush()


class OtelBackend:
    """The ``tracing.Backend`` that exports through the OpenTelemetry SDK."""

    def __init__(
        self, project: str | None, endpoint: str | None = None, spool: str | os.PathLike[str] | None = None
    ) -> None:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        url = resolve_endpoint(endpoint)
        exporter: Any
        if url is not None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter(endpoint=url)
            self.destination = url
        else:
            path = resolve_spool(spool)
            exporter = JsonlSpoolExporter(path)
            self.destination = str(path)
        attrs = {"service.name": os.environ.get("OTEL_SERVICE_NAME") or project or "evaltui-app"}
        if project:
            attrs["evaltui.project"] = project
        self.provider = TracerProvider(resource=Resource.create(attrs))
        self.provider.add_span_processor(BatchSpanProcessor(exporter))
        self.tracer = self.provider.get_tracer(_INSTRUMENTATION)
        self.project = project

    def logger(self, project: str | None, **_: Any) -> SdkLogger:
        return SdkLogger(self, project)

    @contextmanager
    def span(self, name: str, **options: Any) -> Iterator[SdkSpan]:
        with self.tracer.start_as_current_span(name, record_exception=True, set_status_on_exception=True) as s:
            yield SdkSpan(s, self.tracer)

    def llm_call(self, call: dict[str, Any]) -> None:
        return None  # the wrappers open their own span (start_llm)

    def start_llm(self, provider: str, kwargs: dict[str, Any]) -> LlmCall:
        """A span for one model call, child of the current span, ended by ``LlmCall.finish``."""
        model = kwargs.get("model")
        span = self.tracer.start_span(f"chat {model}" if model else "chat")
        span.set_attribute("gen_ai.operation.name", "chat")
        span.set_attribute("gen_ai.provider.name", provider)
        if model:
            span.set_attribute("gen_ai.request.model", str(model))
        messages = list(kwargs.get("messages") or [])
        if provider == "anthropic" and kwargs.get("system"):
            messages.insert(0, {"role": "system", "content": kwargs["system"]})
        if messages:
            span.set_attribute("gen_ai.input.messages", _attr(messages))
        return LlmCall(span, provider)

    def flush(self, timeout_ms: int = 30_000) -> bool:
        return bool(self.provider.force_flush(timeout_ms))

    def shutdown(self) -> None:
        self.provider.shutdown()


class LlmCall:
    """The span of one model call, open until the reply (or the end of its stream)."""

    def __init__(self, span: Any, provider: str) -> None:
        self.span = span
        self.provider = provider

    def finish(
        self, *, model: Any, text: Any, tool_calls: Any = None, prompt_tokens: Any = None, completion_tokens: Any = None
    ) -> None:
        s = self.span
        if model:
            s.set_attribute("gen_ai.response.model", str(model))
        if isinstance(prompt_tokens, int):
            s.set_attribute("gen_ai.usage.input_tokens", prompt_tokens)
        if isinstance(completion_tokens, int):
            s.set_attribute("gen_ai.usage.output_tokens", completion_tokens)
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if tool_calls:
            message["tool_calls"] = tool_calls
        s.set_attribute("gen_ai.output.messages", _attr([message]))
        s.end()

    def fail(self, exc: BaseException) -> None:
        from opentelemetry.trace import Status, StatusCode

        self.span.record_exception(exc)
        self.span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        self.span.end()


# -- the local spool --------------------------------------------------------------------


def _readable_as_otlp(span: Any) -> dict[str, Any]:
    """A finished SDK span in the shape ``map_export`` reads (as `serve` decodes protobuf)."""
    ctx = span.context
    parent = span.parent
    return {
        "traceId": format(ctx.trace_id, "032x"),
        "spanId": format(ctx.span_id, "016x"),
        "parentSpanId": format(parent.span_id, "016x") if parent is not None else None,
        "name": span.name,
        "startTimeUnixNano": span.start_time,
        "endTimeUnixNano": span.end_time,
        "attributes": dict(span.attributes or {}),
        "events": [{"name": e.name, "attributes": dict(e.attributes or {})} for e in span.events],
        "status": {"code": span.status.status_code.value, "message": span.status.description or ""},
    }


def _row_json(row: Any) -> bytes:
    import orjson

    obj = {
        "id": row.id,
        "root_id": row.root_id,
        "parent_id": row.parent_id,
        "name": row.name,
        "span_type": row.span_type,
        "ts": row.ts.isoformat() if hasattr(row.ts, "isoformat") else row.ts,
        "input": row.input,
        "output": row.output,
        "error": row.error,
        "metadata": row.metadata,
        "metrics": row.metrics,
        "scores": [
            {"name": s.name, "score": s.score, "label": s.label, "rationale": s.rationale, "source": s.source}
            for s in row.scores
        ],
    }
    return orjson.dumps(obj, default=str) + b"\n"


class JsonlSpoolExporter:
    """An OpenTelemetry ``SpanExporter`` appending evaltui span JSONL to a file. A trace's
    spans are held until its root span arrives, then written in one append (children
    first, as they ended), so each line names its root; ``shutdown`` writes what is left."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._held: dict[str, list[Any]] = {}
        self._lock = threading.Lock()

    def export(self, spans: Sequence[Any]) -> Any:
        from opentelemetry.sdk.trace.export import SpanExportResult

        from evaltui.ingest.otel import MappedSpan, map_export, resolve_roots

        doc = {
            "resourceSpans": [
                {
                    "resource": {"attributes": dict(s.resource.attributes)},
                    "scopeSpans": [{"spans": [_readable_as_otlp(s)]}],
                }
                for s in spans
            ]
        }
        ready: list[MappedSpan] = []
        with self._lock:
            for entry in map_export(doc):
                if not isinstance(entry, MappedSpan):
                    continue
                held = self._held.setdefault(entry.trace_id, [])
                held.append(entry)
                if entry.is_root:
                    ready.extend(self._held.pop(entry.trace_id))
            if ready:
                resolve_roots(ready)
                try:
                    self._append(ready)
                except OSError:
                    return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def _append(self, spans: list[Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = b"".join(_row_json(s.row) for s in spans)
        with open(self.path, "ab") as f:
            f.write(data)
            f.flush()

    def shutdown(self) -> None:
        with self._lock:
            left = [s for spans in self._held.values() for s in spans]
            self._held.clear()
            if left:
                self._append(left)  # roots never ended: each keeps its trace id as root

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True
