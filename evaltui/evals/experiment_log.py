"""Braintrust's session calls that eval files make outside ``Eval``: ``init(project=...)``
(alias ``init_experiment``), which returns an experiment that rows can be logged into by
hand, and ``login()``, accepted with no network (there is no service to log in to).

    experiment = init(project="support-bot", experiment="by-hand")
    experiment.log(input="hi", output="hello", expected="hello", scores={"exact": 1.0}, id="c1")
    print(experiment.summarize())

The experiment is made in the database at its first ``log`` (an ``init`` that logs nothing
leaves no empty experiment behind); each row is committed as it is logged and ``close()``
(or ``summarize()``) marks it finished, so `experiments`, `diff` and the app see it like
an ``Eval`` run.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from evaltui.curation.records import dumps
from evaltui.evals.cases import input_hash
from evaltui.model import scorer_key
from evaltui.store import experiments as exp_store
from evaltui.store.db import Store


def login(
    api_key: str | None = None,
    app_url: str | None = None,
    org_name: str | None = None,
    force_login: bool = False,
    **_braintrust_only: Any,
) -> None:
    """Accepted for Braintrust eval files: evaltui keeps everything in a local file, so
    there is nothing to log in to (no network, and the key goes nowhere)."""
    return None


class ExperimentLog:
    """An experiment logged row by row (what ``init`` returns)."""

    def __init__(
        self,
        project: str | None,
        name: str | None,
        *,
        dataset: Any = None,
        base_experiment: str | None = None,
        metadata: dict[str, Any] | None = None,
        update: bool = False,
        db: str | os.PathLike[str] | None = None,
    ) -> None:
        from evaltui.dbpath import default_db

        self.project = project
        self.requested = name or project or "experiment"
        self.dataset = dataset
        self.base_experiment = base_experiment
        self.metadata = dict(metadata or {})
        self.update = update
        self.db = db if db is not None else default_db()
        self.id: str | None = None
        self.name: str | None = None
        self._seen: dict[str, int] = {}

    def _ensure(self, store: Store) -> str:
        if self.id is not None:
            return self.id
        existing = exp_store.find_experiment(store, self.requested)
        if existing is not None and self.update:
            self.id, self.name = existing["id"], existing["name"]
            exp_store.set_status(store, existing["id"], "running")
            return self.id
        base = exp_store.require_experiment(store, self.base_experiment) if self.base_experiment else None
        dataset_id = dataset_version = None
        if self.dataset is not None and hasattr(self.dataset, "fetch"):
            dataset_id, dataset_version = self.dataset.id, self.dataset.fetch(store)[0]
        exp = exp_store.create_experiment(
            store,
            project=self.project,
            name=exp_store.free_name(store, self.requested),
            dataset_id=dataset_id,
            dataset_version=dataset_version,
            base_experiment_id=base["id"] if base else None,
            trial_count=1,
            task={"logged": "by hand (init().log)"},
            metadata=self.metadata,
        )
        self.id, self.name = exp["id"], exp["name"]
        return self.id

    def log(
        self,
        input: Any = None,
        output: Any = None,
        expected: Any = None,
        error: Any = None,
        tags: list[str] | None = None,
        scores: dict[str, float | None] | None = None,
        metadata: dict[str, Any] | None = None,
        metrics: dict[str, float] | None = None,
        id: str | None = None,
        **_braintrust_only: Any,
    ) -> str:
        """Store one row with its scores (0..1 or None); returns its case id."""
        first = str(id) if id is not None else input_hash(input)
        n = self._seen[first] = self._seen.get(first, 0) + 1
        case_id = first if n == 1 else f"{first}#{n}"
        with Store(self.db) as store:
            experiment_id = self._ensure(store)
            rid = exp_store.result_id(experiment_id, case_id, 0)
            row = {
                "id": rid,
                "experiment_id": experiment_id,
                "case_id": case_id,
                "record_id": str(id) if id is not None else None,
                "trial": 0,
                "input": dumps(input),
                "expected": None if expected is None else dumps(expected),
                "output": dumps(output),
                "metadata": dumps(metadata or {}),
                "tags": [str(t) for t in tags or []],
                "bucket": None,
                "error": None if error is None else str(error),
                "duration_s": None,
                "metrics": dumps(metrics or {}),
                "created": datetime.now(UTC).replace(tzinfo=None),
            }
            score_rows = [
                {
                    "result_id": rid,
                    "experiment_id": experiment_id,
                    "scorer": name,
                    "scorer_key": scorer_key(name),
                    "score": None if value is None else float(value),
                    "label": None,
                    "rationale": None,
                    "error": None,
                    "metadata": "{}",
                }
                for name, value in (scores or {}).items()
            ]
            exp_store.write_results(store, [row], score_rows)
        return case_id

    def start_span(self, name: str | None = None, **_: Any) -> Any:
        from evaltui.tracing import Span

        return Span(name)

    def summarize(self, **_: Any) -> dict[str, Any]:
        """Finish the experiment; its name, results and the mean of each score."""
        self.close()
        if self.id is None:
            return {"experiment_name": None, "results": 0, "scores": {}}
        with Store(self.db) as store:
            row = next(r for r in exp_store.list_experiments(store) if r["id"] == self.id)
        return {
            "experiment_name": self.name,
            "project_name": self.project,
            "results": row["results"],
            "scores": row["scores"],
        }

    def flush(self) -> None:
        return None  # every row is committed as it is logged

    def close(self) -> str | None:
        if self.id is not None:
            with Store(self.db) as store:
                exp_store.set_status(store, self.id, "finished")
        return self.name

    def __enter__(self) -> ExperimentLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def init(
    project: str | None = None,
    experiment: str | None = None,
    description: str | None = None,
    dataset: Any = None,
    update: bool = False,
    base_experiment: str | None = None,
    metadata: dict[str, Any] | None = None,
    *,
    db: str | os.PathLike[str] | None = None,
    **_braintrust_only: Any,
) -> ExperimentLog:
    """Braintrust's ``init`` / ``init_experiment``: an experiment of ``project`` (named
    ``experiment``, else after the project) to log rows into; no network."""
    return ExperimentLog(
        project,
        experiment,
        dataset=dataset,
        base_experiment=base_experiment,
        metadata={**(metadata or {}), **({"description": description} if description else {})},
        update=update,
        db=db,
    )


init_experiment = init
