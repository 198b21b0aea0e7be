"""Braintrust's tracing calls, safe to use with or without a logger: ``init_logger``,
``traced``, ``current_span``, ``wrap_openai`` and ``wrap_anthropic``.

Today there is no tracing backend: ``init_logger`` returns a ``Logger`` whose spans are
kept nowhere, ``traced`` only calls the function, and ``current_span()`` inside an eval case
logs onto that case (``span.log(metadata=..., metrics=...)``, as ``hooks.span`` does),
elsewhere onto nothing. The model-client wrappers record each call's token usage and
latency on the eval case it runs in (``case_context.record_llm_call``), so an experiment's
results carry ``prompt_tokens``, ``completion_tokens``, ``llm_calls`` and ``llm_latency_s``
in their metrics. Both clients are wrapped by duck typing (``client.chat.completions.create``,
``client.messages.create``), sync or async, and neither package is imported here.

The seam for a real tracing SDK (issue 18) is ``Backend``: ``set_backend(b)`` makes
``init_logger`` return ``b.logger(...)``, ``traced`` open ``b.span(...)`` around the call, and
the wrappers report each call to ``b.llm_call(...)`` as well as to the case.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

from evaltui import case_context

F = TypeVar("F", bound=Callable[..., Any])


class Span:
    """A span that keeps nothing, or (in an eval case) logs onto that case: ``case`` is
    anything with ``metadata`` and ``metrics`` dicts (a ``CaseContext``, ``EvalHooks``)."""

    def __init__(self, name: str | None = None, case: Any = None) -> None:
        self.name = name
        self._case = case

    def log(self, **event: Any) -> None:
        if self._case is not None:
            self._case.metadata.update(event.get("metadata") or {})
            self._case.metrics.update(event.get("metrics") or {})

    def start_span(self, name: str | None = None, **_: Any) -> Span:
        return Span(name, self._case)

    def end(self, *_: Any, **__: Any) -> float:
        return time.time()

    def set_attributes(self, **_: Any) -> None:
        return None

    def __enter__(self) -> Span:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class Logger:
    """What ``init_logger`` returns when no tracing backend is installed: its spans and
    logs are kept nowhere (there is no service to send them to)."""

    def __init__(self, project: str | None = None) -> None:
        self.project = project

    def log(self, **event: Any) -> str:
        return ""

    def start_span(self, name: str | None = None, **_: Any) -> Span:
        return Span(name, case_context.current())

    def flush(self) -> None:
        return None


class Backend(Protocol):
    """A tracing SDK behind these calls (issue 18)."""

    def logger(self, project: str | None, **options: Any) -> Any: ...
    def span(self, name: str, **options: Any) -> Any: ...  # a context manager yielding a span
    def llm_call(self, call: dict[str, Any]) -> None: ...


_backend: Backend | None = None
_logger: ContextVar[Any] = ContextVar("evaltui_logger", default=None)
_span: ContextVar[Any] = ContextVar("evaltui_span", default=None)


def set_backend(backend: Backend | None) -> None:
    """Install (or with None, remove) the tracing SDK behind these calls."""
    global _backend
    _backend = backend


def init_logger(
    project: str | None = None,
    project_id: str | None = None,
    *,
    endpoint: str | None = None,
    spool: str | None = None,
    **options: Any,
) -> Any:
    """Braintrust's ``init_logger``: installs the tracing SDK (evaltui.sdk), which exports
    spans through OpenTelemetry to `evaltui serve` at ``endpoint`` (else
    ``EVALTUI_ENDPOINT``/``OTEL_EXPORTER_OTLP_ENDPOINT``), or with no server configured
    appends them to a local JSONL spool (``spool``, ``EVALTUI_SPOOL``, else beside the database)."""
    global _backend
    from evaltui import sdk

    if _backend is None or isinstance(_backend, sdk.OtelBackend):
        if isinstance(_backend, sdk.OtelBackend):
            _backend.shutdown()  # a second init_logger: the first one's spans are sent first
        _backend = sdk.OtelBackend(project, endpoint=endpoint, spool=spool)
    logger = _backend.logger(project, project_id=project_id, **options)
    _logger.set(logger)
    return logger


def flush() -> None:
    """Send (or spool) every span ended so far; a no-op without a logger."""
    flush_backend = getattr(_backend, "flush", None)
    if flush_backend is not None:
        flush_backend()


def current_logger() -> Any:
    return _logger.get()


def current_span() -> Any:
    """The span ``traced`` opened, else one that logs onto the running eval case (or nowhere)."""
    span = _span.get()
    return span if span is not None else Span(None, case_context.current())


def traced(fn: F | None = None, *, name: str | None = None, **options: Any) -> Any:
    """``@traced`` or ``@traced(name=...)``: calls the function as it is (sync or async);
    with a tracing backend, inside a span of that name."""

    def decorate(f: F) -> F:
        span_name: str = name or getattr(f, "__name__", None) or "span"
        try:
            signature: inspect.Signature | None = inspect.signature(f)
        except (TypeError, ValueError):
            signature = None

        def arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            if signature is None:
                return {"args": list(args), "kwargs": kwargs}
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:
                return {"args": list(args), "kwargs": kwargs}
            return {k: v for k, v in bound.arguments.items() if k not in ("self", "cls")}

        if inspect.iscoroutinefunction(f):

            @functools.wraps(f)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                if _backend is None:
                    return await f(*args, **kwargs)
                with _backend.span(span_name, **options) as span:
                    token = _span.set(span)
                    try:
                        _log_safely(span, input=arguments(args, kwargs))
                        result = await f(*args, **kwargs)
                        _log_safely(span, output=result)
                        return result
                    finally:
                        _span.reset(token)

            return run_async  # type: ignore[return-value]

        @functools.wraps(f)
        def run(*args: Any, **kwargs: Any) -> Any:
            if _backend is None:
                return f(*args, **kwargs)
            with _backend.span(span_name, **options) as span:
                token = _span.set(span)
                try:
                    _log_safely(span, input=arguments(args, kwargs))
                    result = f(*args, **kwargs)
                    _log_safely(span, output=result)
                    return result
                finally:
                    _span.reset(token)

        return run  # type: ignore[return-value]

    return decorate(fn) if fn is not None else decorate


def _log_safely(span: Any, **event: Any) -> None:
    """Record a traced function's arguments or result; a value that cannot be recorded
    never breaks the call."""
    try:
        span.log(**event)
    except Exception:
        pass


# -- model clients --------------------------------------------------------------------


def _usage(provider: str, usage: Any) -> tuple[int | None, int | None]:
    if provider == "anthropic":
        prompt, completion = getattr(usage, "input_tokens", None), getattr(usage, "output_tokens", None)
    else:
        prompt, completion = getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None)
    return (prompt if isinstance(prompt, int) else None), (completion if isinstance(completion, int) else None)


def _reply(provider: str, response: Any) -> tuple[Any, Any]:
    """The reply's text and tool calls (as JSON-able values)."""
    if provider == "anthropic":
        blocks = getattr(response, "content", None) or []
        texts = [getattr(b, "text", None) for b in blocks if getattr(b, "type", None) == "text"]
        return "".join(t for t in texts if isinstance(t, str)) or None, None
    choices = getattr(response, "choices", None) or []
    message = getattr(choices[0], "message", None) if choices else None
    calls = getattr(message, "tool_calls", None)
    dumped = [c.model_dump() if hasattr(c, "model_dump") else c for c in calls] if calls else None
    return getattr(message, "content", None), dumped


def _record(
    provider: str,
    response: Any,
    kwargs: dict[str, Any],
    started: float,
    llm: Any = None,
    *,
    text: Any = None,
    tool_calls: Any = None,
    usage: Any = None,
) -> None:
    prompt, completion = _usage(provider, usage if usage is not None else getattr(response, "usage", None))
    call: dict[str, Any] = {
        "provider": provider,
        "model": getattr(response, "model", None) or kwargs.get("model"),
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "latency_s": time.perf_counter() - started,
    }
    case_context.record_llm_call(**call)
    if _backend is not None:
        _backend.llm_call(call)
    if llm is not None:
        if text is None and tool_calls is None and usage is None:
            text, tool_calls = _reply(provider, response)
        llm.finish(
            model=call["model"], text=text, tool_calls=tool_calls, prompt_tokens=prompt, completion_tokens=completion
        )


class _StreamRecorder:
    """Assembles an OpenAI chat stream's chunks (passed through unchanged) into the reply,
    recorded when the stream ends."""

    def __init__(self, provider: str, kwargs: dict[str, Any], started: float, llm: Any) -> None:
        self.provider, self.kwargs, self.started, self.llm = provider, kwargs, started, llm
        self.parts: list[str] = []
        self.calls: dict[int, dict[str, Any]] = {}
        self.model: Any = None
        self.usage: Any = None
        self.done = False

    def chunk(self, chunk: Any) -> None:
        try:
            self.model = getattr(chunk, "model", None) or self.model
            if getattr(chunk, "usage", None) is not None:
                self.usage = chunk.usage
            for choice in getattr(chunk, "choices", None) or []:
                delta = getattr(choice, "delta", None)
                content = getattr(delta, "content", None)
                if isinstance(content, str):
                    self.parts.append(content)
                for tc in getattr(delta, "tool_calls", None) or []:
                    call = self.calls.setdefault(
                        getattr(tc, "index", 0) or 0,
                        {"id": None, "type": "function", "function": {"name": "", "arguments": ""}},
                    )
                    call["id"] = getattr(tc, "id", None) or call["id"]
                    fn = getattr(tc, "function", None)
                    if fn is not None:
                        call["function"]["name"] += getattr(fn, "name", None) or ""
                        call["function"]["arguments"] += getattr(fn, "arguments", None) or ""
        except Exception:
            pass  # a chunk we cannot read is still passed through

    def end(self, exc: BaseException | None = None) -> None:
        if self.done:
            return
        self.done = True
        if exc is not None and self.llm is not None:
            self.llm.fail(exc)
            return
        response = type("_Assembled", (), {"model": self.model})()
        tool_calls = [self.calls[i] for i in sorted(self.calls)] or None
        _record(
            self.provider,
            response,
            self.kwargs,
            self.started,
            self.llm,
            text="".join(self.parts) if self.parts else None,
            tool_calls=tool_calls,
            usage=self.usage if self.usage is not None else False,
        )


def _wrap_stream(stream: Any, recorder: _StreamRecorder) -> Any:
    if hasattr(stream, "__aiter__"):
        return _AsyncStream(stream, recorder)
    return _SyncStream(stream, recorder)


class _SyncStream:
    """The client's stream, chunk for chunk; everything else (``close``, ``response``) is its own."""

    def __init__(self, stream: Any, recorder: _StreamRecorder) -> None:
        self._stream, self._recorder = stream, recorder

    def __iter__(self) -> Any:
        try:
            for chunk in self._stream:
                self._recorder.chunk(chunk)
                yield chunk
        except BaseException as exc:
            self._recorder.end(exc)
            raise
        self._recorder.end()

    def __next__(self) -> Any:  # some callers use next(stream)
        try:
            chunk = next(self._stream)
        except StopIteration:
            self._recorder.end()
            raise
        self._recorder.chunk(chunk)
        return chunk

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._recorder.end()
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _AsyncStream:
    def __init__(self, stream: Any, recorder: _StreamRecorder) -> None:
        self._stream, self._recorder = stream, recorder

    async def __aiter__(self) -> Any:
        try:
            async for chunk in self._stream:
                self._recorder.chunk(chunk)
                yield chunk
        except BaseException as exc:
            self._recorder.end(exc)
            raise
        self._recorder.end()

    async def __aenter__(self) -> Any:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        self._recorder.end()
        close = getattr(self._stream, "close", None)
        if close is not None:
            await close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _timed(provider: str, create: Callable[..., Any]) -> Callable[..., Any]:
    """``create`` recording each call (on the eval case, and as a span with the SDK); an
    async client's call stays awaitable, a stream is passed through chunk for chunk."""

    def done(response: Any, kwargs: dict[str, Any], started: float, llm: Any) -> Any:
        if kwargs.get("stream") and provider == "openai":
            return _wrap_stream(response, _StreamRecorder(provider, kwargs, started, llm))
        _record(provider, response, kwargs, started, llm)
        return response

    @functools.wraps(create)
    def call(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        start_llm = getattr(_backend, "start_llm", None)
        llm = start_llm(provider, kwargs) if start_llm is not None else None
        try:
            out = create(*args, **kwargs)
        except BaseException as exc:
            if llm is not None:
                llm.fail(exc)
            raise
        if inspect.isawaitable(out):

            async def finish() -> Any:
                try:
                    response = await out
                except BaseException as exc:
                    if llm is not None:
                        llm.fail(exc)
                    raise
                return done(response, kwargs, started, llm)

            return finish()
        return done(out, kwargs, started, llm)

    return call


class _Proxy:
    """Everything of the wrapped object, with some attributes replaced."""

    def __init__(self, wrapped: Any, **replaced: Any) -> None:
        object.__setattr__(self, "_wrapped", wrapped)
        object.__setattr__(self, "_replaced", replaced)

    def __getattr__(self, name: str) -> Any:
        replaced = object.__getattribute__(self, "_replaced")
        if name in replaced:
            return replaced[name]
        return getattr(object.__getattribute__(self, "_wrapped"), name)

    def __repr__(self) -> str:
        return f"wrapped({object.__getattribute__(self, '_wrapped')!r})"


def wrap_openai(client: Any) -> Any:
    """An OpenAI client (sync or async) whose ``chat.completions.create`` records usage and
    latency on the running eval case; everything else is the client's own."""
    completions = _Proxy(client.chat.completions, create=_timed("openai", client.chat.completions.create))
    return _Proxy(client, chat=_Proxy(client.chat, completions=completions))


def wrap_anthropic(client: Any) -> Any:
    """An Anthropic client (sync or async) whose ``messages.create`` records usage and
    latency on the running eval case. The client itself honours ``ANTHROPIC_BASE_URL``, so
    its calls go to any Anthropic-compatible endpoint."""
    return _Proxy(client, messages=_Proxy(client.messages, create=_timed("anthropic", client.messages.create)))
