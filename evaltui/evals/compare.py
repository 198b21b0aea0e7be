"""Compare two experiments case by case, as data (the TUI renders it; the CLI prints it).

Cases match by dataset record id when every result on both sides has one, else by a
hash of the input; ``matched_by`` says which. Data that repeats an id (or an input) is
matched by occurrence: the second case with id ``a`` is ``a#2`` on both sides. With trials, a case's value for a score
is the mean over its trials (its spread is kept too), and a case whose grade lands on
both sides of the threshold across trials is a flip.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from evaltui.curation.buckets import flips
from evaltui.evals.cases import input_hash
from evaltui.evals.stats import mean, paired_bootstrap_ci, spread, wilcoxon_signed_rank
from evaltui.model import CaseStatus

if TYPE_CHECKING:
    from evaltui.config import Settings
    from evaltui.store.db import Store

EPS = 1e-9


@dataclass
class ScoreDiff:
    n: int  # matched cases with this score on both sides
    base_mean: float | None  # over those cases
    candidate_mean: float | None
    delta: float | None  # mean of the paired deltas (candidate - base)
    improvements: int
    regressions: int
    ci_low: float | None  # paired bootstrap 95% CI of the mean delta
    ci_high: float | None
    p_value: float | None  # Wilcoxon signed-rank, two-sided

    def significant_regression(self, alpha: float = 0.05) -> bool:
        return self.delta is not None and self.delta < 0 and self.p_value is not None and self.p_value < alpha


@dataclass
class Comparison:
    base: str | None
    candidate: str | None
    matched_by: str  # record_id | input_hash
    added: list[str] = field(default_factory=list)  # case keys only in the candidate
    removed: list[str] = field(default_factory=list)  # case keys only in the base
    scores: dict[str, ScoreDiff] = field(default_factory=dict)
    buckets: dict[str, dict[str, ScoreDiff]] = field(default_factory=dict)
    cases: list[dict[str, Any]] = field(default_factory=list)
    flips: list[dict[str, Any]] = field(default_factory=list)
    # per prompt either side built: {name, base, candidate (each {name, version, hash} or
    # None), added, removed, diff (unified diff lines)}; filled from the store
    prompts: list[dict[str, Any]] = field(default_factory=list)
    # per score with human labels: the diff corrected for the judge's measured error
    # (``evals.corrected.judge_corrections``); filled where a store is at hand
    corrected: dict[str, Any] = field(default_factory=dict)

    def regressions(self, alpha: float = 0.05) -> list[str]:
        """Scores that regress significantly (delta < 0, p < alpha)."""
        return [name for name, d in self.scores.items() if d.significant_regression(alpha)]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def case_keys(results: list[dict[str, Any]], by_record: bool) -> list[str]:
    """Each row's case key: its record id (or input hash) and, for the n-th case that
    repeats it, ``#n``. Trials of one case share its ``case_id``, so a repeated id
    stays several cases rather than merging into one."""
    firsts = [r["record_id"] if by_record else input_hash(r["input"]) for r in results]
    case_ids: dict[str, list[str]] = {}
    for first, r in zip(firsts, results):
        cid = r.get("case_id")
        if cid is not None and cid not in case_ids.setdefault(first, []):
            case_ids[first].append(cid)
    for ids in case_ids.values():
        ids.sort(key=_occurrence)
    keys = []
    for first, r in zip(firsts, results):
        cid = r.get("case_id")
        n = 1 if cid is None else case_ids[first].index(cid) + 1
        keys.append(first if n == 1 else f"{first}#{n}")
    return keys


def _occurrence(case_id: str) -> tuple[int, str]:
    _, sep, n = case_id.rpartition("#")
    return (int(n) if sep and n.isdigit() else 1, case_id)


def _group(results: list[dict[str, Any]], by_record: bool) -> dict[str, dict[str, Any]]:
    cases: dict[str, dict[str, Any]] = {}
    for key, r in zip(case_keys(results, by_record), results):
        case = cases.setdefault(
            key,
            {
                "record_id": r.get("record_id"),
                "bucket": r.get("bucket"),
                "input": r.get("input"),
                "trials": 0,
                "errors": [],
                "scores": {},
            },
        )
        case["trials"] += 1
        if r.get("error"):
            case["errors"].append(r["error"].strip().splitlines()[-1] if r["error"].strip() else r["error"])
        for name, s in (r.get("scores") or {}).items():
            if s.get("score") is not None:
                case["scores"].setdefault(name, []).append(float(s["score"]))
    return cases


def _diff(pairs: list[tuple[float, float]], seed: int) -> ScoreDiff:
    deltas = [c - b for b, c in pairs]
    lo, hi = paired_bootstrap_ci(deltas, seed=seed)
    return ScoreDiff(
        n=len(pairs),
        base_mean=mean([b for b, _ in pairs]),
        candidate_mean=mean([c for _, c in pairs]),
        delta=mean(deltas),
        improvements=sum(d > EPS for d in deltas),
        regressions=sum(d < -EPS for d in deltas),
        ci_low=lo,
        ci_high=hi,
        p_value=wilcoxon_signed_rank(deltas),
    )


def compare(
    base: list[dict[str, Any]],
    candidate: list[dict[str, Any]],
    *,
    base_name: str | None = None,
    candidate_name: str | None = None,
    settings: Settings | None = None,
    seed: int = 0,
) -> Comparison:
    """Compare result rows (as ``store.experiments.load_results`` gives them)."""
    if settings is None:
        from evaltui.config import settings as fresh

        settings = fresh()
    by_record = all(r.get("record_id") for r in [*base, *candidate]) and bool(base or candidate)
    b_cases, c_cases = _group(base, by_record), _group(candidate, by_record)
    matched = sorted(k for k in c_cases if k in b_cases)  # the bootstrap sees one order, however rows were stored
    out = Comparison(
        base=base_name,
        candidate=candidate_name,
        matched_by="record_id" if by_record else "input_hash",
        added=sorted(k for k in c_cases if k not in b_cases),
        removed=sorted(k for k in b_cases if k not in c_cases),
    )
    names = sorted({n for c in [*b_cases.values(), *c_cases.values()] for n in c["scores"]})
    case_means: dict[str, dict[str, tuple[float, float]]] = {}
    for name in names:
        pairs: list[tuple[float, float]] = []
        per_bucket: dict[str, list[tuple[float, float]]] = {}
        for key in matched:
            bs, cs = b_cases[key]["scores"].get(name), c_cases[key]["scores"].get(name)
            if not bs or not cs:
                continue
            pair = (sum(bs) / len(bs), sum(cs) / len(cs))
            pairs.append(pair)
            case_means.setdefault(key, {})[name] = pair
            bucket = c_cases[key]["bucket"] or b_cases[key]["bucket"] or "(none)"
            per_bucket.setdefault(bucket, []).append(pair)
        out.scores[name] = _diff(pairs, seed)
        for bucket, bucket_pairs in per_bucket.items():
            out.buckets.setdefault(bucket, {})[name] = _diff(bucket_pairs, seed)

    for key in sorted({*b_cases, *c_cases}):
        b, c = b_cases.get(key), c_cases.get(key)
        any_side = c or b
        assert any_side is not None
        row: dict[str, Any] = {
            "key": key,
            "record_id": any_side["record_id"],
            "bucket": any_side["bucket"],
            "input": any_side["input"],
            "scores": {},
            "errors": {},
        }
        if b is None:
            row["status"] = CaseStatus.ADDED
        elif c is None:
            row["status"] = CaseStatus.REMOVED
        for side, case in (("base", b), ("candidate", c)):
            if case is None:
                continue
            if case["errors"]:
                row["errors"][side] = case["errors"]
            for name, values in case["scores"].items():
                entry = row["scores"].setdefault(name, {})
                entry[side] = mean(values)
                entry[f"{side}_spread"] = spread(values)
                entry[f"{side}_trials"] = values
                if flips(values, settings.threshold(_key(name))):
                    out.flips.append({"key": key, "score": name, "side": side, "trials": values})
        deltas = {n: c_ - b_ for n, (b_, c_) in case_means.get(key, {}).items()}
        for n, d in deltas.items():
            row["scores"][n]["delta"] = d
        if "status" not in row:
            up, down = any(d > EPS for d in deltas.values()), any(d < -EPS for d in deltas.values())
            row["status"] = (
                CaseStatus.MIXED
                if up and down
                else CaseStatus.IMPROVED
                if up
                else CaseStatus.REGRESSED
                if down
                else CaseStatus.SAME
            )
        out.cases.append(row)
    return out


def _key(name: str) -> str:
    from evaltui.model import scorer_key

    return scorer_key(name)


@dataclass
class DiffData:
    """A comparison as data plus what the diff pane needs to fetch a case's details."""

    comparison: Comparison
    base_id: str
    candidate_id: str


def load_diff(store: Store, base: str, candidate: str, settings: Settings | None = None) -> DiffData:
    """Compare two experiments from their lean results (no outputs), for the diff pane."""
    from evaltui.store.browse_experiments import lean_results
    from evaltui.store.experiments import require_experiment

    from evaltui.evals.corrected import judge_corrections

    b, c = require_experiment(store, base), require_experiment(store, candidate)
    comparison = compare(
        lean_results(store, b["id"]),
        lean_results(store, c["id"]),
        base_name=base,
        candidate_name=candidate,
        settings=settings,
    )
    comparison.prompts = _prompt_changes(store, b["id"], c["id"])
    comparison.corrected = judge_corrections(store, comparison, settings, [b["id"], c["id"]])
    return DiffData(comparison, b["id"], c["id"])


def _prompt_changes(store: Store, base_id: str, candidate_id: str) -> list[dict[str, Any]]:
    from evaltui.prompts.versions import prompt_changes

    return [asdict(p) for p in prompt_changes(store, base_id, candidate_id)]


def compare_experiments(
    store: Store, base_name: str, candidate_name: str, *, settings: Settings | None = None
) -> Comparison:
    from evaltui.store import experiments as exp_store

    from evaltui.evals.corrected import judge_corrections

    base = exp_store.require_experiment(store, base_name)
    cand = exp_store.require_experiment(store, candidate_name)
    comparison = compare(
        exp_store.load_results(store, base["id"]),
        exp_store.load_results(store, cand["id"]),
        base_name=base_name,
        candidate_name=candidate_name,
        settings=settings,
    )
    comparison.prompts = _prompt_changes(store, base["id"], cand["id"])
    comparison.corrected = judge_corrections(store, comparison, settings, [base["id"], cand["id"]])
    return comparison
