"""Online scoring and re-scoring of stored spans.

``score_spans`` runs one scorer over the spans in scope that match a filter, in a
deterministic sample, that this scorer version has not scored yet: a second run does
nothing, an interrupted run resumes where it stopped, and a new scorer version (an edited rubric, another judge model, a retrained
offline judge) scores everything again while earlier scores stay under their version.
Nothing re-runs the task that produced the output: only the stored outputs are graded.

Judgements are paid for, so they are committed as they arrive, with their response-cache
entries, in groups of ``COMMIT_EVERY`` or every ``COMMIT_SECONDS``: a SIGKILL loses at
most one group, and a Ctrl-C (the run cancelled) first writes what has arrived.
`evaltui score` holds the file only while it reads a page and while it commits a group (at
most one hold per ``HOLD_GAP``), never while its judge is called; ``follow`` (`score
--follow`) writes a page at a time, in the same short holds.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager

from evaltui import heap
from evaltui.llm.client import redact_configured
from evaltui.scoring.protocol import ScorerError, run_scorer
from evaltui.scoring.registry import ScorerSpec, resolve
from evaltui.store.scoring import PendingQuery, Rule, ScoreWrite, get_rule, write_scores

if TYPE_CHECKING:
    from evaltui.store.db import Store

# (scored so far, total to score, errors so far)
Progress = Callable[[int, int, int], None]

COMMIT_EVERY = 8  # spans per commit: a commit costs a few ms, a judgement far more
COMMIT_SECONDS = 1.0
HOLD_GAP = 0.25  # when the file is let go between commits: seconds at least between two holds


@dataclass
class ScoringReport:
    """What one scoring pass did."""

    scorer: str
    version: str
    scope: str
    pending: int = 0
    scored: int = 0
    skipped: int = 0  # the scorer returned no score (e.g. nothing expected to compare with)
    errors: int = 0
    error_samples: list[tuple[str, str]] = field(default_factory=list)  # (span id, reason), first few
    seconds: float = 0.0
    usage: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        text = (
            f"{self.scorer} ({self.version}, {self.scope}): scored {self.scored} of {self.pending} pending"
            f" in {self.seconds:.1f}s"
        )
        if self.skipped:
            text += f", {self.skipped} without a score"
        if self.errors:
            text += f", {self.errors} errors (first: {self.error_samples[0][0]}: {self.error_samples[0][1]})"
        if self.usage.get("calls") or self.usage.get("cache_hits"):
            u = self.usage
            text += (
                f"; model calls {u['calls']}, cached {u['cache_hits']}, retries {u['retries']}, "
                f"tokens {u['prompt_tokens']}+{u['completion_tokens']}"
            )
        return text


async def score_pending(
    store: Store | Callable[[], AbstractContextManager[Store]],
    spec: ScorerSpec,
    *,
    where: str | None = None,
    sample: float = 1.0,
    scope: str = "auto",
    concurrency: int = 16,
    batch_size: int = 200,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    skip_ids: set[str] | None = None,
) -> ScoringReport:
    """Score what ``spec`` has not scored yet; see the module docstring.

    ``store`` is an open store, held throughout, or a function that opens one (`evaltui
    score`): then the file is held only in short steps (the count; each page with its
    cached replies; each group of judgements with their cache entries) and let go while
    the judge is called, so the app and other commands read and write meanwhile."""
    held = _holder(store)
    gap = HOLD_GAP if callable(store) else 0.0
    scope = spec.scope if scope in ("auto", "", None) else scope
    query = PendingQuery(where, scope, spec.key, spec.version, sample)
    report = ScoringReport(spec.name, spec.version, scope)
    started = time.perf_counter()
    with held() as s:
        report.pending = query.count(s)
    skip_ids = skip_ids if skip_ids is not None else set()
    after = None
    limit = asyncio.Semaphore(concurrency)
    if progress:
        progress(0, report.pending, 0)
    with heap.frozen():  # no full collection over the loaded heap while calls are in flight
        while not (stop and stop.is_set()):
            with held() as s:
                page = read_page(s, spec, query, after, batch_size, skip_ids)
            if page is None:
                break
            after = page.after
            writes: list[ScoreWrite] = []
            group = 0
            last_commit = time.monotonic()

            def commit() -> None:
                nonlocal group, last_commit
                with held() as s:
                    write_page(s, spec, writes)
                writes.clear()
                group, last_commit = 0, time.monotonic()
                if progress:
                    progress(report.scored + report.skipped, report.pending, report.errors)

            try:
                async for span, outcome in score_page(spec, page.spans, limit, prefetch=False):
                    _record(spec, span, outcome, report, writes, skip_ids)
                    group += 1
                    since = time.monotonic() - last_commit
                    if (group >= COMMIT_EVERY and since >= gap) or since >= COMMIT_SECONDS:
                        commit()
            finally:  # also when cancelled (Ctrl-C): what arrived is kept
                commit()
    report.seconds = time.perf_counter() - started
    if spec.client is not None:
        report.usage = spec.client.usage.as_dict()
    return report


def _holder(store: Store | Callable[[], AbstractContextManager[Store]]) -> Callable[[], AbstractContextManager[Store]]:
    """How to hold the file for one step: a function that opens a Store is used as given
    (the Store closes at the step's end); an open Store is lent as it is (it stays open)."""
    from contextlib import nullcontext

    if callable(store):
        return store
    return lambda: nullcontext(store)


def _record(
    spec: ScorerSpec,
    span: dict[str, Any],
    outcome: Any,
    report: ScoringReport,
    writes: list[ScoreWrite],
    skip_ids: set[str],
) -> None:
    """Count one span's outcome and queue its scores."""
    if isinstance(outcome, ScorerError):
        report.errors += 1
        skip_ids.add(span["id"])
        if len(report.error_samples) < 5:
            report.error_samples.append((span["id"], redact_configured(str(outcome))))
        return
    if not outcome:
        report.skipped += 1
        skip_ids.add(span["id"])
        return
    if len(outcome) == 1:
        outcome[0].name = spec.name  # stored under the name the pending check looks for
    for score in outcome:
        writes.append(
            ScoreWrite(
                target_id=span["id"],
                root_id=span["root_id"],
                scorer=score.name,
                scorer_version=spec.version,
                score=score.score,
                label=score.label,
                rationale=score.rationale,
                source="online",
                metadata={**(score.metadata or {}), "scorer_spec": spec.spec},
            )
        )
    report.scored += 1


async def score_page(
    spec: ScorerSpec, page: list[dict[str, Any]], limit: asyncio.Semaphore, prefetch: bool = True
) -> AsyncIterator[tuple[dict[str, Any], Any]]:
    """(span, list of Scores or a ScorerError) for each span of the page, as each arrives.
    ``prefetch=False``: the caller loaded the page's cached replies itself (and does not
    hold the file now)."""
    batch = getattr(spec.fn, "score_batch", None)
    if batch is not None:  # one embedding pass for the whole page (the offline judge)
        try:
            scores = await asyncio.to_thread(batch, page)
            outcomes: list[Any] = [[s] for s in scores]
        except Exception as exc:  # the whole page failed: mark each span
            err = exc if isinstance(exc, ScorerError) else ScorerError(f"{spec.name}: {type(exc).__name__}: {exc}")
            outcomes = [err for _ in page]
        for span, outcome in zip(page, outcomes):
            yield span, outcome
        return

    load_cached = getattr(spec.fn, "prefetch", None) if prefetch else None
    if load_cached is not None:  # one cache query for the page, not one per span
        load_cached(page)

    async def one(span: dict[str, Any]) -> tuple[dict[str, Any], Any]:
        async with limit:
            try:
                return span, await run_scorer(
                    spec.fn,
                    input=span["input"],
                    output=span["output"],
                    expected=span["expected"],
                    metadata=span["metadata"],
                )
            except ScorerError as exc:
                return span, exc

    tasks = [asyncio.ensure_future(one(span)) for span in page]
    try:
        for arrived in asyncio.as_completed(tasks):
            yield await arrived
    finally:  # stopped early (cancelled): no judge call outlives the run
        for task in tasks:
            task.cancel()


def score_spans(
    store: Store | Callable[[], AbstractContextManager[Store]],
    scorer: str | ScorerSpec,
    *,
    where: str | None = None,
    sample: float = 1.0,
    scope: str = "auto",
    concurrency: int | None = None,
    use_cache: bool | None = None,
    progress: Progress | None = None,
) -> ScoringReport:
    """Score stored spans with one scorer (by name, see ``registry``), from sync code.
    ``store``: an open store, or a function that opens one to hold the file only in short
    steps (see ``score_pending``).

    >>> score_spans(store, "brand_alignment_offline", where='topic = "account_and_login"')  # doctest: +SKIP
    """
    from evaltui.config import get_settings

    workers = concurrency or get_settings().llm_concurrency
    if isinstance(scorer, ScorerSpec):
        spec = scorer
    else:
        with _holder(store)() as s:
            spec = resolve(scorer, store=s, concurrency=workers, use_cache=use_cache)

    async def run() -> ScoringReport:
        try:
            return await score_pending(
                store, spec, where=where, sample=sample, scope=scope, concurrency=workers, progress=progress
            )
        finally:
            await spec.aclose()

    return asyncio.run(run())


def rule_specs(
    store: Store, rule: Rule, *, concurrency: int | None = None, use_cache: bool | None = None
) -> list[ScorerSpec]:
    return [resolve(name, store=store, concurrency=concurrency, use_cache=use_cache) for name in rule.scorers]


def run_rule(
    store: Store,
    name: str,
    *,
    concurrency: int | None = None,
    use_cache: bool | None = None,
    progress: Progress | None = None,
) -> list[ScoringReport]:
    """Run a stored scoring rule: each of its scorers over its filter, scope and sample."""
    rule = get_rule(store, name)
    return [
        score_spans(
            store,
            spec,
            where=rule.filter,
            sample=rule.sample_rate,
            scope=rule.scope,
            concurrency=concurrency,
            progress=progress,
        )
        for spec in rule_specs(store, rule, concurrency=concurrency, use_cache=use_cache)
    ]


PAGE = 64  # spans judged with the file let go, between two short holds (``follow``)


@dataclass
class HeldPage:
    """A page read in a short hold of the file, to be judged with the file let go."""

    spans: list[dict[str, Any]]  # the page less the spans ``skip_ids`` names
    after: tuple[Any, str]  # where the next page starts


def read_page(
    store: Store, spec: ScorerSpec, query: PendingQuery, after: Any, size: int, skip_ids: set[str]
) -> HeldPage | None:
    """The read half of a short hold (``follow`` and `serve`'s worker): the next page of
    pending spans, the scorer bound to ``store`` and the page's cached replies loaded into
    memory, so nothing is read or written while the file is let go. None: nothing left."""
    page = query.page(store, after, size)
    if not page:
        return None
    held = HeldPage([p for p in page if p["id"] not in skip_ids], (page[-1]["ts"], page[-1]["id"]))
    if held.spans:
        spec.bind(store)
        if spec.client is not None and spec.client.cache is not None:
            spec.client.cache.flush_every = 1 << 30  # nothing written while the file is let go
        load_cached = getattr(spec.fn, "prefetch", None)
        if load_cached is not None:
            load_cached(held.spans)
    return held


def write_page(store: Store, spec: ScorerSpec, writes: list[ScoreWrite]) -> None:
    """The write half of a short hold: a judged page's scores and its new cache entries."""
    write_scores(store, writes)
    cache = spec.client.cache if spec.client is not None else None
    if cache is not None:
        cache.con = store.con
        cache.flush()


def follow(
    open_store: Callable[[], Any],
    jobs: list[tuple[ScorerSpec, dict[str, Any]]],
    *,
    stop: threading.Event,
    poll_seconds: float = 1.0,
    concurrency: int = 16,
    page_size: int = PAGE,
    on_report: Callable[[ScoringReport], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> None:
    """Keep scoring newly ingested spans until ``stop`` is set.

    The file is held only in short steps, as `serve`'s online worker does: one reads a
    page of pending spans and loads their cached replies into memory; the judgements
    run with the file let go; one writes the page's scores and new cache entries. So
    other evaltui processes (the app, a label, an ingest) take turns on the file while
    a slow judge answers. ``jobs`` pairs each scorer with its ``where``/``sample``/``scope``.
    Spans that failed are not retried in this process; a page judged but not written
    (the file busy when stopping) is judged again by a later run.
    """
    from evaltui.store import StoreError

    skip: dict[str, set[str]] = {spec.spec: set() for spec, _ in jobs}
    limit = asyncio.Semaphore(concurrency)

    held = open_store  # a Store closes at the end of its `with`: a short hold each time

    def write(spec: ScorerSpec, writes: list[ScoreWrite]) -> None:
        """A short hold: the page's scores and the new cache entries (retried while busy)."""
        while True:
            try:
                with held() as store:
                    write_page(store, spec, writes)
                return
            except StoreError as exc:
                if on_wait:
                    on_wait(str(exc))
                if stop.is_set():  # not written: judged again by a later run
                    if spec.client is not None:
                        spec.client.cache = None
                    return

    async def score_job(spec: ScorerSpec, options: dict[str, Any]) -> ScoringReport:
        scope = options.get("scope") or "auto"
        scope = spec.scope if scope == "auto" else scope
        query = PendingQuery(options.get("where"), scope, spec.key, spec.version, options.get("sample", 1.0))
        report = ScoringReport(spec.name, spec.version, scope)
        started = time.perf_counter()
        skip_ids = skip[spec.spec]
        after = None
        try:
            while not stop.is_set():
                with held() as store:  # a short hold: the page, and its cached replies into memory
                    if after is None:
                        report.pending = query.count(store)
                    page = read_page(store, spec, query, after, page_size, skip_ids)
                if page is None:
                    break
                after = page.after
                if not page.spans:  # all of it failed or had no score earlier in this process
                    continue
                writes: list[ScoreWrite] = []
                try:
                    with heap.frozen():
                        async for span, outcome in score_page(spec, page.spans, limit, prefetch=False):
                            _record(spec, span, outcome, report, writes, skip_ids)
                finally:  # also when cancelled (Ctrl-C): what arrived is kept
                    write(spec, writes)
        finally:
            report.seconds = time.perf_counter() - started
            if spec.client is not None:
                report.usage = spec.client.usage.as_dict()
        return report

    async def one_pass() -> None:
        for spec, options in jobs:
            if stop.is_set():
                return
            try:
                report = await score_job(spec, options)
            except StoreError as exc:  # another process held the file too long: the next pass
                if on_wait:
                    on_wait(str(exc))
                return
            if on_report and (report.scored or report.errors):
                on_report(report)

    async def loop() -> None:
        try:
            while not stop.is_set():
                await one_pass()
                await asyncio.to_thread(stop.wait, poll_seconds)
        finally:
            for spec, _ in jobs:
                if spec.client is not None:
                    spec.client.cache = None  # its store is closed; what was judged is written
                await spec.aclose()

    asyncio.run(loop())
