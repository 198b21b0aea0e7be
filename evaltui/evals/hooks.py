"""What a task may take as its second argument (Braintrust's ``EvalHooks``)."""

from __future__ import annotations

from typing import Any

from evaltui.tracing import Span


class EvalHooks:
    """Per (case, trial): ``metadata`` (writable, stored with the result and passed to
    scorers), ``expected``, ``trial_index``, ``tags``, ``metrics`` (e.g. ``prompt_tokens``,
    ``completion_tokens``: summed into the experiment's token metric), ``meta(**kw)``
    and ``span.log(metadata=, metrics=)``."""

    def __init__(
        self, *, input: Any, expected: Any, metadata: dict[str, Any], trial_index: int, tags: list[str]
    ) -> None:
        self.input = input
        self.expected = expected
        self.metadata = metadata
        self.trial_index = trial_index
        self.tags = tags
        self.metrics: dict[str, float] = {}
        self.span = Span(None, self)  # logs metadata and metrics onto this case
        self._context: Any = None  # the case_context.CaseContext the runner entered for this case

    def meta(self, **info: Any) -> None:
        self.metadata.update(info)

    def report_progress(self, progress: Any) -> None:  # accepted for compatibility
        return None
