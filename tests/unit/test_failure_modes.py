"""Failure modes: the pure clustering and naming of failing rationales, the store query that
feeds them, and `evaltui topics show` on a small real database (real MiniLM, real CLI)."""

from __future__ import annotations

import subprocess

import numpy as np
import orjson
import pytest

from evaltui.topics import failure_modes as fm
from tests.helpers import EVALTUI
from tests.helpers import span, write_jsonl


def _unit(*v: float) -> np.ndarray:
    a = np.array(v, dtype=np.float64)
    return a / np.linalg.norm(a)


# Three well separated reasons, two phrasings each (plus one near-duplicate).
VECTORS = {
    "Blames the customer.": _unit(1, 0.05, 0, 0),
    "Accusatory: says it is the customer's fault.": _unit(1, 0.1, 0.05, 0),
    "Wrong return policy.": _unit(0, 1, 0.05, 0),
    "States a policy that contradicts ours.": _unit(0.05, 1, 0, 0.05),
    "A wall of procedural steps with no warmth.": _unit(0, 0, 1, 0.1),
    "Impersonal step list.": _unit(0.05, 0, 1, 0),
    "Impersonal step list, robotic.": _unit(0, 0.05, 1, 0.05),
}


def _vectors_of(texts):
    return np.stack([VECTORS[t] for t in texts])


def _row(span_id, text, source="judge", key="brand_alignment", human=None, version="judge-v1"):
    return {
        "span_id": span_id,
        "scorer_key": key,
        "scorer": "Brand Alignment",
        "version": version,
        "source": source,
        "score": 0.0,
        "rationale": text,
        "human_score": human,
    }


def test_trim_keeps_the_first_sentence_and_cuts_at_a_word():
    assert (
        fm.trim("A wall of procedural steps with no warmth; this reads as robotic.")
        == "A wall of procedural steps with no warmth"
    )
    assert fm.trim("Bad: misleading / dismissive.") == "Bad: misleading / dismissive"
    long = "word " * 40
    out = fm.trim(long, limit=30)
    assert out.endswith("…") and len(out) <= 30 and "wor…" not in out


def test_clustering_separates_reasons_and_depends_only_on_the_input():
    texts = list(VECTORS)
    labels = fm.cluster_rationales(_vectors_of(texts))
    groups = {}
    for t, lab in zip(texts, labels):
        groups.setdefault(int(lab), set()).add(t)
    assert sorted(map(len, groups.values())) == [2, 2, 3]
    assert {"Impersonal step list.", "A wall of procedural steps with no warmth."} <= groups[int(labels[4])]
    assert labels[0] == 0  # numbered by first appearance
    assert (fm.cluster_rationales(_vectors_of(texts)) == labels).all()
    assert fm.cluster_rationales(_vectors_of(texts[:1])).tolist() == [0]
    # two different reasons are two modes, not one
    assert fm.cluster_rationales(_vectors_of([texts[0], texts[2]])).tolist() == [0, 1]


def test_modes_count_share_sources_example_and_what_people_said():
    rows = (
        [_row(f"s{i}", "A wall of procedural steps with no warmth.", human=1.0 if i < 3 else None) for i in range(5)]
        + [_row(f"t{i}", "Impersonal step list.", human=0.0 if i == 0 else None) for i in range(2)]
        + [_row(f"u{i}", "Blames the customer.") for i in range(3)]
        + [_row("h1", "Accusatory: says it is the customer's fault.", source="human", version="human")]
        + [_row("c1", "Wrong return policy.", key="conversation_quality", version="judge-v2")]
    )
    modes = fm.build_modes(rows, _vectors_of, threshold=lambda key: 0.5)
    assert [m.count for m in modes] == [7, 4, 1]
    steps, blame, policy = modes
    assert steps.name == "A wall of procedural steps with no warmth" and steps.scorer == "brand_alignment"
    assert steps.share == pytest.approx(7 / 12)
    assert steps.example_span_id == "s0" and steps.example_rationale == "A wall of procedural steps with no warmth."
    assert steps.sources == {"judge-v1": 7}
    assert (steps.labelled, steps.people_passed) == (4, 3)  # the judge's blind spot, in numbers
    assert blame.sources == {"judge-v1": 3, "human": 1} and blame.labelled == 0
    assert policy.scorer == "conversation_quality" and "policy" in " ".join(policy.keywords)
    assert steps.rationales[0] == "A wall of procedural steps with no warmth."


def test_rationales_beyond_the_clustered_ones_join_their_nearest_mode(monkeypatch):
    monkeypatch.setattr(fm, "MAX_CLUSTERED", 4)
    rows = [_row(f"a{i}", t) for i, t in enumerate(VECTORS) for _ in range(1 if "robotic" in t else 2)]
    modes = fm.build_modes(rows, _vectors_of)
    steps = next(m for m in modes if "step" in m.name.lower() or "Impersonal" in m.name)
    assert "Impersonal step list, robotic." in steps.rationales
    assert sum(m.count for m in modes) == len(rows)


def test_people_overruling_one_rationale_and_upholding_another_keeps_them_apart():
    close = np.stack([_unit(1, 0, 0), _unit(1, 0.05, 0), _unit(0, 1, 0), _unit(0, 0, 1)])
    assert fm.cluster_rationales(close).tolist()[:2] == [0, 0]  # alike words: one mode
    assert fm.cluster_rationales(close, np.array([1, -1, 0, 0])).tolist()[:2] == [0, 1]
    # no verdict, or the same one, leaves the words to decide
    assert fm.cluster_rationales(close, np.array([1, 0, -1, 0])).tolist()[:2] == [0, 0]
    assert fm.cluster_rationales(close, np.array([-1, -1, 1, 0])).tolist()[:2] == [0, 0]
    assert [fm.verdict(3, 2), fm.verdict(3, 1), fm.verdict(2, 1), fm.verdict(0, 0)] == [1, -1, 0, 0]


def test_modes_follow_what_people_said_of_each_rationale_anywhere():
    rows = [_row(f"b{i}", "Blames the customer.") for i in range(3)] + [
        _row(f"a{i}", "Accusatory: says it is the customer's fault.") for i in range(2)
    ]
    rows += [_row("w0", "Wrong return policy.")]
    assert [m.count for m in fm.build_modes(rows, _vectors_of)] == [5, 1]
    # people pass the "accusatory" grades elsewhere in the store and fail the "blames" ones
    evidence = {
        ("brand_alignment", "Accusatory: says it is the customer's fault."): (3, 3),
        ("brand_alignment", "Blames the customer."): (2, 0),
    }
    modes = fm.build_modes(rows, _vectors_of, lambda key: 0.5, evidence)
    assert sorted((m.count, m.rationales[0]) for m in modes) == [
        (1, "Wrong return policy."),
        (2, "Accusatory: says it is the customer's fault."),
        (3, "Blames the customer."),
    ]
    assert all(m.labelled == 0 for m in modes)  # the mode's own counts stay the topic's


REPLIES = {  # what each span's graded reply says: a checklist, or an accusation
    **{f"s{i}": "1. Open the sign-in page. 2. Tap Forgot password. 3. Use the link." for i in range(4)},
    **{f"b{i}": "That is your fault, you typed it wrong." for i in range(4)},
}
REPLY_VECTORS = {
    REPLIES["s0"]: _unit(0, 0, 0, 1),
    REPLIES["b0"]: _unit(1, 0, 0, 0),
    "Pushes the work back onto the customer with a checklist.": _unit(0.9, 0, 0.45, 0),
}


def _with_replies(texts):
    return np.stack([REPLY_VECTORS.get(t, VECTORS.get(t)) for t in texts])


def test_a_rationale_is_read_beside_the_replies_it_was_given_to():
    checklist = "Pushes the work back onto the customer with a checklist."
    rows = (
        [_row("b0", "Blames the customer."), _row("b1", "Accusatory: says it is the customer's fault.")]
        + [_row("s0", "A wall of procedural steps with no warmth."), _row("s1", "Impersonal step list.")]
        + [_row("s2", checklist), _row("w0", "Wrong return policy.")]
    )

    def mode_of(modes, text):
        return next(m for m in modes if text in m.rationales)

    words = fm.build_modes(rows, _with_replies)
    assert checklist in mode_of(words, "Blames the customer.").rationales  # its words are about the customer
    seen = fm.build_modes(rows, _with_replies, replies_of=lambda ids: {i: REPLIES[i] for i in ids if i in REPLIES})
    assert checklist in mode_of(seen, "Impersonal step list.").rationales  # it judged a checklist
    assert checklist not in mode_of(seen, "Blames the customer.").rationales
    assert sum(m.count for m in seen) == len(rows)


def test_replies_read_are_bounded_and_the_rest_join_by_words(monkeypatch):
    monkeypatch.setattr(fm, "REPLIES_READ", 2)
    asked = []

    def replies_of(ids):
        asked.append(list(ids))
        return {i: REPLIES[i] for i in ids if i in REPLIES}

    rows = [_row(f"s{i}", "A wall of procedural steps with no warmth.") for i in range(3)]
    rows += [_row("b0", "Blames the customer."), _row("b1", "Accusatory: says it is the customer's fault.")]
    modes = fm.build_modes(rows, _with_replies, replies_of=replies_of)
    assert asked == [["s0", "b1"]]  # one each for the two most frequent (ties by text), then the budget is spent
    assert sum(m.count for m in modes) == len(rows)
    blame = next(m for m in modes if "Blames the customer." in m.rationales)
    assert "Accusatory: says it is the customer's fault." in blame.rationales  # joined by its words


def test_no_rationales_no_modes():
    assert fm.build_modes([], _vectors_of) == []


# -- a real database ----------------------------------------------------------------------

STEPS = [
    "A wall of procedural steps with no warmth; this reads as robotic.",
    "Impersonal step list that ignores how the customer feels.",
]
BLAME = [
    "The reply blames the customer for the problem.",
    "Accusatory tone: it says the issue is the customer's fault.",
]
POLICY = [
    "States a refund policy that contradicts the published one.",
    "Incorrect return policy given to the customer.",
]


def _logs(tmp_path):
    rows = []
    reasons = [STEPS[0]] * 6 + [STEPS[1]] * 5 + [BLAME[0]] * 3 + [BLAME[1]] * 2 + [POLICY[0]] * 2 + [POLICY[1]]
    for i, why in enumerate(reasons):
        cid = f"a{i:02d}"
        ts = f"2026-11-01T10:{i:02d}:00Z"
        scores = [
            {"name": "Brand Alignment", "score": 0.0, "label": "C", "rationale": why, "scorer_version": "judge-v1"}
        ]
        if why == STEPS[0] and i < 4:  # people pass the step lists the judge fails
            scores.append(
                {
                    "name": "Brand Alignment",
                    "score": 1.0,
                    "label": "A",
                    "source": "human",
                    "rationale": "Clear numbered steps, this is what we want.",
                }
            )
        rows += [
            span(
                cid,
                name="conversation",
                ts=ts,
                metadata={"topic": "account"},
                input=[{"role": "user", "content": "I cannot log in"}],
                output="...",
            ),
            span(
                f"{cid}-t1",
                cid,
                cid,
                name="turn",
                ts=ts,
                input="I cannot log in",
                output="1. ... 2. ...",
                scores=scores,
            ),
        ]
    # a passing grade and a failing grade elsewhere: neither is an account failure mode
    rows += [
        span(
            "b1",
            name="conversation",
            ts="2026-11-01T11:00:00Z",
            metadata={"topic": "shipping"},
            scores=[{"name": "Brand Alignment", "score": 0.0, "rationale": "Late parcel, no apology."}],
        ),
        span(
            "a99",
            name="conversation",
            ts="2026-11-01T11:00:00Z",
            metadata={"topic": "account"},
            scores=[{"name": "Brand Alignment", "score": 1.0, "rationale": "Warm and correct."}],
        ),
    ]
    # a scorer whose rationale is a fixed description, on passing and failing grades alike: no reason
    for i, score in enumerate((0.0, 0.0, 1.0)):
        rows.append(
            span(
                f"d{i}",
                name="conversation",
                ts="2026-11-01T12:00:00Z",
                metadata={"topic": "account"},
                scores=[{"name": "Offline Judge", "score": score, "rationale": "logistic regression"}],
            )
        )
    return write_jsonl(tmp_path / "rationales.jsonl", rows)


def _cli(*args):
    out = subprocess.run([*EVALTUI, *args], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_topics_show_lists_the_failure_modes_with_counts_and_an_example(tmp_path):
    db = str(tmp_path / "modes.duckdb")
    _cli("--db", db, "ingest", str(_logs(tmp_path)))
    detail = orjson.loads(_cli("--db", db, "topics", "show", "account", "--json"))
    modes = detail["failure_modes"]
    assert [m["count"] for m in modes] == [11, 5, 3]
    steps = modes[0]
    assert steps["rationales"] == STEPS and steps["share"] == pytest.approx(11 / 19)
    assert (steps["labelled"], steps["people_passed"]) == (4, 4)
    assert steps["example_rationale"] in STEPS and steps["example_span_id"].startswith("a")
    assert set(modes[1]["rationales"]) == set(BLAME) and set(modes[2]["rationales"]) == set(POLICY)

    text = _cli("--db", db, "topics", "show", "account")
    assert "failure modes" in text and "11 failing" in text and "people passed 4 of the 4" in text
    assert "e.g. a" in text
    # the shipping topic's own failure, and nothing from account
    shipping = orjson.loads(_cli("--db", db, "topics", "show", "shipping", "--json"))["failure_modes"]
    assert [(m["count"], m["example_span_id"]) for m in shipping] == [(1, "b1")]


def test_what_people_said_and_what_was_graded_are_read_from_the_store(tmp_path):
    from evaltui.store import Store
    from evaltui.store.failures import graded_texts, rationale_verdicts

    db = tmp_path / "verdicts.duckdb"
    _cli("--db", str(db), "ingest", str(_logs(tmp_path)))
    with Store(db, read_only=True) as store:
        said = rationale_verdicts(
            store, lambda key: 0.5, [("brand_alignment", STEPS[0]), ("brand_alignment", BLAME[0])]
        )
        graded = graded_texts(store, ["a00-t1", "a00", "nope"])
    assert said == {("brand_alignment", STEPS[0]): (4, 4)}  # four of its six grades labelled, all passed
    assert graded == {"a00-t1": "1. ... 2. ...", "a00": "..."}
