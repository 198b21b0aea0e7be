"""``Eval`` / ``EvalAsync``: run a task over a dataset and score it, Braintrust-shaped.

    from evaltui import Eval
    Eval("support-bot", data=lambda: [...], task=answer, scores=[brand_alignment],
         experiment_name="baseline", max_concurrency=20, trial_count=3)

- Async tasks run on the event loop; sync ones in a thread pool as wide as
  ``max_concurrency``. At most ``max_concurrency`` (case, trial) pairs are in flight.
- ``timeout`` bounds each case: the task, then its scorers in the time left.
- A task error marks that case (traceback kept) and skips its scorers; a scorer error
  marks only that scorer.
- Every case is committed as it finishes (``evals.writer``), while its worker goes on
  with the next; it counts as finished (progress, results) once committed, and a worker
  queues a case only after its previous one is stored, so a crash loses at most two
  cases per worker, never a case reported finished. Running an eval
  whose experiment was interrupted resumes it: only the (case, trial) pairs without a
  result run. A finished experiment's name gets a suffix on a new run (``-2``, ``-3``),
  unless ``update=True``, which adds the missing pairs (new cases, more trials) to it;
  when the newest suffixed run (``-2``) was interrupted, the next run resumes that one.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, UTC
from typing import Any
from collections.abc import Callable, Sequence

from evaltui import case_context
from evaltui.curation.records import dumps
from evaltui.errors import EvaltuiError
from evaltui.evals import registry
from evaltui.evals.cases import Case, assign_ids, resolve_data, to_case
from evaltui.evals.hooks import EvalHooks
from evaltui.daemon_threads import DaemonThreadPool
from evaltui.dbpath import default_db
from evaltui.evals.summary import EvalResult, EvalResultWithSummary, render, summarize
from evaltui.evals.threads import in_thread
from evaltui.progress import ProgressBar
from evaltui.llm.client import redact_configured
from evaltui.model import scorer_key
from evaltui.scoring.protocol import BoundScorer, ScorerError, bind_scorer, scorer_name
from evaltui.store import experiments as exp_store
from evaltui.store.db import Store, StoreError


class EvalError(EvaltuiError):
    """An eval that cannot start (bad data, unknown base experiment...); one line for the user."""


@dataclass
class Evaluator:
    """Everything ``Eval`` was given; ``evaltui eval`` collects these from a file."""

    name: str
    data: Any
    task: Callable[..., Any]
    scores: Sequence[Any] = ()
    experiment_name: str | None = None
    max_concurrency: int | None = None
    trial_count: int = 1
    timeout: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    update: bool = False
    base_experiment_name: str | None = None
    description: str | None = None
    db: str | os.PathLike[str] | None = None
    quiet: bool = False
    progress: Callable[[int, int], None] | None = None
    case_filters: list[Any] = field(default_factory=list)  # `evaltui eval --filter PATH=REGEX` (evals.case_filter)


def Eval(
    name: str,
    data: Any,
    task: Callable[..., Any],
    scores: Sequence[Any] | None = None,
    experiment_name: str | None = None,
    max_concurrency: int | None = None,
    trial_count: int = 1,
    timeout: float | None = None,
    metadata: dict[str, Any] | None = None,
    update: bool = False,
    base_experiment_name: str | None = None,
    description: str | None = None,
    *,
    db: str | os.PathLike[str] | None = None,
    quiet: bool = False,
    progress: Callable[[int, int], None] | None = None,
    **_braintrust_only: Any,
) -> EvalResultWithSummary | None:
    """Run an eval (see the module docstring) and return its results and summary.

    ``name`` is the project; ``experiment_name`` defaults to it. ``db`` defaults to
    ``evaltui eval --db``, $EVALTUI_DB, then ./evaltui.duckdb. Options only Braintrust's
    service uses (``no_send_logs``, ``project_id``, ``is_public``...) are accepted and
    ignored. Under ``evaltui eval FILE.py`` the call is collected and run by the CLI.
    In a running event loop, ``await EvalAsync(...)`` instead.
    """
    evaluator = Evaluator(
        name,
        data,
        task,
        tuple(scores or ()),
        experiment_name,
        max_concurrency,
        trial_count,
        timeout,
        dict(metadata or {}),
        update,
        base_experiment_name,
        description,
        db,
        quiet,
        progress,
    )
    collected = registry.collecting()
    if collected is not None:
        collected.append(evaluator)
        return None
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run_evaluator(evaluator))
    raise EvalError("Eval() was called inside a running event loop: use `await EvalAsync(...)` there")


async def EvalAsync(
    name: str, data: Any, task: Callable[..., Any], scores: Sequence[Any] | None = None, **kwargs: Any
) -> EvalResultWithSummary:
    """``Eval`` for callers already in an event loop."""
    known = {f for f in Evaluator.__dataclass_fields__} - {"name", "data", "task", "scores"}
    options = {k: v for k, v in kwargs.items() if k in known}
    evaluator = Evaluator(name, data, task, tuple(scores or ()), **options)
    return await run_evaluator(evaluator)


# -- the run -----------------------------------------------------------------------


def _takes_hooks(task: Callable[..., Any]) -> bool:
    try:
        params = list(inspect.signature(task).parameters.values())
    except (TypeError, ValueError):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.name == "hooks" for p in params)


def _is_async(fn: Any) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))  # noqa: B004 - an instance's async __call__


def _task_reference(task: Callable[..., Any]) -> dict[str, Any]:
    ref: dict[str, Any] = {"callable": getattr(task, "__qualname__", type(task).__name__)}
    module = getattr(task, "__module__", None)
    if module:
        ref["module"] = module
    try:
        ref["file"] = inspect.getsourcefile(task)
        import hashlib

        ref["source_sha256"] = hashlib.sha256(inspect.getsource(task).encode()).hexdigest()
    except (TypeError, OSError):
        pass
    return ref


class _Progress:
    """A progress bar on a terminal; a callback for other front ends (the TUI)."""

    def __init__(self, label: str, total: int, callback: Callable[[int, int], None] | None, quiet: bool) -> None:
        self.done, self.total, self.callback = 0, total, callback
        self.bar = ProgressBar(label, total=total, enabled=not quiet and sys.stderr.isatty() and bool(total)).start()

    def advance(self) -> None:
        self.done += 1
        self.bar.update(completed=self.done)
        if self.callback is not None:
            self.callback(self.done, self.total)

    def close(self) -> None:
        self.bar.stop()


def _prepare(ev: Evaluator, store: Store, data: Any) -> dict[str, Any]:
    """Resolve the experiment (new, resumed, updated or suffixed), its cases and the base."""
    existing = exp_store.find_experiment(store, ev.experiment_name or ev.name)
    if existing is not None and existing["status"] == "finished" and not ev.update:
        # a later run of a finished experiment went under a suffix: if the newest one was
        # interrupted, this run resumes it rather than starting `name-3` from scratch
        latest = exp_store.latest_suffixed(store, ev.experiment_name or ev.name)
        if latest is not None and latest["status"] != "finished":
            existing = latest
    # the experiment this run resumes (unfinished, or --update of a finished one), else None
    resumed = existing if existing is not None and (existing["status"] != "finished" or ev.update) else None
    dataset_id = dataset_version = dataset_name = None
    datasets = sys.modules.get("evaltui.curation.dataset")  # not imported: data cannot be a Dataset
    if datasets is not None and isinstance(data, datasets.Dataset):
        dataset_id, dataset_name = data.id, data.name
        if resumed is not None and resumed["dataset_id"] == data.id and data._pinned is None:
            data = datasets.Dataset(data.project, data.name, resumed["dataset_version"], data.db)  # the pinned version
        dataset_version, items = data.fetch(store)
    else:
        items = data
    if items is None or isinstance(items, (str, bytes, dict)) or not hasattr(items, "__iter__"):
        raise EvalError(
            f"data must be a list of cases, a callable returning one, or a dataset (got {type(items).__name__})"
        )
    if ev.case_filters:
        from evaltui.evals.case_filter import keep

        items = keep(list(items), ev.case_filters)
    try:
        cases = assign_ids([to_case(item) for item in items])
    except TypeError as exc:
        raise EvalError(str(exc)) from None

    base = None
    if ev.base_experiment_name:
        base = exp_store.find_experiment(store, ev.base_experiment_name)
        if base is None:
            raise EvalError(f"no base experiment named {ev.base_experiment_name!r}")
    if resumed is not None:
        experiment = resumed
        exp_store.set_status(store, experiment["id"], "running", trial_count=ev.trial_count)
        if base is None and resumed["base_experiment_id"]:
            base = exp_store.get_experiment(store, resumed["base_experiment_id"])
    else:
        name = exp_store.free_name(store, ev.experiment_name or ev.name)
        versions = {scorer_name(s): s.version for s in ev.scores if isinstance(getattr(s, "version", None), str)}
        task_ref = {
            **_task_reference(ev.task),
            "scorers": [scorer_name(s) for s in ev.scores],
            "scorer_versions": versions,
            "timeout": ev.timeout,
            "max_concurrency": ev.max_concurrency,
            "description": ev.description,
        }
        experiment = exp_store.create_experiment(
            store,
            project=ev.name,
            name=name,
            dataset_id=dataset_id,
            dataset_version=dataset_version,
            base_experiment_id=base["id"] if base else None,
            trial_count=ev.trial_count,
            task=task_ref,
            metadata=ev.metadata,
        )
        if base is None:
            base = exp_store.previous_experiment(store, ev.name, experiment["id"])
            if base is not None:
                exp_store.set_base(store, experiment["id"], base["id"])
    done = exp_store.result_keys(store, experiment["id"])
    pairs = [(c, t) for c in cases for t in range(ev.trial_count) if (c.case_id, t) not in done]
    return {
        "experiment": experiment,
        "cases": cases,
        "pairs": pairs,
        "base": base,
        "dataset": dataset_name,
        "resumed": len(done),
    }


async def run_evaluator(ev: Evaluator) -> EvalResultWithSummary:
    """Run one evaluator to the end (or until cancelled: finished cases stay stored)."""
    if ev.trial_count < 1:
        raise EvalError("trial_count must be at least 1")
    if ev.max_concurrency is not None and ev.max_concurrency < 1:
        raise EvalError("max_concurrency must be at least 1")
    options = registry.run_options()
    quiet = ev.quiet or options.get("quiet", False)
    progress_cb = ev.progress or options.get("progress")
    db = ev.db if ev.db is not None else default_db()
    data = await resolve_data(ev.data)
    # in_thread: a cancelled run waits for the store call under way, so the store is
    # never closed (nor left open) under it.
    store = await in_thread(Store, db, cleanup=Store.close)
    try:
        plan = await in_thread(_prepare, ev, store, data)
        experiment = plan["experiment"]
        if plan["resumed"] and not quiet:
            print(
                f"resuming {experiment['name']}: {plan['resumed']} results already stored, {len(plan['pairs'])} to run",
                file=sys.stderr,
            )
        from evaltui.llm.client import closing_clients

        async with closing_clients():
            results = await _run_pairs(ev, store, experiment, plan["pairs"], quiet, progress_cb)
        await in_thread(exp_store.set_status, store, experiment["id"], "finished")

        def finish() -> Any:
            rows = exp_store.load_results(store, experiment["id"])
            base = plan["base"]
            base_rows = exp_store.load_results(store, base["id"]) if base else None
            header = exp_store.get_experiment(store, experiment["id"])
            assert header is not None  # this run wrote it
            return summarize(
                header,
                rows,
                cases=len(plan["cases"]),
                ran=len(results),
                base=base,
                base_results=base_rows,
                dataset=plan["dataset"],
            )

        summary = await in_thread(finish)
    finally:
        store.close()
    if not quiet:
        render(summary)
    return EvalResultWithSummary(summary, results)


async def _run_pairs(
    ev: Evaluator,
    store: Store,
    experiment: dict[str, Any],
    pairs: list[tuple[Case, int]],
    quiet: bool,
    progress_cb: Callable[[int, int], None] | None,
) -> list[EvalResult]:
    from evaltui.evals.writer import ResultWriter

    results: list[EvalResult] = []
    if not pairs:
        return results
    width = ev.max_concurrency or len(pairs)
    # daemon threads: a sync task stuck past its timeout must not keep the process alive
    executor = DaemonThreadPool(max_workers=min(max(width, 1), 256), thread_name_prefix="evaltui-task")
    progress = _Progress(experiment["name"], len(pairs), progress_cb, quiet)
    writer = ResultWriter(store)
    queue: asyncio.Queue[tuple[Case, int]] = asyncio.Queue()
    for pair in pairs:
        queue.put_nowait(pair)
    scorers = [bind_scorer(s) for s in ev.scores]
    takes_hooks = _takes_hooks(ev.task)
    task_is_async = _is_async(ev.task)
    loop = asyncio.get_running_loop()

    async def call_task(case: Case, hooks: EvalHooks) -> Any:
        args = (case.input, hooks) if takes_hooks else (case.input,)
        # The case's context (case_context.current()): prompts built and model calls made
        # in the task are recorded on this case, in a sync task's thread too.
        with case_context.entering(case_context.CaseContext(hooks.metadata, hooks.metrics)) as ctx:
            hooks._context = ctx
            if task_is_async:
                return await ev.task(*args)
            run = contextvars.copy_context().run
            out = await loop.run_in_executor(executor, functools.partial(run, ev.task, *args))
            return await out if inspect.isawaitable(out) else out

    prompts_seen: set[tuple[str, str]] = set()

    def new_prompts(hooks: EvalHooks) -> list[dict[str, Any]]:
        """The prompt versions this case built that no earlier case of the run did."""
        ctx = getattr(hooks, "_context", None)
        out = []
        for ref in ctx.prompts if ctx is not None else ():
            if (ref["name"], ref["hash"]) not in prompts_seen:
                prompts_seen.add((ref["name"], ref["hash"]))
                out.append({"experiment_id": experiment["id"], **ref})
        return out

    async def run_one(case: Case, trial: int) -> asyncio.Future[None]:
        """Run the task and its scorers and queue the result; returns its commit."""
        hooks = EvalHooks(
            input=case.input,
            expected=case.expected,
            metadata=dict(case.metadata),
            trial_index=trial,
            tags=list(case.tags),
        )
        started = time.perf_counter()
        deadline = None if ev.timeout is None else loop.time() + ev.timeout
        output = error = None
        try:
            if deadline is None:
                output = await call_task(case, hooks)
            else:
                async with asyncio.timeout_at(deadline):
                    output = await call_task(case, hooks)
        except TimeoutError:
            if deadline is None:  # the task's own TimeoutError, not our time limit
                error = redact_configured(traceback.format_exc())
            else:
                error = f"TimeoutError: the task did not finish within {ev.timeout:g} s"
        except Exception:
            error = redact_configured(traceback.format_exc())  # an endpoint's error may repeat the key
        duration = time.perf_counter() - started
        rid = exp_store.result_id(experiment["id"], case.case_id, trial)
        score_rows: list[dict[str, Any]] = []
        if error is None:
            if len(scorers) == 1:
                outcomes = [await _score(scorers[0], case, hooks, output, deadline)]
            else:
                outcomes = await asyncio.gather(*(_score(s, case, hooks, output, deadline) for s in scorers))
            for scorer, outcome in zip(scorers, outcomes):
                if isinstance(outcome, str):
                    score_rows.append(_score_row(rid, experiment["id"], scorer.name, None, outcome))
                else:
                    score_rows.extend(_score_row(rid, experiment["id"], s.name, s, None) for s in outcome)
        try:
            output_json = dumps(output)
        except TypeError:
            output_json = dumps(repr(output))
        metadata = hooks.metadata
        committed = asyncio.wrap_future(
            writer.put(
                {
                    "id": rid,
                    "experiment_id": experiment["id"],
                    "case_id": case.case_id,
                    "record_id": case.record_id,
                    "trial": trial,
                    "input": dumps(case.input),
                    "expected": None if hooks.expected is None else dumps(hooks.expected),
                    # a task may put its config, key included, into hooks.metadata: the key is never stored
                    "output": output_json,
                    "metadata": redact_configured(dumps(metadata)),
                    "tags": [str(t) for t in hooks.tags],
                    "bucket": case.bucket,
                    "error": error,
                    "duration_s": duration,
                    "metrics": dumps(hooks.metrics),
                    "created": datetime.now(UTC).replace(tzinfo=None),
                },
                score_rows,
                new_prompts(hooks),
            )
        )
        result = EvalResult(
            case.input,
            output,
            {r["scorer"]: r["score"] for r in score_rows},
            hooks.expected,
            metadata,
            list(hooks.tags),
            error,
            trial,
            case.case_id,
        )

        def finished(commit: asyncio.Future[None]) -> None:  # a case counts once it is durable
            if not commit.cancelled() and commit.exception() is None:
                results.append(result)
                progress.advance()

        committed.add_done_callback(finished)
        return committed

    async def worker() -> None:
        # The writer commits while the worker runs its next case; before that case is
        # queued, the previous one must be durable. A crash so loses at most two cases per
        # worker (the one running and the one being committed), and no case counts as
        # finished (progress, results) before it is stored.
        previous: asyncio.Future[None] | None = None
        while True:
            try:
                case, trial = queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            committed = await run_one(case, trial)
            if previous is not None:
                await previous
            previous = committed
        if previous is not None:
            await previous

    from evaltui import heap

    heap.freeze()  # no full collection over the loaded heap while cases are in flight
    try:
        await asyncio.gather(*(worker() for _ in range(min(width, len(pairs)))))
    finally:
        heap.thaw()
        progress.close()
        executor.shutdown(wait=False, cancel_futures=True)
        await in_thread(writer.close)
    return results


async def _score(scorer: BoundScorer, case: Case, hooks: EvalHooks, output: Any, deadline: float | None) -> Any:
    """A list of Scores, or the error text of this scorer."""
    try:
        if deadline is None:
            return await scorer(input=case.input, output=output, expected=hooks.expected, metadata=hooks.metadata)
        async with asyncio.timeout_at(deadline):
            return await scorer(input=case.input, output=output, expected=hooks.expected, metadata=hooks.metadata)
    except TimeoutError:
        return "TimeoutError: the case ran out of time before this scorer finished"
    except ScorerError as exc:
        return redact_configured(str(exc))
    except Exception as exc:  # never let one scorer take the case down
        return redact_configured(f"{type(exc).__name__}: {exc}")


_scorer_key = functools.lru_cache(maxsize=1024)(scorer_key)


def _score_row(result_id: str, experiment_id: str, name: str, score: Any, error: str | None) -> dict[str, Any]:
    return {
        "result_id": result_id,
        "experiment_id": experiment_id,
        "scorer": name,
        "scorer_key": _scorer_key(name),
        "score": None if score is None else score.score,
        "label": None if score is None else score.label,
        "rationale": None if score is None else score.rationale,
        "error": error,
        "metadata": dumps(score.metadata if score is not None else {}),
    }


__all__ = ["Eval", "EvalAsync", "EvalError", "Evaluator", "run_evaluator", "StoreError"]
