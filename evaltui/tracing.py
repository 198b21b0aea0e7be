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


def init_logger(project: str | None = None, project_id: str | None = None, **options: Any) -> Any:
    """Braintrust's ``init_logger``: accepted (no network); the returned logger keeps
    nothing until a tracing backend is installed."""
    logger = _backend.logger(project, project_id=project_id, **options) if _backend is not None else Logger(project)
    _logger.set(logger)
    return logger


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

        if inspect.iscoroutinefunction(f):
            @functools.wraps(f)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                if _backend is None:
                    return await f(*args, **kwargs)
                with _backend.span(span_name, **options) as span:
                    token = _span.set(span)
                    try:
                        return await f(*args, **kwargs)
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
                    return f(*args, **kwargs)
                finally:
                    _span.reset(token)

        return run  # type: ignore[return-value]

    return decorate(fn) if fn is not None else decorate


# -- model clients --------------------------------------------------------------------


def _record(provider: str, response: Any, kwargs: dict[str, Any], started: float) -> None:
    usage = getattr(response, "usage", None)
    if provider == "anthropic":
        prompt, completion = getattr(usage, "input_tokens", None), getattr(usage, "output_tokens", None)
    else:
        prompt, completion = getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None)
    call: dict[str, Any] = {"provider": provider, "model": getattr(response, "model", None) or kwargs.get("model"),
            "prompt_tokens": prompt if isinstance(prompt, int) else None,
            "completion_tokens": completion if isinstance(completion, int) else None,
            "latency_s": time.perf_counter() - started}
    case_context.record_llm_call(**call)
    if _backend is not None:
        _backend.llm_call(call)


def _timed(provider: str, create: Callable[..., Any]) -> Callable[..., Any]:
    """``create`` recording each call; an async client's call stays awaitable."""

    @functools.wraps(create)
    def call(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        out = create(*args, **kwargs)
        if inspect.isawaitable(out):
            async def finish() -> Any:
                response = await out
                _record(provider, response, kwargs, started)
                return response

            return finish()
        _record(provider, out, kwargs, started)
        return out

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
