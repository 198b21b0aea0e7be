"""The demo's review session: a queue of the worst topic's turns nobody has labelled yet,
in the order that teaches the most, and a reviewer who labels the first of them. The
reviewer is played by the generator's ground truth (each turn's ``reply_quality``:
good, mediocre, bad = A, B, C), so the session shows what a queue finds per label: how
often the production judge was wrong on the items it put first, against how often it is
wrong on the topic's turns taken at random."""

from __future__ import annotations

from typing import Any

from evaltui.store import Store

REVIEWER = "demo-reviewer"
QUEUE = "account-review"
LABELS = 20  # a short session
TRUTH = {"good": "A", "mediocre": "B", "bad": "C"}


def _truth(store: Store, target: str) -> str | None:
    from evaltui.store.spans import span_metadata_value

    found = span_metadata_value(store, target, "$.reply_quality")
    return TRUTH.get(found[0] or "") if found else None


def _judge_v1(store: Store, target: str) -> str | None:
    from evaltui.store.scores import latest_machine_label

    return latest_machine_label(store, target, "brand_alignment", "judge-v1")


def review_session(store: Store, topic: str, steps: Any) -> dict[str, Any]:
    """Build the queue, label ``LABELS`` items as ``REVIEWER`` and say what it found."""
    from evaltui.scoring.review import build_from_filter, label_next
    from evaltui.store.review import next_targets, progress

    where = f'topic = "{topic}"'
    steps.doing(
        f"a review session: queue {QUEUE} of the unlabelled turns in {topic}, judges that disagree first; "
        f"{REVIEWER} labels {LABELS} of them (the generator's ground truth plays the reviewer)"
    )
    _, items = build_from_filter(store, QUEUE, "brand_alignment", where, limit=None)
    disagree = sum(i.reason.startswith("judges disagree") for i in items[:LABELS])
    labelled = judge_wrong = 0
    while labelled < LABELS:
        targets = next_targets(store, QUEUE, REVIEWER)
        if not targets:
            break
        grade = _truth(store, targets[0])
        if grade is None:  # no ground truth (not a generated turn): a reviewer would skip it
            from evaltui.store.review import record_skip

            record_skip(store, QUEUE, targets[0], REVIEWER)
            continue
        label_next(store, QUEUE, REVIEWER, grade, target_id=targets[0])
        judge_wrong += _judge_v1(store, targets[0]) not in (None, grade)
        labelled += 1
    # The same judge on every turn of the queue, as a random session would meet them.
    pool = [(_judge_v1(store, i.target_id), _truth(store, i.target_id)) for i in items]
    graded = [(j, t) for j, t in pool if j is not None and t is not None]
    random_rate = sum(j != t for j, t in graded) / len(graded) if graded else 0.0
    prog = progress(store, QUEUE, REVIEWER)
    out = {
        "queue": QUEUE,
        "items": len(items),
        "labelled": labelled,
        "judges_disagree": disagree,
        "judge_wrong": judge_wrong,
        "judge_wrong_at_random": round(random_rate * labelled, 1),
        "progress": prog.text(),
        "reviewer": REVIEWER,
    }
    steps.done(
        f"{QUEUE}: {len(items)} turns; {REVIEWER} labelled {labelled} ({prog.text()}): judge-v1 was wrong on "
        f"{judge_wrong} of them (on {random_rate * labelled:.1f} expected from {labelled} turns at random); "
        f"the judges disagreed on {disagree} of the first {LABELS}"
    )
    return out
