"""Review queues: which items people should label first, and how their labels agree.

A queue holds log spans (from a filter) or eval results (from a diff's cases) for one
rubric. Items come in the order that teaches the most per label:

- **disagreement**: two judge versions (or the judge and the offline judge) give
  different grades: one of them is wrong, and a label says which; in a diff's queue, a
  case whose grade moved between the baseline and the candidate counts the same (it is
  what the diff's verdict rests on);
- **uncertainty**: the offline judge's probability for its own choice is low;
- **need**: the item's topic (a diff's bucket) has weak judge-vs-human agreement, or few
  labels yet; each item taken from a topic counts as one more label there, so a queue
  spreads over the topics that need labels instead of filling up from one.

``priority = 2 * disagreement + uncertainty + need`` (each 0..1; disagreement counts
twice: it is the one sign that a judge is wrong). Pure functions here; the store keeps
the queue (``evaltui.store.review``).
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from collections.abc import Sequence

from evaltui.model import scorer_key
from evaltui.scoring.errors import ScorerSetupError
from evaltui.store.review import Queue, QueueItem

if TYPE_CHECKING:
    from evaltui.store.db import Store

MIN_TOPIC_LABELS = 5  # below this a topic's kappa is not trusted: its weakness counts as unknown (1)


@dataclass(frozen=True)
class Candidate:
    """A target that could be reviewed: its group (topic, or a diff's bucket) and the
    judges' grades (dicts of scorer, version, score, label, confidence)."""

    target_id: str
    group: str
    grades: Sequence[dict[str, Any]]
    change: tuple[str, str] | None = None  # a diff's case: the run's grade on the base side, then the candidate's
    change_size: float = 0.0


@dataclass
class GroupNeed:
    """A topic's judge-vs-human agreement: kappa (None when unknown) on ``labels`` labels."""

    kappa: float | None = None
    labels: int = 0
    taken: int = field(default=0, compare=False)

    def need(self) -> float:
        known = self.kappa is not None and self.labels + self.taken >= MIN_TOPIC_LABELS
        weakness = 1.0 - max(self.kappa or 0.0, 0.0) if known else 1.0
        scarcity = 1.0 / math.sqrt(1 + self.labels + self.taken)
        return (weakness + scarcity) / 2


def _grade(g: dict[str, Any]) -> str:
    return str(g.get("label") or f"{g['score']:g}")


def disagreement(grades: Sequence[dict[str, Any]]) -> float:
    """The spread of the grades' scores (0 when they agree or there is one)."""
    scores = [float(g["score"]) for g in grades if g.get("score") is not None]
    return (max(scores) - min(scores)) if len(scores) > 1 else 0.0


def uncertainty(grades: Sequence[dict[str, Any]]) -> tuple[float, dict[str, Any] | None]:
    """1 - the lowest confidence a judge gave its own grade (0 when none said), and that grade."""
    sure = [g for g in grades if g.get("confidence") is not None]
    if not sure:
        return 0.0, None
    least = min(sure, key=lambda g: g["confidence"])
    return 1.0 - float(least["confidence"]), least


def _reason(c: Candidate, spread: float, unsure: float, least: dict[str, Any] | None, need: GroupNeed) -> str:
    parts = []
    if spread > 0:
        once = {g["scorer"] for g in c.grades if sum(h["scorer"] == g["scorer"] for h in c.grades) == 1}
        parts.append(
            "judges disagree: "
            + ", ".join(
                f"{g['scorer'] if g['scorer'] in once else g['scorer'] + ' ' + str(g['version'])} {_grade(g)}"
                for g in c.grades
            )
        )
    if c.change and c.change_size > 0:
        parts.append(f"grade moved {c.change[0]} -> {c.change[1]} between base and candidate")
    if least is not None and unsure >= 0.3:
        parts.append(f"{least['scorer']} unsure ({least['confidence']:.2f})")
    if need.kappa is not None and need.labels >= MIN_TOPIC_LABELS:
        parts.append(f"{c.group}: kappa {need.kappa:.2f} on {need.labels} labels")
    else:
        parts.append(f"{c.group}: {need.labels} labels")
    return "; ".join(parts)


def order(candidates: Sequence[Candidate], needs: dict[str, GroupNeed], limit: int | None = None) -> list[QueueItem]:
    """The queue's items, most useful first (at most ``limit``).

    Greedy: each step takes the item with the highest priority, where a group's need
    falls as items are taken from it. Ties go to the target id, so the order is stable."""
    needs = {g: GroupNeed(n.kappa, n.labels) for g, n in needs.items()}  # `taken` counts from 0 per call
    by_group: dict[str, list[tuple[float, str, Candidate, float, float, dict[str, Any] | None]]] = defaultdict(list)
    for c in candidates:
        spread = disagreement(c.grades)
        unsure, least = uncertainty(c.grades)
        by_group[c.group].append((2 * max(spread, c.change_size) + unsure, c.target_id, c, spread, unsure, least))
        needs.setdefault(c.group, GroupNeed())
    for items in by_group.values():
        items.sort(key=lambda t: (-t[0], t[1]))
    heads = {g: 0 for g in by_group}
    out: list[QueueItem] = []
    total = len(candidates) if limit is None else min(limit, len(candidates))
    while len(out) < total:
        best_group, best = None, -math.inf
        for g, i in heads.items():
            if i < len(by_group[g]):
                value = by_group[g][i][0] + needs[g].need()
                if value > best or (value == best and best_group is not None and g < best_group):
                    best_group, best = g, value
        if best_group is None:
            break
        _, target, c, spread, unsure, least = by_group[best_group][heads[best_group]]
        heads[best_group] += 1
        out.append(QueueItem(target, round(best, 4), _reason(c, spread, unsure, least, needs[best_group])))
        needs[best_group].taken += 1
    return out


# -- building queues from the store ---------------------------------------------------


def topic_needs(store: Store, key: str) -> dict[str, GroupNeed]:
    """Per topic: the main judge's agreement with the human labels of rubric ``key``."""
    from evaltui.scoring.span_calibration import calibrate

    try:
        report = calibrate(store, key)
    except ScorerSetupError:  # no judge of that name, or no labels yet: every topic is unknown
        return {}
    return {t: GroupNeed(a.get("kappa"), a.get("n", 0)) for t, a in report.get("by_topic", {}).items()}


def rubric_of(store: Store, scorer: str) -> str:
    """The rubric whose labels a queue collects: a judge trained on another's labels (the
    offline judge) is reviewed under that rubric."""
    from evaltui.scoring.span_calibration import labels_key

    return labels_key(store, scorer_key(scorer))


def build_from_filter(
    store: Store, name: str, scorer: str, where: str = "", *, reviews: int = 1, limit: int | None = 120
) -> tuple[Queue, list[QueueItem]]:
    """A queue of the spans a judge of ``scorer``'s rubric graded that match ``where``."""
    from evaltui.store.filters import compile_filter
    from evaltui.store.review import create_queue, span_grades
    from evaltui.store.scoring import now

    key = rubric_of(store, scorer)
    _check(reviews, limit)
    rows = span_grades(store, key, compile_filter(where), reviews)
    if not rows:
        raise ScorerSetupError(
            f"no spans graded by {key} (or a judge of its labels) match "
            f"{where or 'the whole database'} and still need a review"
        )
    candidates = [Candidate(r["target_id"], r["group"], r["grades"]) for r in rows]
    items = order(candidates, topic_needs(store, key), limit)
    queue = Queue(name, key, "span", where or "(all spans)", reviews, now())
    create_queue(store, queue, items)
    return queue, items


def build_from_diff(
    store: Store, name: str, scorer: str, base: str, candidate: str, *, reviews: int = 1, limit: int | None = 120
) -> tuple[Queue, list[QueueItem]]:
    """A queue of both sides' results of the cases two experiments share, cases whose grade
    moved (or whose judges disagree) first."""
    from evaltui.store.experiments import require_experiment
    from evaltui.store.review import create_queue, result_grades
    from evaltui.store.scoring import now

    _check(reviews, limit)
    key = scorer_key(scorer)
    exps = [require_experiment(store, base), require_experiment(store, candidate)]
    rows = result_grades(store, key, [e["id"] for e in exps], reviews)
    if not rows:
        raise ScorerSetupError(f"no results of {base} and {candidate} graded by {key} still need a review")
    run_grade: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        own = next((g for g in r["grades"] if g["version"] == r["experiment"]), None)
        if own is not None:
            run_grade[(r["case_id"], r["experiment"])] = own
    candidates = []
    for r in rows:
        sides = [run_grade.get((r["case_id"], e["name"])) for e in exps]
        change, size = None, 0.0
        if sides[0] is not None and sides[1] is not None:
            size = abs(float(sides[1]["score"]) - float(sides[0]["score"]))
            change = (_grade(sides[0]), _grade(sides[1]))
        candidates.append(Candidate(r["target_id"], r["group"], r["grades"], change, size))
    items = order(candidates, {}, limit)
    queue = Queue(name, key, "result", f"diff {base} {candidate}", reviews, now())
    create_queue(store, queue, items)
    return queue, items


def _check(reviews: int, limit: int | None) -> None:
    if reviews < 1:
        raise ScorerSetupError(f"an item asks for at least 1 review, not {reviews}")
    if limit is not None and limit < 1:
        raise ScorerSetupError(f"a queue holds at least 1 item, not {limit}")


# -- labelling ----------------------------------------------------------------------------


def grade_scale(store: Store, queue: Queue) -> dict[str, float]:
    """The grades a reviewer chooses from (label -> score), best first: the rubric's
    choices, else the labels its judges gave."""
    from evaltui.scoring.human_labels import scale_for

    scale = scale_for(store, queue.scorer_key)
    if not scale and queue.kind == "result":
        from evaltui.store.calibration_pairs import result_scale

        scale = result_scale(store, queue.scorer_key)
    return dict(sorted(scale.items(), key=lambda kv: (-kv[1], kv[0])))


def parse_grade(value: str, scale: dict[str, float], key: str) -> tuple[str, float]:
    """(label, score) of a grade typed by a reviewer ("a" is A)."""
    folded = {k.lower(): k for k in scale}
    label = folded.get(value.strip().lower())
    if label is None:
        raise ScorerSetupError(f"{value!r} is not a grade of {key}: use {', '.join(scale) or 'a label of its judge'}")
    return label, scale[label]


def label_next(
    store: Store, name: str, reviewer: str, grade: str, note: str | None = None, target_id: str | None = None
) -> tuple[str, str]:
    """Label the reviewer's current item (or ``target_id``) with ``grade``: (target, label)."""
    from evaltui.store.review import get_queue, next_targets, record_label
    from evaltui.store.calibration_pairs import scorer_display_name

    queue = get_queue(store, name)
    target = target_id or next(iter(next_targets(store, name, reviewer)), None)
    if target is None:
        raise ScorerSetupError(f"nothing left for {reviewer} in queue {name}")
    label, score = parse_grade(grade, grade_scale(store, queue), queue.scorer_key)
    display = scorer_display_name(store, queue.scorer_key) or queue.scorer_key
    record_label(store, name, target, reviewer, scorer=display, score=score, label=label, note=note)
    return target, label


def rubric_text(key: str) -> str:
    """What a reviewer grades by: the rubric's description and its grading lines (the part
    of the prompt after the text it grades), or '' for a scorer without a rubric file."""
    from evaltui.scoring.rubric import builtin_rubrics, load_rubric

    if key not in builtin_rubrics():
        return ""
    rubric = load_rubric(key)
    lines: list[str] = []
    for line in rubric.prompt.rsplit("}}", 1)[-1].strip().splitlines():
        if line[:1].isspace() and lines:  # a choice's text that the file wraps: one line again
            lines[-1] += " " + line.strip()
        elif line.strip():
            lines.append(line.strip())
    return "\n".join(x for x in (rubric.description, *lines) if x)


# -- agreement between people ------------------------------------------------------------


def human_agreement(store: Store, key: str) -> dict[str, Any]:
    """How the reviewers of rubric ``key`` agree with each other, on the targets two or
    more of them labelled: ``{"reviewers", "items", "pairs", "percent", "kappa",
    "weighted"}``. Every pair of reviewers of a target is one pair (reviewer names in
    order); kappa is Cohen's on those pooled pairs, linearly weighted on scales of 3+."""
    from evaltui.scoring.agreement import agreement, categories_for, categorise
    from evaltui.scoring.human_labels import scale_for
    from evaltui.store.reviewers import reviewer_labels

    rows = reviewer_labels(store, key)
    by_target: dict[str, list[tuple[str, float, str | None]]] = defaultdict(list)
    for target, who, score, label in rows:
        by_target[target].append((who, score, label))
    shared = {t: v for t, v in by_target.items() if len(v) >= 2}
    categories = categories_for(scale_for(store, key), [s for _, s, _ in itertools.chain(*shared.values())])
    pairs = []
    for votes in shared.values():
        for (_, s1, l1), (_, s2, l2) in itertools.combinations(sorted(votes, key=lambda v: v[0]), 2):
            pairs.append((categorise(s1, l1, categories), categorise(s2, l2, categories)))
    result = agreement(pairs, categories) if pairs else {"n": 0, "accuracy": None, "kappa": None}
    return {
        "reviewers": sorted({who for _, who, _, _ in rows}),
        "items": len(shared),
        "pairs": len(pairs),
        "percent": result["accuracy"],
        "kappa": result["kappa"],
        "weighted": len(categories) > 2,
    }


# -- a reviewer's session -------------------------------------------------------------------


@dataclass
class Session:
    """What a reviewer sees now: the queue, progress, the current item (None when nothing
    is left for them), why it is there, the grades to choose from and the rubric."""

    queue: Queue | None
    reviewer: str
    progress: Any = None  # evaltui.store.review.Progress
    item: dict[str, Any] | None = None
    reason: str = ""
    scale: dict[str, float] = field(default_factory=dict)
    rubric: str = ""
    queues: list[str] = field(default_factory=list)


def session(store: Store, name: str | None, reviewer: str) -> Session:
    """The reviewer's current item of queue ``name``; without a name, the newest queue
    with items left for them (else the newest queue)."""
    from evaltui.store.review import get_queue, item_reason, item_view, list_queues, next_targets, progress

    names = [q.name for q in list_queues(store)]
    if name is None:
        name = next((n for n in names if next_targets(store, n, reviewer)), names[0] if names else None)
    if name is None:
        return Session(None, reviewer)
    queue = get_queue(store, name)
    out = Session(
        queue,
        reviewer,
        progress(store, name, reviewer),
        scale=grade_scale(store, queue),
        rubric=rubric_text(queue.scorer_key),
        queues=names,
    )
    targets = next_targets(store, name, reviewer)
    if targets:
        out.item = item_view(store, queue, targets[0])
        out.reason = item_reason(store, name, targets[0])[1]
    return out


def agreement_line(humans: dict[str, Any], ground_truth: str | None = None, *, short: bool = False) -> str:
    """Ground truth and human-vs-human agreement in one line (the CLI; ``short``: the pane)."""
    truth = ground_truth or "majority of reviewers"
    kappa = "undefined" if humans.get("kappa") is None else f"{humans['kappa']:.2f}"
    if short:
        truth = truth.replace(" of reviewers", "").replace("reviewer ", "")
        if not humans.get("pairs"):
            return f"truth: {truth} · no double reviews"
        return f"truth: {truth} · humans agree {humans['percent']:.0%}, kappa {kappa} on {humans['items']}"
    if not humans.get("pairs"):
        return f"ground truth: {truth}; humans vs humans: no item has labels from 2+ reviewers yet"
    return (
        f"ground truth: {truth}; humans vs humans: {humans['percent']:.0%} agree, kappa {kappa} "
        f"on {humans['items']} items labelled by 2+ of {len(humans['reviewers'])} reviewers"
    )


def humans_by_scorer(store: Store, rows: Sequence[dict[str, Any]]) -> dict[str, str]:
    """For the calibration pane's rows (kind, scorer): each scorer's ``agreement_line``,
    its reviewers being those of the rubric it is compared with."""
    from evaltui.scoring.span_calibration import labels_key

    out: dict[str, str] = {}
    for row in rows:
        if row["scorer"] not in out:
            key = labels_key(store, row["scorer"]) if row["kind"] == "logs" else row["scorer"]
            out[row["scorer"]] = agreement_line(human_agreement(store, key), short=True)
    return out
