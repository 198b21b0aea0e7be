"""The eval case running now, for code that runs inside a task without being handed it.

The runner enters a ``CaseContext`` around each (case, trial); a prompt's ``build()``
records which prompt version it built, and a wrapped model client records each call's
tokens and latency, on the case they ran in. Outside a case (a script, the app) there is
none and recording does nothing. A ``ContextVar``: async tasks see their own case, and
the runner copies the context into the thread of a sync task.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CaseContext:
    """What a case's task recorded: ``metrics`` and ``metadata`` are the case's own
    (``hooks.metrics`` / ``hooks.metadata``); ``prompts`` the prompt versions it built."""

    metadata: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    prompts: list[dict[str, Any]] = field(default_factory=list)
    llm_calls: list[dict[str, Any]] = field(default_factory=list)


_current: ContextVar[CaseContext | None] = ContextVar("evaltui_case", default=None)


def current() -> CaseContext | None:
    """The case running in this context, or None outside an eval."""
    return _current.get()


@contextmanager
def entering(case: CaseContext) -> Iterator[CaseContext]:
    token = _current.set(case)
    try:
        yield case
    finally:
        _current.reset(token)


def record_prompt(ref: dict[str, Any]) -> None:
    """Note that the current case built this prompt version (``{name, version, hash}``), once."""
    case = current()
    if case is not None and ref not in case.prompts:
        case.prompts.append(dict(ref))


def record_llm_call(
    *, provider: str, model: str | None, prompt_tokens: int | None, completion_tokens: int | None, latency_s: float
) -> None:
    """Add one model call's usage and latency to the current case's metrics."""
    case = current()
    if case is None:
        return
    case.llm_calls.append(
        {
            "provider": provider,
            "model": model,
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "latency_s": latency_s,
        }
    )
    m = case.metrics
    m["llm_calls"] = m.get("llm_calls", 0) + 1
    m["llm_latency_s"] = m.get("llm_latency_s", 0.0) + latency_s
    if prompt_tokens is not None:
        m["prompt_tokens"] = m.get("prompt_tokens", 0) + prompt_tokens
    if completion_tokens is not None:
        m["completion_tokens"] = m.get("completion_tokens", 0) + completion_tokens
