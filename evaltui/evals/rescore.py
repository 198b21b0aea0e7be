"""Re-score an experiment's stored outputs with another scorer: no task re-run.

When calibration shows the eval's judge disagrees with people, the fix is to grade the
same outputs again with a better judge. The new grades are added to ``result_scores``
under the scorer's own name and version (the run's grades stay), so ``compare`` shows
both side by side and a second re-score with the same version does nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, UTC
from typing import TYPE_CHECKING, Any

import orjson

from evaltui.model import scorer_key
from evaltui.jsondepth import loads_stored
from evaltui.scoring.protocol import Score, ScorerError, run_scorer, scorer_name

if TYPE_CHECKING:
    from evaltui.store.db import Store


@dataclass
class RescoreReport:
    experiment: str
    scorer: str
    version: str
    pending: int = 0
    scored: int = 0
    errors: int = 0
    skipped_task_errors: int = 0
    mean: float | None = None
    error_samples: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.experiment}: {self.scorer} ({self.version}) scored {self.scored} of {self.pending} results"
        if self.mean is not None:
            text += f", mean {self.mean:.3f}"
        if self.errors:
            text += f", {self.errors} errors (first: {self.error_samples[0]})"
        return text


def _version_of(scorer: Any, version: str | None) -> str:
    if version:
        return version
    v = getattr(scorer, "version", None)
    return v if isinstance(v, str) and v else "rescore"


async def _grade(scorer: Any, rows: list[dict[str, Any]]) -> list[list[Score] | str]:
    batch = getattr(scorer, "score_batch", None)
    if batch is not None:  # one embedding pass (the offline judge)
        try:
            scores = await asyncio.to_thread(batch, rows)
            return [[s] for s in scores]
        except Exception as exc:  # noqa: BLE001 - the batch failed: mark every result
            return [f"{type(exc).__name__}: {exc}" for _ in rows]

    async def one(r: dict[str, Any]) -> list[Score] | str:
        try:
            return await run_scorer(
                scorer, input=r["input"], output=r["output"], expected=r["expected"], metadata=r["metadata"]
            )
        except ScorerError as exc:
            return str(exc)

    return list(await asyncio.gather(*(one(r) for r in rows)))


async def _grade_closing(scorer: Any, rows: list[dict[str, Any]]) -> list[list[Score] | str]:
    """``_grade``, then close the connections a judge opened on this event loop (aiohttp
    warns of a session left open when the loop ends, once per experiment re-scored)."""
    from evaltui import heap
    from evaltui.llm.client import closing_clients

    with heap.frozen():  # no full collection over the loaded heap while grades are in flight
        async with closing_clients():
            return await _grade(scorer, rows)


def rescore_experiment(
    store: Store, experiment: str, scorer: Any, *, name: str | None = None, version: str | None = None
) -> RescoreReport:
    """Grade every stored output of ``experiment`` (a name) with ``scorer`` (a protocol
    scorer, or a ``ScorerSpec`` from ``evaltui.scoring.resolve``) and store the grades under
    ``name`` (default: the scorer's name) and ``version``. Results already graded by that
    (name, version) and results whose task failed are skipped."""
    from evaltui.llm.client import redact_configured
    from evaltui.store import experiments as exp_store
    from evaltui.store import result_grades as grades

    spec_version = getattr(scorer, "version", None) if hasattr(scorer, "fn") else None
    fn = getattr(scorer, "fn", scorer)  # a ScorerSpec carries the callable
    display = name or getattr(scorer, "name", None) or scorer_name(fn)
    key = scorer_key(display)
    ver = version or spec_version or _version_of(fn, None)
    exp = exp_store.require_experiment(store, experiment)
    done = grades.graded_result_ids(store, exp["id"], key, ver)
    rows = grades.stored_outputs(store, exp["id"])
    report = RescoreReport(exp["name"], display, ver)
    todo = []
    for rid, inp, out, expd, meta, err in rows:
        if err is not None:
            report.skipped_task_errors += 1
            continue
        if rid in done:
            continue
        loads = loads_stored
        todo.append(
            {
                "id": rid,
                "input": loads(inp),
                "output": loads(out),
                "expected": loads(expd),
                "metadata": loads(meta) or {},
            }
        )
    report.pending = len(todo)
    outcomes = asyncio.run(_grade_closing(fn, todo)) if todo else []
    stamp = datetime.now(UTC).replace(tzinfo=None)
    writes = []
    for r, outcome in zip(todo, outcomes):
        if isinstance(outcome, str):
            report.errors += 1
            if len(report.error_samples) < 3:
                report.error_samples.append(redact_configured(outcome))
            writes.append(
                [r["id"], exp["id"], display, key, None, None, None, redact_configured(outcome), "{}", ver, stamp]
            )
            continue
        for s in outcome[:1]:  # one grade per scorer, stored under the chosen name
            writes.append(
                [
                    r["id"],
                    exp["id"],
                    display,
                    key,
                    s.score,
                    s.label,
                    s.rationale,
                    None,
                    orjson.dumps(s.metadata or {}).decode(),
                    ver,
                    stamp,
                ]
            )
        report.scored += 1
    if writes:
        grades.add_grades(store, writes)
    report.mean = grades.grade_mean(store, exp["id"], key, ver)
    return report


__all__ = ["RescoreReport", "rescore_experiment"]
