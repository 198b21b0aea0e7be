"""`evaltui pairwise BASE CANDIDATE --scorer RUBRIC`: judge two experiments' outputs side by side.

Cases match as the diff matches them (record id, else input hash; ``#n`` for repeats), so
verdicts line up with the diff's rows and buckets. Per matched case the first trial's output
of each side is judged twice (the order of the first asking is a seeded coin per case; the
second swaps it). Each case is stored as it finishes, so an interrupted run resumes where it
stopped and a case whose judge failed for good is asked again next time; the response
cache makes a re-run of finished work free.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from collections.abc import Callable

from evaltui.evals.compare import case_keys
from evaltui.evals.pairwise import PairwiseReport, combine, report
from evaltui.scoring.protocol import ScorerError

if TYPE_CHECKING:
    from evaltui.config import Settings
    from evaltui.store.db import Store


@dataclass
class MatchedCase:
    key: str
    bucket: str | None
    input: Any
    expected: Any
    metadata: dict[str, Any]
    base_output: Any
    candidate_output: Any

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def matched_cases(base: list[dict[str, Any]], candidate: list[dict[str, Any]]) -> tuple[list[MatchedCase], int]:
    """Cases in both experiments with an output on both sides (first trial of each), by
    case key; and how many matched cases were left out because a side's task failed."""
    by_record = bool(base or candidate) and all(r.get("record_id") for r in [*base, *candidate])

    def firsts(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for key, r in zip(case_keys(rows, by_record), rows):
            if key not in out or (r.get("trial") or 0) < (out[key].get("trial") or 0):
                out[key] = r
        return out

    b, c = firsts(base), firsts(candidate)
    cases, skipped = [], 0
    for key in sorted(k for k in c if k in b):
        rb, rc = b[key], c[key]
        if rb.get("error") is not None or rc.get("error") is not None:
            skipped += 1
            continue
        cases.append(
            MatchedCase(
                key,
                rc.get("bucket") or rb.get("bucket"),
                rc.get("input"),
                rc.get("expected"),
                rc.get("metadata") or {},
                rb.get("output"),
                rc.get("output"),
            )
        )
    return cases, skipped


def shown_first(seed: int, key: str) -> str:
    """The side shown first in a case's first asking: a coin seeded by (seed, case key)."""
    return "base" if random.Random(f"{seed}:{key}").random() < 0.5 else "candidate"


def run_id(base_id: str, candidate_id: str, version: str, seed: int) -> str:
    return hashlib.md5(f"{base_id}|{candidate_id}|{version}|{seed}".encode()).hexdigest()


async def judge_cases(
    judge: Any, cases: list[MatchedCase], seed: int, on_done: Callable[[dict[str, Any]], None]
) -> None:
    """Judge every case in both orders, all in flight at once (the client bounds how many
    calls run); ``on_done(row)`` gets each case's outcome as it finishes."""
    from evaltui.llm.client import closing_clients, redact_configured

    async def one(case: MatchedCase) -> None:
        first = shown_first(seed, case.key)
        row: dict[str, Any] = {"case_key": case.key, "bucket": case.bucket, "first_shown": first}
        try:
            v1, v2 = await judge.both_orders(case.as_dict(), first)
        except ScorerError as exc:
            row["error"] = redact_configured(str(exc))
        else:
            verdict, consistent = combine(v1.side, v2.side)
            row.update(
                verdict_1=v1.side,
                verdict_2=v2.side,
                verdict=verdict,
                consistent=consistent,
                rationale_1=v1.rationale,
                rationale_2=v2.rationale,
            )
        on_done(row)

    async with closing_clients():
        await asyncio.gather(*(one(c) for c in cases))


def run_pairwise(
    store: Store,
    base: str,
    candidate: str,
    rubric: str,
    *,
    seed: int = 0,
    use_cache: bool | None = None,
    reviewer_marks: bool = True,
    progress: Callable[[int, int], None] | None = None,
    client: Any = None,
    settings: Settings | None = None,
) -> PairwiseReport:
    """Judge ``candidate`` against ``base`` (experiment names) with ``rubric`` (a built-in
    name or a rubric file), store every case, and return the report over all of the run's
    cases, with the judge's agreement with people's pairwise marks. The judge's client comes
    from ``settings`` (default: evaltui's) unless ``client`` is given."""
    from evaltui.llm import LLMClient
    from evaltui.scoring.pairwise_judge import PairwiseJudge
    from evaltui.store import experiments as exp_store
    from evaltui.store import pairwise as pw_store

    b, c = exp_store.require_experiment(store, base), exp_store.require_experiment(store, candidate)
    if client is None:
        from evaltui.store.llm_cache import LLMCache

        client = LLMClient.from_settings(settings, cache=LLMCache(store), use_cache=use_cache)
    judge = PairwiseJudge(rubric, client)
    run = pw_store.PairwiseRun(
        run_id(b["id"], c["id"], judge.version, seed),
        b["id"],
        c["id"],
        judge.name,
        judge.key,
        judge.version,
        judge.model,
        seed,
    )
    cases, skipped = matched_cases(exp_store.load_results(store, b["id"]), exp_store.load_results(store, c["id"]))
    pw_store.save_run(store, run)
    done = pw_store.done_cases(store, run.id)
    todo = [case for case in cases if case.key not in done]
    finished = 0

    def stored(row: dict[str, Any]) -> None:
        nonlocal finished
        pw_store.save_result(store, run.id, row)
        finished += 1
        if progress is not None:
            progress(finished, len(todo))

    try:
        if todo:
            from evaltui import heap

            with heap.frozen():
                asyncio.run(judge_cases(judge, todo, seed, stored))
    finally:
        client.flush()
    keys = {case.key for case in cases}
    rows = [r for r in pw_store.run_results(store, run) if r["case_key"] in keys]
    marks = pw_store.labels(store, b["id"], c["id"]) if reviewer_marks else []
    return report(
        base=b["name"],
        candidate=c["name"],
        scorer=judge.name,
        scorer_version=judge.version,
        model=judge.model,
        seed=seed,
        rows=rows,
        marks=marks,
        skipped=skipped,
        usage=client.usage.as_dict(),
    )


def load_report(store: Store, base_id: str, candidate_id: str, base: str, candidate: str) -> PairwiseReport | None:
    """The latest stored pairwise run of two experiments (either orientation) with people's
    marks, as a report; with marks but no run, a report of no cases; None when neither."""
    from evaltui.store import pairwise as pw_store

    run = pw_store.latest_run(store, base_id, candidate_id)
    marks = pw_store.labels(store, base_id, candidate_id)
    if run is None and not marks:
        return None
    rows = pw_store.run_results(store, run) if run is not None else []
    return report(
        base=base,
        candidate=candidate,
        scorer=run.scorer if run else "",
        scorer_version=run.scorer_version if run else "",
        model=run.model if run else None,
        seed=run.seed if run else 0,
        rows=rows,
        marks=marks,
    )
