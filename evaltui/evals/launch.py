"""Starting evals from another front end (the TUI): tasks registered in eval files, and
runs in a background thread that report progress, can be cancelled, and resume.

- ``discover(paths, db)`` imports eval files (``*.py`` in the given folders, or files) with
  ``Eval`` calls collected, as ``evaltui eval`` does; each collected ``Eval`` is a task.
  The files run against ``db`` (what ``init_dataset`` and the file's own store reads
  use), never the default ``./evaltui.duckdb``.
- ``RunSpec`` is what to run: a task, a dataset and version, scorers (the task's own,
  by name, and any ``evaltui.scoring.registry`` name such as ``brand_alignment``).
  It is stored in the experiment's metadata (``launch``), so an interrupted run can be
  started again with ``RunSpec.from_metadata`` and resumes: only missing cases run.
- ``start(spec, db, settings)`` returns a ``Run``: a thread with its own event loop
  running ``run_evaluator``; ``cancel()`` stops it (finished cases stay stored).
"""

from __future__ import annotations

import asyncio
import os
import runpy
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from collections.abc import Callable, Sequence

from evaltui.errors import EvalFileError, StoreConfigConflict, StoreError

if TYPE_CHECKING:
    from evaltui.config import Settings
    from evaltui.store.db import Store


@dataclass
class Task:
    """One ``Eval(...)`` of an eval file: its task callable and its own scorers."""

    file: str
    name: str  # the experiment name it was registered with (else the project)
    project: str
    scorers: list[str]
    evaluator: Any = field(repr=False, default=None)

    @property
    def label(self) -> str:
        return f"{self.name} ({Path(self.file).name})"


_loaded: dict[tuple[str, str | None], list[Task]] = {}  # (file, db) -> its tasks
_lock = threading.Lock()


def eval_files(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.glob("*.py") if not f.name.startswith("_"))
        elif p.suffix == ".py" and p.exists():
            out.append(p)
    return out


def braintrust_eval_files(folder: str | os.PathLike[str]) -> list[Path]:
    """The eval files `braintrust eval FOLDER` runs: every ``eval_*.py`` and ``*.eval.py``
    under it, hidden folders, virtualenvs and caches left out."""
    skip = {"__pycache__", "node_modules", "site-packages"}
    found = []
    for f in sorted(Path(folder).rglob("*.py")):
        parts = f.relative_to(folder).parts[:-1]
        if any(p.startswith(".") or p in skip for p in parts):
            continue
        if f.name.startswith("eval_") or f.name.endswith(".eval.py"):
            found.append(f)
    return found


def load_file(
    path: str | os.PathLike[str], db: str | os.PathLike[str] | None = None, *, reload: bool = False
) -> list[Task]:
    """The tasks one eval file registers, imported against ``db`` (once per process and
    database unless ``reload``)."""
    from evaltui.evals import registry
    from evaltui.scoring.protocol import scorer_name

    key = str(Path(path).resolve())
    cache_key = (key, str(Path(db).resolve()) if db is not None else None)
    with _lock:
        if cache_key in _loaded and not reload:
            return _loaded[cache_key]
        folder = str(Path(key).parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        # Held read-write while the file runs: a store the file opens itself (a judge
        # trained on the file's data) then shares this process's instance of the file
        # instead of failing next to the app's read-only queries.
        keeper = _open(str(db)) if db is not None else None
        try:
            with registry.collect() as evaluators, registry.using(db):
                try:
                    runpy.run_path(key, run_name="__evaltui_eval__")
                except SystemExit as exc:
                    if exc.code not in (None, 0) or not evaluators:  # as `evaltui eval` says it
                        raise EvalFileError(f"{path} raised SystemExit({exc.code!r}) while loading") from None
                except Exception as exc:
                    reason = (str(exc).strip().splitlines() or [""])[0]
                    raise EvalFileError(f"{Path(path).name} failed to load: {type(exc).__name__}: {reason}") from None
        finally:
            if keeper is not None:
                keeper.close()
        tasks = [
            Task(key, e.experiment_name or e.name, e.name, [scorer_name(s) for s in e.scores], e) for e in evaluators
        ]
        _loaded[cache_key] = tasks
        return tasks


def discover(
    paths: Sequence[str | os.PathLike[str]],
    db: str | os.PathLike[str] | None = None,
    on_file: Callable[[Path, int, int], None] | None = None,
) -> tuple[list[Task], list[str]]:
    """Every task in the eval files under ``paths`` (run against ``db``), and one line per
    file that failed. ``on_file(file, index, count)`` is called before each file loads."""
    tasks: list[Task] = []
    problems: list[str] = []
    files = eval_files(paths)
    for i, f in enumerate(files):
        if on_file is not None:
            on_file(f, i, len(files))
        try:
            tasks += load_file(f, db)
        except (EvalFileError, StoreError) as exc:
            problems.append(str(exc))
    return tasks, problems


@dataclass
class RunSpec:
    file: str
    task: str
    dataset: str
    version: int | None
    scorers: list[str]
    experiment: str
    max_concurrency: int | None = None
    trial_count: int = 1

    @classmethod
    def of_experiment(cls, exp: dict[str, Any]) -> RunSpec | None:
        """The launch spec stored with an experiment (a row from ``evaltui.store.experiments``), if any."""
        import orjson

        return cls.from_metadata(exp["name"], orjson.loads(exp["metadata"]) if exp["metadata"] else {})

    @classmethod
    def from_metadata(cls, experiment_name: str, metadata: dict[str, Any]) -> RunSpec | None:
        launch = (metadata or {}).get("launch")
        if not isinstance(launch, dict):
            return None
        known = {k: v for k, v in launch.items() if k in cls.__dataclass_fields__}
        known["experiment"] = experiment_name
        try:
            return cls(**known)
        except TypeError:
            return None


def _find_task(spec: RunSpec, db: str) -> Task:
    for t in load_file(spec.file, db):
        if t.name == spec.task:
            return t
    raise EvalFileError(f"{spec.file} has no eval named {spec.task!r}")


class _Unavailable:
    """A chosen scorer that cannot run here (no model endpoint, too few labels): it marks
    each case with its reason, as a failing scorer does, instead of failing the run."""

    def __init__(self, name: str, reason: str) -> None:
        self.name, self.reason = name, reason

    def __call__(self, output: Any) -> Any:
        from evaltui.scoring.protocol import ScorerError

        raise ScorerError(self.reason)


def _scorers(
    task: Task, names: Sequence[str], store: Store, settings: Settings | None
) -> tuple[list[Any], list[Any], list[str]]:
    """(scorer callables, registry specs to close, one line per scorer that cannot run)
    for the chosen names: each chosen name runs, or marks every case with its reason."""
    from evaltui.scoring.errors import ScorerSetupError
    from evaltui.scoring.protocol import scorer_name
    from evaltui.scoring.registry import resolve

    own = {scorer_name(s): s for s in task.evaluator.scores}
    chosen, specs, problems = [], [], []
    for name in names:
        if name in own:
            chosen.append(own[name])
            continue
        try:
            spec = resolve(name, store=store, settings=settings)
        except ScorerSetupError as exc:
            problems.append(f"{name}: {exc}")
            chosen.append(_Unavailable(name, str(exc)))
            continue
        specs.append(spec)
        chosen.append(spec.fn)
    return chosen, specs, problems


@dataclass
class Progress:
    done: int = 0
    total: int = 0
    status: str = "starting"  # starting | running | finished | cancelled | failed
    message: str = ""


class Run:
    """An eval running in a thread of this process. ``progress`` is read by the caller;
    ``on_change`` (if given) is called from the run's thread after each change."""

    def __init__(
        self,
        spec: RunSpec,
        db: str | os.PathLike[str],
        settings: Settings | None = None,
        on_change: Callable[[Run], None] | None = None,
    ) -> None:
        self.spec, self.db, self.settings, self.on_change = spec, str(db), settings, on_change
        self.progress = Progress()
        self.experiment_id: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[Any] | None = None
        self._cancel = False
        self._stored = 0  # results the experiment had when this start began (a resume)
        self.thread = threading.Thread(target=self._thread, name=f"evaltui-run-{spec.experiment}", daemon=True)

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()

    def start(self) -> Run:
        self.thread.start()
        return self

    def cancel(self, *, status: str = "cancelled") -> None:
        """Stop after the cases in flight; finished cases stay. ``status`` is stored
        ('cancelled', or 'running' so the next start resumes it)."""
        self._cancel = True
        self._cancel_status = status
        loop, main = self._loop, self._main
        if loop is not None and main is not None:
            loop.call_soon_threadsafe(main.cancel)

    def wait(self, timeout: float | None = None) -> bool:
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def _changed(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change(self)
            except Exception:
                pass

    def _thread(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as exc:  # the caller reads the message
            if self.progress.status not in ("cancelled", "finished"):
                self.progress.status, self.progress.message = "failed", f"{type(exc).__name__}: {exc}"
        self._changed()

    async def _run(self) -> None:
        from evaltui.evals.threads import in_thread
        from evaltui.store import experiments as exp_store

        self._loop = asyncio.get_running_loop()
        self._main = asyncio.current_task()  # cancel() reaches the run from here on
        store = None
        specs: list[Any] = []
        try:
            if self._cancel:
                raise asyncio.CancelledError
            # in_thread: cancelling waits for the store call under way, so a store is
            # never closed under a call (DuckDB refuses) nor left open.
            store = await in_thread(_open, self.db, cleanup=lambda s: s.close())
            # The size is known before the eval file loads (which can take a while): show it.
            self._stored, total = await in_thread(_planned, store, self.spec)
            self.progress.done, self.progress.total = self._stored, total
            self._changed()
            await self._run_evaluator(store, specs)
            self.progress.status = "finished"
        except asyncio.CancelledError:
            self.progress.status = "cancelled"
            if store is not None:  # a run stopped after its experiment was created says so
                exp = await in_thread(exp_store.find_experiment, store, self.spec.experiment)
                if exp is not None and exp["status"] != "finished":
                    await in_thread(
                        exp_store.set_status, store, exp["id"], getattr(self, "_cancel_status", "cancelled")
                    )
        finally:
            for s in specs:
                try:
                    await s.aclose()
                except Exception:
                    pass
            if store is not None:
                await in_thread(store.close)

    async def _run_evaluator(self, store: Store, specs: list[Any]) -> None:
        """Load the task, bind the scorers, run; returns when the run ends (or raises
        CancelledError once the runner and the experiment lookup have both stopped)."""
        from evaltui.curation.dataset import Dataset
        from evaltui.evals.runner import Evaluator, run_evaluator
        from evaltui.evals.threads import in_thread

        task = await in_thread(_find_task, self.spec, self.db)
        scorers, bound, problems = _scorers(task, self.spec.scorers, store, self.settings)
        specs += bound
        for s in bound:
            s.bind(store)
        data = Dataset(None, self.spec.dataset, self.spec.version, self.db)
        ev = task.evaluator
        metadata = {**ev.metadata, "launch": {k: v for k, v in asdict(self.spec).items() if k != "experiment"}}

        def progress(done: int, total: int) -> None:  # counts this start's cases: add the stored ones
            self.progress.done, self.progress.total = self._stored + done, self._stored + total
            self._changed()

        evaluator = Evaluator(
            name=task.project,
            data=data,
            task=ev.task,
            scores=scorers,
            experiment_name=self.spec.experiment,
            max_concurrency=self.spec.max_concurrency or ev.max_concurrency,
            trial_count=self.spec.trial_count,
            timeout=ev.timeout,
            metadata=metadata,
            description=ev.description,
            db=self.db,
            quiet=True,
            progress=progress,
        )
        self.progress.status = "running"
        self.progress.message = "; ".join(problems)  # said once, as the run starts
        self._changed()
        runner = asyncio.ensure_future(run_evaluator(evaluator))
        waiter = asyncio.ensure_future(self._find_experiment())
        try:
            await runner
        finally:
            waiter.cancel()
            await asyncio.gather(waiter, return_exceptions=True)

    async def _find_experiment(self) -> None:
        """The experiment's id once the runner has created it (the app shows its progress);
        on its own store, as the scorers may be using the run's."""
        from evaltui.evals.threads import in_thread
        from evaltui.store import experiments as exp_store

        store = await in_thread(_open, self.db, cleanup=lambda s: s.close())
        try:
            while self.experiment_id is None:
                exp = await in_thread(exp_store.find_experiment, store, self.spec.experiment)
                if exp is not None:
                    self.experiment_id = exp["id"]
                    self._changed()
                    return
                await asyncio.sleep(0.05)
        finally:
            await in_thread(store.close)


def _planned(store: Store, spec: RunSpec) -> tuple[int, int]:
    """(results already stored, cases x trials) of the run ``spec`` is about to start."""
    from evaltui.store import datasets as ds_store
    from evaltui.store import experiments as exp_store

    info = ds_store.get_dataset(store, spec.dataset)
    if info is None:
        return 0, 0
    exp = exp_store.find_experiment(store, spec.experiment)
    resuming = exp if exp is not None and exp["status"] != "finished" else None
    version = (resuming["dataset_version"] if resuming else None) or spec.version or info.version
    total = ds_store.count_records(store, info.id, version) * spec.trial_count
    stored = len(exp_store.result_keys(store, resuming["id"])) if resuming else 0
    return stored, total


def _open(db: str, timeout: float = 10.0) -> Any:
    """A read-write Store; while this process reads the file read-only DuckDB refuses
    at once, so retry for a while."""
    from evaltui.store.db import Store

    deadline = time.monotonic() + timeout
    while True:
        try:
            return Store(db, lock_timeout=timeout)
        except StoreConfigConflict:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def free_name(db: str | os.PathLike[str], name: str) -> str:
    from evaltui.store import experiments as exp_store

    store = _open(str(db))
    try:
        return exp_store.free_name(store, name)
    finally:
        store.close()


def start(
    spec: RunSpec,
    db: str | os.PathLike[str],
    settings: Settings | None = None,
    on_change: Callable[[Run], None] | None = None,
) -> Run:
    """Start ``spec`` in a background thread (resuming the experiment if it exists unfinished)."""
    return Run(spec, db, settings, on_change).start()


def interrupted(store: Store) -> list[RunSpec]:
    """Runs started from a front end that stopped mid-way (the app was closed): status
    'running', with a stored launch spec."""
    from evaltui.store.experiments import running_experiments

    specs = (RunSpec.of_experiment(exp) for exp in running_experiments(store))
    return [spec for spec in specs if spec is not None]
