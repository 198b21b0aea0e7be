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
