"""`evaltui demo`: the eval improvement loop end to end, offline, on a fresh database.

1. ingest the sample logs, 2. build the topic map and find where it hurts, 3. build a
dataset from the worst topic (failing, borderline and passing cases), 4. run the baseline
and 5. the fix (examples/account_issues_*.py), compare them with the production judge,
6. calibrate that judge against the human labels, re-score both experiments' stored
outputs with the calibrated judge; align the LLM judge (the loopback judge that stands in
for a model) to the human labels, and correct its diff for its measured error, 7. ingest the next week of logs (after the fix), score
them online, file them under the topic map, watch the trend, and add the new failures to
version 2 of the dataset; then a short review session (``review_session``). Each step
says what it did.
"""

from __future__ import annotations

import re
import runpy
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from collections.abc import Callable

import orjson

from evaltui.demo.review_session import review_session
from evaltui.ingest import ingest_file
from evaltui.store import Store
from evaltui.store.human_labels import count_human_labels
from evaltui.store.logs import span_outputs
from evaltui.store.topics import dominant_tag, means_before_and_after

# Run from a source checkout (an editable install), the demo reads the repository's
# sample_logs/ and examples/; an installed wheel has neither, and writes the same logs
# with the seeded generator (byte for byte the committed files) and runs the evals inline.
REPO = Path(__file__).resolve().parents[2]
IN_CHECKOUT = (REPO / "pyproject.toml").is_file() and (REPO / "evaltui" / "demo").is_dir()
REPO_SAMPLE_LOGS = REPO / "sample_logs"
EXAMPLES = REPO / "examples"
DATASET = "account-issues"
PROJECT = "support-bot"
BASELINE, FIX = "account-baseline", "account-fix"
PRODUCTION = "Brand Alignment"
CALIBRATED = "Brand Alignment Offline"
# The dataset: single-turn conversations of the worst topic, by the logged judges' grades.
QUOTAS: dict[str, Any] = {"failing": 24, "borderline": 12, "passing": 12}
NEW_FAILURES = 12  # version 2 takes at most this many failing cases from the new logs


def sample_log_files(conversations: int | None = None, into: Path | None = None) -> tuple[list[Path], list[Path]]:
    """(first batch, after-the-fix batch): the committed sample logs, or generated ones in
    ``into`` (a new temporary folder if None) when evaltui runs from a wheel without them,
    or a reduced sample is asked for."""
    from evaltui.demo.generate import AFTER_FIX_DEFAULTS, AFTER_FIX_DIR

    if conversations is None and IN_CHECKOUT and REPO_SAMPLE_LOGS.is_dir():
        first = sorted(REPO_SAMPLE_LOGS.glob("*.jsonl"))
        after = sorted((REPO_SAMPLE_LOGS / AFTER_FIX_DIR).glob("*.jsonl"))
        if first and after:
            return first, after
    from evaltui.demo.generate import generate

    out = into or Path(tempfile.mkdtemp(prefix="evaltui-sample-logs-"))
    if conversations is None:  # the committed files' arguments: the same logs, the same figures
        generate(out)
        generate(
            out / AFTER_FIX_DIR,
            seed=AFTER_FIX_DEFAULTS["seed"],
            n_conversations=AFTER_FIX_DEFAULTS["n_conversations"],
            after_fix=True,
        )
    else:
        generate(out, n_conversations=conversations)
        generate(out / AFTER_FIX_DIR, seed=8, n_conversations=max(60, conversations // 2), after_fix=True)
    return sorted(out.glob("*.jsonl")), sorted((out / AFTER_FIX_DIR).glob("*.jsonl"))


class Steps:
    """Prints what the demo is doing (stderr) and keeps the outcome of each step."""

    def __init__(self, echo: Callable[[str], None]) -> None:
        self.echo = echo
        self.started = time.perf_counter()
        self.lines: list[str] = []

    def doing(self, text: str) -> None:
        self.echo(f"[{time.perf_counter() - self.started:5.1f}s] {text} ...")

    def done(self, text: str) -> None:
        self.lines.append(text)
        self.echo(f"        {text}")


def run_demo(
    db: Path,
    *,
    fresh: bool = True,
    as_json: bool = False,
    tui: bool = False,
    echo: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
    conversations: int | None = None,
    quiet: bool = False,
) -> dict[str, Any]:
    """Run the whole loop on ``db`` and return the outcome (the ``--json`` object).

    ``conversations`` runs on a reduced, freshly generated sample (the tests use it).
    """
    if fresh:
        for stale in (db, db.with_name(db.name + ".wal")):
            stale.unlink(missing_ok=True)
    steps = Steps(echo)
    scratch = tempfile.TemporaryDirectory(prefix="evaltui-sample-logs-")  # generated logs; removed on return
    first, after = sample_log_files(conversations, into=Path(scratch.name))
    with Store(db) as store:
        _ingest(store, first, steps)
        worst = _topic_map(store, steps)
        dataset = _dataset(store, worst["key"], steps)
        prompts = _prompts(store, steps)
    baseline, fix = _experiments(db, steps)
    with Store(db) as store:
        diff = _diff(store, PRODUCTION, steps, "production judge")
        calibration, judge = _calibrate(store, worst["key"], steps)
        rescored = _rescore(store, judge, steps)
        aligned = _align_llm_judge(store, worst["key"], steps)
        next_iteration = _next_iteration(store, after, worst["key"], judge, steps)
        review = review_session(store, worst["key"], steps)
    scratch.cleanup()
    out = {
        "worst_topic": worst["key"],
        "worst_topic_tag": worst["tag"],
        "worst_topic_failure_modes": worst["failure_modes"],
        "dataset": dataset,
        "prompts": prompts,
        "baseline": baseline,
        "fix": fix,
        "diff": diff,
        "calibration": calibration,
        "rescored_diff": rescored,
        "llm_judge": aligned,
        "next_iteration": next_iteration,
        "review": review,
        "db": str(db),
        "seconds": round(time.perf_counter() - steps.started, 1),
    }
    if as_json:
        print(orjson.dumps(out).decode())
    elif not quiet:
        print_outcome(out, steps)
    if tui:
        from evaltui.tui import run

        # The demo's eval files, wherever the demo was started from (`n` in the experiments pane).
        out["app_exit_code"] = run(
            db, eval_paths=[EXAMPLES] if _has_examples() else None
        )  # non-zero: the app died from an exception
    return out


# -- 1. ingest -----------------------------------------------------------------------


def _ingest(store: Store, files: list[Path], steps: Steps) -> None:
    for path in files:
        steps.doing(f"ingesting {path.name}")
        before = count_human_labels(store)
        report = ingest_file(store, path)
        labels = count_human_labels(store) - before  # this file's labels, not the running total
        steps.done(
            f"ingested {report.kept:,} spans, {report.scores_added - labels:,} scores from the production "
            f"judge (judge-v1) and {labels} human labels"
        )


# -- 2. topics ------------------------------------------------------------------------


def _topic_map(store: Store, steps: Steps) -> dict[str, Any]:
    from evaltui.topics import build_map
    from evaltui.topics.build import BuildOptions
    from evaltui.topics.stats import topic_table

    steps.doing(
        "building the topic map (MiniLM embeddings of each conversation's first message, then Leiden topics and groups)"
    )
    result = build_map(store, BuildOptions(name_with_llm=False))
    steps.done(
        f"{result.topics} topics over {result.conversations:,} conversations, {result.unassigned_share:.0%} unassigned"
    )
    table = topic_table(store)
    hurts = [h for h in table["where_it_hurts"] if h["scorer"] == "brand_alignment"] or table["where_it_hurts"]
    if not hurts:
        raise RuntimeError("no topic scores below the average: nothing to fix")
    key = hurts[0]["topic"]
    tag = dominant_tag(store, key)
    steps.done(
        f"where it hurts: topic {key} (mostly {tag}): {hurts[0]['conversations']} conversations, "
        f"Brand Alignment {hurts[0]['mean']:.2f} against {hurts[0]['overall_mean']:.2f} overall"
    )
    modes = _failure_modes(store, key, steps)
    return {
        "key": key,
        "tag": tag,
        "mean": hurts[0]["mean"],
        "overall": hurts[0]["overall_mean"],
        "failure_modes": modes,
    }


def _failure_modes(store: Store, topic: str, steps: Steps) -> list[dict[str, Any]]:
    """Why the worst topic fails: its judge rationales and human notes, clustered."""
    from dataclasses import asdict

    from evaltui.topics.failure_modes import failure_modes

    steps.doing(f"clustering why {topic} fails (the judges' rationales and the human labels' notes)")
    modes = [asdict(m) for m in failure_modes(store, topic, limit=5, name_with_llm=False)]
    steps.done(f"failure modes of {topic}:")
    for m in modes:
        people = f"; people passed {m['people_passed']} of the {m['labelled']} they labelled" if m["labelled"] else ""
        steps.done(f"  {m['count']:>4} ({m['share']:.0%}) {m['scorer']}: {m['name']}{people}")
    return modes


# -- 3. dataset -----------------------------------------------------------------------


def dataset_filter(topic: str) -> str:
    return f'topic = "{topic}" and metadata.total_turns = 1'


def _dataset(store: Store, topic: str, steps: Steps) -> dict[str, Any]:
    from evaltui.curation.dataset import create_from_logs

    where = dataset_filter(topic)
    steps.doing(f"building dataset {DATASET} from '{where}'")
    _, suggestion, version = create_from_logs(
        store, DATASET, where, project=PROJECT, seed=0, scorers=["brand_alignment", "conversation_quality"], **QUOTAS
    )
    taken = {b: suggestion.taken.get(b, 0) for b in QUOTAS}
    steps.done(
        f"{DATASET} v{version}: {taken['failing']} failing (low Conversation Quality or Brand Alignment), "
        f"{taken['borderline']} borderline, {taken['passing']} passing"
    )
    return {"name": DATASET, "version": version, **taken}


# -- 4-5. baseline and fix ----------------------------------------------------------------


def _prompts(store: Store, steps: Steps) -> dict[str, Any]:
    from evaltui.demo.prompts import JUNO, add_demo_prompts

    steps.doing(f"storing the bot's prompts as {JUNO} v1 (production) and v2 (plus account and login policies)")
    base, fix = add_demo_prompts(store)
    steps.done(f"prompt {JUNO}: v{base.version} ({base.hash}) and v{fix.version} ({fix.hash})")
    return {"name": JUNO, "baseline": base.ref(), "fix": fix.ref()}


def _experiments(db: Path, steps: Steps) -> tuple[dict[str, float], dict[str, float]]:
    from evaltui.evals import registry
    from evaltui.evals.runner import run_evaluator
    from evaltui.store import experiments as exp_store

    means: list[dict[str, float]] = []
    for name, file in ((BASELINE, "account_issues_baseline.py"), (FIX, "account_issues_fix.py")):
        steps.doing(f"running {name}" + (f" (examples/{file})" if _has_examples(file) else ""))
        with registry.collect() as evaluators, registry.using(str(db), quiet=True):
            if _has_examples(file):
                runpy.run_path(str(EXAMPLES / file), run_name="__evaltui_eval__")
            else:  # an installed wheel without examples/: the same evals, inline
                _inline_eval(name)
        import asyncio

        with registry.using(str(db), quiet=True):
            for ev in evaluators:
                result = asyncio.run(run_evaluator(ev))
        with Store(db) as store:
            exp = exp_store.find_experiment(store, result.summary.experiment_name)
            assert exp is not None  # the run just stored it
            rows = [r for r in exp_store.list_experiments(store) if r["id"] == exp["id"]]
        scores = {k: round(v, 4) for k, v in rows[0]["scores"].items()}
        means.append(scores)
        steps.done(
            f"{exp['name']}: {rows[0]['results']} cases, " + ", ".join(f"{k} {v:.3f}" for k, v in scores.items())
        )
    return means[0], means[1]


def _has_examples(file: str = "") -> bool:
    return IN_CHECKOUT and (EXAMPLES / file).exists()


def _inline_eval(name: str) -> None:
    from evaltui import Eval, init_dataset, load_prompt
    from evaltui.demo.bot import SupportBot
    from evaltui.demo.judges import production_judge
    from evaltui.demo.prompts import JUNO

    prompt = load_prompt(JUNO, version=1 if name == BASELINE else 2)
    Eval(
        PROJECT,
        data=init_dataset(PROJECT, DATASET),
        task=SupportBot(prompt),
        scores=[production_judge(dataset=DATASET)],
        experiment_name=name,
        base_experiment_name=BASELINE if name == FIX else None,
        max_concurrency=4,
    )


def summarize_diff(comparison: Any, score: str) -> dict[str, Any]:
    """One score of a comparison: overall and per bucket (baseline, fix, delta, counts)."""

    def part(d: Any) -> dict[str, Any]:
        r = lambda v: None if v is None else round(v, 4)  # noqa: E731
        return {
            "n": d.n,
            "baseline": r(d.base_mean),
            "fix": r(d.candidate_mean),
            "delta": r(d.delta),
            "improvements": d.improvements,
            "regressions": d.regressions,
            "p_value": r(d.p_value),
        }

    overall = comparison.scores.get(score)
    return {
        "score": score,
        **(part(overall) if overall else {}),
        "by_bucket": {b: part(s[score]) for b, s in sorted(comparison.buckets.items()) if score in s},
        "prompts": [{k: p[k] for k in ("name", "base", "candidate", "added", "removed")} for p in comparison.prompts],
    }


def _diff(store: Store, score: str, steps: Steps, who: str) -> dict[str, Any]:
    from evaltui.evals.compare import compare_experiments

    steps.doing(f"comparing {BASELINE} and {FIX} case by case ({who})")
    out = summarize_diff(compare_experiments(store, BASELINE, FIX), score)
    for p in out["prompts"]:
        if p["base"] and p["candidate"]:
            steps.done(
                f"prompt {p['name']}: v{p['base']['version']} -> v{p['candidate']['version']} "
                f"(+{p['added']} -{p['removed']} lines)"
            )
    steps.done(_diff_line(out))
    return out


def _diff_line(d: dict[str, Any]) -> str:
    if "delta" not in d:
        return f"{d['score']}: no cases scored on both sides"
    buckets = ", ".join(f"{b} {v['baseline']:.2f} -> {v['fix']:.2f}" for b, v in d["by_bucket"].items())
    return (
        f"{d['score']}: {d['baseline']:.3f} -> {d['fix']:.3f} (delta {d['delta']:+.3f}, "
        f"{d['improvements']} better, {d['regressions']} worse); {buckets}"
    )


# -- 6. calibration and re-scoring ------------------------------------------------------


def _kappa(report: dict[str, Any], topic: str) -> dict[str, Any]:
    part = report.get("by_topic", {}).get(topic) or {}
    return {
        "n": part.get("n", 0),
        "kappa": None if part.get("kappa") is None else round(part["kappa"], 4),
        "accuracy": None if part.get("accuracy") is None else round(part["accuracy"], 4),
    }


def _calibrate(store: Store, topic: str, steps: Steps) -> tuple[dict[str, Any], Any]:
    from evaltui.demo.judges import calibrated_judge
    from evaltui.scoring.span_calibration import calibrate
    from evaltui.scoring.online import score_spans

    from evaltui.store.calibration_pairs import calibration_pairs

    steps.doing(f"calibrating the production judge (judge-v1) against the human labels in {topic}")
    before = _kappa(calibrate(store, "brand_alignment", versions=["judge-v1"]), topic)
    pairs = [
        r for r in calibration_pairs(store, "brand_alignment", "judge-v1", "brand_alignment") if r.get("topic") == topic
    ]
    outputs = span_outputs(store, [r["target_id"] for r in pairs])
    spot = blind_spot(pairs, outputs)
    before.update(spot)
    steps.done(
        f"judge-v1 vs people on {before['n']} labelled turns: kappa {before['kappa']:.2f} "
        f"(accuracy {before['accuracy']:.0%})" + (f": {spot['sentence']}" if spot["sentence"] else "")
    )
    steps.doing("training the offline judge on the human labels and scoring the topic's turns with it")
    spec = calibrated_judge(store)
    report = score_spans(store, spec, where=f'topic = "{topic}"', scope="turn")
    after = _kappa(calibrate(store, spec.key), topic)
    steps.done(
        f"{spec.name} ({spec.version}) scored {report.scored} turns; vs people on {after['n']} labelled turns "
        f"(held out): kappa {after['kappa']:.2f} (accuracy {after['accuracy']:.0%})"
    )
    return {
        "topic": topic,
        "kappa_before": before["kappa"],
        "kappa_after": after["kappa"],
        "before": {"scorer": "brand_alignment", "version": "judge-v1", **before},
        "after": {"scorer": spec.key, "version": spec.version, **after},
    }, spec


_NUMBERED_LINE = re.compile(r"^\s*\d+[.)]\s", re.MULTILINE)


def blind_spot(pairs: list[dict[str, Any]], outputs: dict[str, Any]) -> dict[str, Any]:
    """What the judge's disagreements with people say, from the data: how many replies it
    grades below and above people's grade, how many of those below are numbered step
    lists, and a sentence only when the disagreements lean one way (None otherwise)."""
    lower = [
        p for p in pairs if p["score"] is not None and p["human_score"] is not None and p["score"] < p["human_score"]
    ]
    higher = [
        p for p in pairs if p["score"] is not None and p["human_score"] is not None and p["score"] > p["human_score"]
    ]
    steps = sum(len(_NUMBERED_LINE.findall(str(outputs.get(p["target_id"]) or ""))) >= 2 for p in lower)
    sentence = None
    if len(lower) >= 3 and len(lower) >= 2 * len(higher):
        sentence = f"it grades {len(lower)} replies below people's grade ({len(higher)} above)"
        if steps * 2 > len(lower):
            sentence = (
                f"it grades the step-by-step recovery replies down ({steps} of the {len(lower)} replies "
                f"it grades below people's grade are numbered steps; {len(higher)} above)"
            )
    return {"judge_lower": len(lower), "judge_higher": len(higher), "lower_step_by_step": steps, "sentence": sentence}


def _rescore(store: Store, spec: Any, steps: Steps) -> dict[str, Any]:
    from evaltui.evals.rescore import rescore_experiment

    steps.doing("re-scoring both experiments' stored outputs with the calibrated judge (no task re-run)")
    for name in (BASELINE, FIX):
        steps.done(rescore_experiment(store, name, spec).summary())
    return _diff(store, spec.name, steps, "calibrated judge")


LLM_JUDGE, ALIGNED_JUDGE = "Brand Alignment LLM", "Brand Alignment LLM aligned"


def _agreement_text(a: dict[str, Any]) -> str:
    ci = a.get("kappa_ci")
    if a.get("kappa") is None:
        return f"kappa - on {a.get('n', 0)} labels"
    return f"kappa {a['kappa']:.2f}" + (f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "") + f" on {a['n']} labels"


def _align_llm_judge(store: Store, topic: str, steps: Steps) -> dict[str, Any]:
    """Align the LLM judge of the brand_alignment rubric to the human labels, through the
    loopback judge (``evaltui.testing.fake_judge``: it grades by what its prompt says and
    has the production judge's blind spot), then grade both experiments with it before and
    after, and correct the diff of the one before for its measured error."""
    from evaltui.config import get_settings
    from evaltui.evals.compare import compare_experiments
    from evaltui.evals.rescore import rescore_experiment
    from evaltui.llm import LLMClient
    from evaltui.scoring.align import align
    from evaltui.scoring.judge import LLMJudge
    from evaltui.scoring.registry import ScorerSpec
    from evaltui.scoring.rubric import load_rubric
    from evaltui.store.calibration_pairs import topic_groups
    from evaltui.store.llm_cache import LLMCache
    from evaltui.testing.fake_judge import DemoJudge
    from evaltui.testing.fake_openai import FakeOpenAI

    group = topic_groups(store).get(topic)
    steps.doing(
        "aligning the LLM judge (brand_alignment rubric, through the loopback judge) to the human labels: "
        "few-shot and rubric-edit candidates from a dev part, measured on a held-out test part"
    )
    with FakeOpenAI(responder=DemoJudge()) as server:

        def client() -> LLMClient:
            return LLMClient(
                base_url=server.base_url, api_key="sk-demo", model=get_settings().judge_model, cache=LLMCache(store)
            )

        report = align(store, "brand_alignment", client())
        current = report["candidates"][0]
        best = next(r for r in report["candidates"] if r["name"] == report["best"])
        parts = {"overall": (current["test"]["overall"], best["test"]["overall"])}
        if topic in current["test"]["by_topic"]:
            parts[f"topic {topic}"] = (current["test"]["by_topic"][topic], best["test"]["by_topic"].get(topic, {}))
        if group and group in current["test"]["by_group"]:
            parts[f"group {group}"] = (current["test"]["by_group"][group], best["test"]["by_group"].get(group, {}))
        for where, (before, after) in parts.items():
            steps.done(
                f"LLM judge vs people on the test part, {where}: current rubric {_agreement_text(before)}; "
                f"{best['name']} {_agreement_text(after)}"
            )
        steps.done(f"saved {best['name']} as {report['saved']}" if report["saved"] else "no candidate beat the rubric")
        steps.doing("grading both experiments' outputs with the LLM judge before and after alignment")
        judges = [(LLM_JUDGE, load_rubric("brand_alignment"))]
        if report["saved"]:
            judges.append((ALIGNED_JUDGE, load_rubric(report["saved"])))
        for name, rubric in judges:
            judge = LLMJudge(rubric, client())
            spec = ScorerSpec(rubric.source, judge, rubric.name, judge.version, client=judge.client)
            for experiment in (BASELINE, FIX):
                steps.done(rescore_experiment(store, experiment, spec, name=name).summary())
    comparison = compare_experiments(store, BASELINE, FIX)
    diffs = {name: summarize_diff(comparison, name) for name, _ in judges}
    corrected = comparison.corrected.get(LLM_JUDGE)
    out: dict[str, Any] = {
        "align": {
            "seed": report["seed"],
            "dev": report["dev"],
            "test": report["test"],
            "best": report["best"],
            "saved": report["saved"],
            "test_agreement": {w: {"before": b, "after": a} for w, (b, a) in parts.items()},
        },
        "diffs": diffs,
        "corrected": None,
    }
    if corrected:
        from dataclasses import asdict

        from evaltui.evals.corrected import corrected_line

        o = corrected["overall"]
        steps.done(corrected_line(LLM_JUDGE, o) + f" (its error measured on {corrected['labels']} human labels)")
        if ALIGNED_JUDGE in diffs and "delta" in diffs[ALIGNED_JUDGE]:
            steps.done(
                f"{ALIGNED_JUDGE}: {diffs[ALIGNED_JUDGE]['delta']:+.2f}; the judge calibrated on people "
                f"(Brand Alignment Offline) sees {summarize_diff(comparison, CALIBRATED).get('delta', 0):+.2f}"
            )
        out["corrected"] = {"labels": corrected["labels"], "version": corrected["version"], **asdict(o)}
    return out


# -- 7. the next iteration ----------------------------------------------------------------


def _next_iteration(store: Store, files: list[Path], topic: str, spec: Any, steps: Steps) -> dict[str, Any]:
    """The calibrated judge (``spec``, the version calibration measured) now runs online."""
    from evaltui.curation.dataset import create_from_logs
    from evaltui.demo.generate import AFTER_FIX_START
    from evaltui.scoring.online import score_spans
    from evaltui.topics import assign_new_spans

    since = AFTER_FIX_START.strftime("%Y-%m-%d")
    _ingest(store, files, steps)
    steps.doing("filing the new conversations under the topic map")
    assigned = assign_new_spans(store)
    steps.done(
        f"{assigned.assigned} of {assigned.conversations} new conversations filed under a topic"
        if assigned is not None
        else "no active topic map"
    )
    steps.doing("scoring the new logs online with the calibrated judge")
    report = score_spans(store, spec, where=f'topic = "{topic}" and ts >= "{since}"', scope="turn")
    steps.done(report.summary())
    trend = _trend(store, topic, since)
    steps.done(trend_line(topic, spec.name, trend))
    where = f'{dataset_filter(topic)} and ts >= "{since}"'
    steps.doing(f"adding the new failures ('{where}') to {DATASET}")
    _, suggestion, version = create_from_logs(
        store, DATASET, where, failing=NEW_FAILURES, borderline=0, passing=0, scorers=[spec.key], seed=0, add=True
    )
    added = suggestion.taken.get("failing", 0)
    steps.done(f"{DATASET} v{version}: {added} new failing cases" if version else f"{DATASET}: no new failures")
    return {
        "ingested": [p.name for p in files],
        "scored": report.scored,
        "trend": trend,
        "dataset_version": version,
        "new_failing": added,
    }


def trend_line(topic: str, judge: str, trend: dict[str, Any]) -> str:
    """The trend step's line; a side with no scored conversation (its mean is None, as when
    a map files no new conversation under the topic) reads "none scored" instead of crashing."""

    def mean(key: str) -> str:
        return "none scored" if trend.get(key) is None else f"{trend[key]:.2f}"

    return (
        f"trend in {topic}: {judge} {mean('before')} before the fix -> {mean('after')} after; "
        f"judge-v1 {mean('before_judge_v1')} -> {mean('after_judge_v1')}"
    )


def _trend(store: Store, topic: str, since: str) -> dict[str, Any]:
    by = means_before_and_after(store, topic, since, ["brand_alignment_offline", "brand_alignment"])
    r = lambda v: None if v is None else round(v, 4)  # noqa: E731
    b, a = by.get(False, (None, None, 0)), by.get(True, (None, None, 0))
    return {
        "since": since,
        "before": r(b[0]),
        "after": r(a[0]),
        "before_judge_v1": r(b[1]),
        "after_judge_v1": r(a[1]),
        "conversations_before": b[2],
        "conversations_after": a[2],
    }


# -- printing ---------------------------------------------------------------------------


def print_outcome(out: dict[str, Any], steps: Steps) -> None:
    db = out["db"]
    print(f"evaltui demo: the eval improvement loop on {db} ({out['seconds']:.0f}s)")
    for line in steps.lines:
        print(f"  {line}")
    c = out["calibration"]
    print()
    print(
        f"the story: the production judge sees {out['diff'].get('delta', 0):+.3f} from the fix; it disagrees with "
        f"people on {out['worst_topic_tag'] or out['worst_topic']} (kappa {c['kappa_before']:.2f}); the judge "
        f"calibrated on human labels (kappa {c['kappa_after']:.2f}) sees {out['rescored_diff'].get('delta', 0):+.3f}."
    )
    llm = out.get("llm_judge") or {}
    if llm.get("corrected"):
        k = llm["corrected"]
        aligned = (llm["diffs"].get(ALIGNED_JUDGE) or {}).get("delta")
        print(
            f"           the LLM judge has the same blind spot: it sees {k['judge_delta']:+.2f}; corrected for its "
            f"measured error, {k['corrected_delta']:+.2f} [{k['corrected_ci'][0]:+.2f}, {k['corrected_ci'][1]:+.2f}]"
            + (f"; aligned to people's labels it sees {aligned:+.2f}." if aligned is not None else ".")
        )
    r = out["review"]
    print(
        f"a review queue put first what teaches the most: in {r['labelled']} labels, {r['judge_wrong']} judge errors "
        f"({r['judge_wrong_at_random']:g} expected at random)."
    )
    print(f"next: evaltui --db {db}   (topics, experiments, diff, calibration and review panes)")
    print(f"      evaltui diff {BASELINE} {FIX} --db {db}")
