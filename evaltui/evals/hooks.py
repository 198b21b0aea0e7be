"""What a task may take as its second argument (Braintrust's ``EvalHooks``)."""

from __future__ import annotations

from typing import Any


class _Span:
    """Enough of a Braintrust span for tasks that log metadata or metrics on it."""

    def __init__(self, hooks: EvalHooks) -> None:
        self._hooks = hooks

    def log(self, **event: Any) -> None:
        self._hooks.metadata.update(event.get("metadata") or {})
        self._hooks.metrics.update(event.get("metrics") or {})

    def start_span(self, *args: Any, **kwargs: Any) -> _Span:
        return self

    def __enter__(self) -> _Span:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class EvalHooks:
    """Per (case, trial): ``metadata`` (writable, stored with the result and passed to
    scorers), ``expected``, ``trial_index``, ``tags``, ``metrics`` (e.g. ``prompt_tokens``,
    ``completion_tokens``: summed into the experiment's token metric), ``meta(**kw)``
    and ``span.log(metadata=, metrics=)``."""

    def __init__(self, *, input: Any, expected: Any, metadata: dict[str, Any], trial_index: int, tags: list[str]) -> None:
        self.input = input
        self.expected = expected
        self.metadata = metadata
        self.trial_index = trial_index
        self.tags = tags
        self.metrics: dict[str, float] = {}
        self.span = _Span(self)
        self._context: Any = None  # the case_context.CaseContext the runner entered for this case

    def meta(self, **info: Any) -> None:
        self.metadata.update(info)

    def report_progress(self, progress: Any) -> None:  # accepted for compatibility
        return None
