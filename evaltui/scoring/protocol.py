"""The scorer protocol, shared by online scoring, re-scoring and the Eval runner.

A scorer is any callable that takes some of ``input, output, expected, metadata``
(by name; it is passed only the ones it declares, or all of them if it takes
``**kwargs``) and returns a float, a bool, None (no score), a ``Score``, anything with
``.name``/``.score`` attributes (autoevals' ``Score``), a dict with a ``score`` key, or a
list of those. Sync or async: a coroutine function is awaited, an object with
``eval_async`` (autoevals) uses it, and a plain sync callable runs in a thread so it
cannot stall the event loop. This is the shape autoevals and Braintrust use, so their
scorers work unchanged.
"""

from __future__ import annotations

import inspect
import math
import time
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

from evaltui.daemon_threads import to_daemon_thread

ARGUMENTS = ("input", "output", "expected", "metadata")


@dataclass
class Score:
    """One score: 0..1 (or None), the choice label, the judge's rationale."""

    name: str
    score: float | None
    label: str | None = None
    rationale: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


class ScorerError(Exception):
    """A scorer failed or returned something that is not a score; marks only that scorer."""


def scorer_name(scorer: Any) -> str:
    name = getattr(scorer, "name", None)
    if isinstance(name, str) and name:
        return name
    name = getattr(scorer, "__name__", None)
    if isinstance(name, str) and name and name != "<lambda>":
        return name
    return type(scorer).__name__ if not inspect.isfunction(scorer) else "scorer"


def _to_scores(result: Any, default_name: str) -> list[Score]:
    if result is None:
        return []
    if isinstance(result, (list, tuple)):
        return [s for item in result for s in _to_scores(item, default_name)]
    if isinstance(result, Score):
        return [_checked(result)]
    if isinstance(result, bool):
        return [Score(default_name, 1.0 if result else 0.0)]
    if isinstance(result, (int, float)):
        return [_checked(Score(default_name, float(result)))]
    if isinstance(result, dict) and "score" in result:
        meta = dict(result.get("metadata") or {})
        return [
            _checked(
                Score(
                    str(result.get("name") or default_name),
                    _as_float(result["score"]),
                    label=result.get("label") or meta.get("choice"),
                    rationale=result.get("rationale") or meta.get("rationale"),
                    metadata=meta,
                )
            )
        ]
    if hasattr(result, "score"):  # autoevals.Score and look-alikes
        error = getattr(result, "error", None)
        if error:
            raise ScorerError(str(error))
        meta = dict(getattr(result, "metadata", None) or {})
        return [
            _checked(
                Score(
                    str(getattr(result, "name", None) or default_name),
                    _as_float(result.score),
                    label=meta.get("choice"),
                    rationale=meta.get("rationale"),
                    metadata=meta,
                )
            )
        ]
    raise ScorerError(f"scorer returned {type(result).__name__}, not a score")


def _as_float(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    raise ScorerError(f"score {value!r} is not a number")


def _checked(score: Score) -> Score:
    if score.score is not None and (math.isnan(score.score) or not 0.0 <= score.score <= 1.0):
        raise ScorerError(f"score {score.score!r} from {score.name} is not in 0..1")
    return score


# A sync scorer runs in a thread, so a slow one (an HTTP call) never blocks the event loop.
# For a quick one the hop costs more than the call: after _PROBES calls that each took
# under _INLINE_S in their thread, it runs on the loop; one inline call over _THREAD_S, or
# an inline failure (rerun in a thread), sends it back to threads for good.
_PROBES = 8
_INLINE_S = 0.0005
_THREAD_S = 0.005


class BoundScorer:
    """A scorer with its calling convention worked out once (name, sync or async, which
    arguments it declares), for runners that call it per case: ``await bound(input=...)``
    behaves as ``run_scorer(scorer, input=...)`` without inspecting the signature again."""

    __slots__ = ("scorer", "name", "_fn", "_mode", "_accepts", "_quick")

    def __init__(self, scorer: Any) -> None:
        self.scorer = scorer
        self.name = scorer_name(scorer)
        eval_async = getattr(scorer, "eval_async", None)
        if eval_async is not None and callable(eval_async):
            self._fn, self._mode = eval_async, "await"
        elif inspect.iscoroutinefunction(scorer) or inspect.iscoroutinefunction(getattr(scorer, "__call__", None)):  # noqa: B004
            self._fn, self._mode = scorer, "await"
        else:
            self._fn, self._mode = scorer, "probe"
        self._accepts = _accepted_names(self._fn)
        self._quick = 0  # probe calls so far that were quick

    async def __call__(
        self, *, input: Any = None, output: Any = None, expected: Any = None, metadata: dict[str, Any] | None = None
    ) -> list[Score]:
        values = {"input": input, "output": output, "expected": expected, "metadata": metadata or {}}
        kwargs = values if self._accepts is None else {k: values[k] for k in self._accepts}
        try:
            if self._mode == "await":
                result = await self._fn(**kwargs)
            elif self._mode == "inline":
                result = self._inline(kwargs)
                if result is _RERUN:
                    result = await to_daemon_thread(self._fn, **kwargs)
            else:
                # daemon threads: a scorer stuck past the case's timeout must not keep the process alive
                result = await to_daemon_thread(self._timed, kwargs)
            if inspect.isawaitable(result):
                result = await result
        except ScorerError:
            raise
        except Exception as exc:  # a scorer's own failure marks that scorer only
            raise ScorerError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        return _to_scores(result, self.name)

    def _timed(self, kwargs: dict[str, Any]) -> Any:
        """One call in a worker thread, timed while the scorer is on probation."""
        started = time.perf_counter()
        result = self._fn(**kwargs)
        if self._mode == "probe":
            if time.perf_counter() - started < _INLINE_S and not inspect.isawaitable(result):
                self._quick += 1
                if self._quick >= _PROBES:
                    self._mode = "inline"
            else:
                self._mode = "thread"
        return result

    def _inline(self, kwargs: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            result = self._fn(**kwargs)
        except Exception:  # perhaps only here (it runs its own event loop...): retry where it ran before
            self._mode = "thread"
            return _RERUN
        if time.perf_counter() - started > _THREAD_S:
            self._mode = "thread"
        return result


_RERUN = object()


def _accepted_names(fn: Callable[..., Any]) -> tuple[str, ...] | None:
    """The protocol arguments ``fn`` declares, in order; None when it takes them all."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return None
    return tuple(k for k in ARGUMENTS if k in params)


def bind_scorer(scorer: Any) -> BoundScorer:
    return scorer if isinstance(scorer, BoundScorer) else BoundScorer(scorer)


async def run_scorer(
    scorer: Any,
    *,
    input: Any = None,
    output: Any = None,
    expected: Any = None,
    metadata: dict[str, Any] | None = None,
) -> list[Score]:
    """Call ``scorer`` per the protocol; raises ScorerError (with the reason) on failure."""
    return await bind_scorer(scorer)(input=input, output=output, expected=expected, metadata=metadata)
