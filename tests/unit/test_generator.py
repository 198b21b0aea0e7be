"""The seeded sample-log generator and the committed sample_logs/support_bot.jsonl."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from evaltui.demo.generate import (
    BASELINE_SYSTEM_PROMPT,
    TONES,
    TOPICS,
    generate,
    iter_spans,
    write_jsonl,
)
from tests.helpers import ROOT

SAMPLE = ROOT / "sample_logs" / "support_bot.jsonl"
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
BA = "Brand Alignment"
CQ = "Conversation Quality"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def spans() -> list[dict]:
    assert SAMPLE.exists(), "sample_logs/support_bot.jsonl is missing: run python -m evaltui.demo.generate"
    with SAMPLE.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="module")
def conversations(spans) -> list[tuple[dict, list[dict]]]:
    convs: list[tuple[dict, list[dict]]] = []
    for span in spans:
        if span["parent_id"] is None:
            convs.append((span, []))
        else:
            assert convs and span["root_id"] == convs[-1][0]["id"], "a turn must follow its root"
            convs[-1][1].append(span)
    return convs


# --------------------------------------------------------------------------- reproducibility


def test_regenerating_reproduces_committed_file_byte_for_byte(tmp_path):
    summary = generate(tmp_path)
    out = tmp_path / "support_bot.jsonl"
    assert summary["lines"] == summary["spans"] == sum(1 for _ in out.open(encoding="utf-8"))
    assert _sha(out) == _sha(SAMPLE), (
        "sample_logs/support_bot.jsonl is not the generator's output; regenerate it with "
        "`python -m evaltui.demo.generate`"
    )


def test_same_seed_same_bytes_different_seed_different_bytes(tmp_path):
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    n_a = write_jsonl(a, iter_spans(seed=11, n_conversations=300))
    n_b = write_jsonl(b, iter_spans(seed=11, n_conversations=300))
    write_jsonl(c, iter_spans(seed=12, n_conversations=300))
    assert n_a == n_b > 300
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    # the first conversations differ in content, not just somewhere deep in the file
    first_a = json.loads(a.read_text(encoding="utf-8").splitlines()[0])
    first_c = json.loads(c.read_text(encoding="utf-8").splitlines()[0])
    assert (first_a["ts"], first_a["input"]) != (first_c["ts"], first_c["input"])


def test_cli_is_independent_of_hash_seed(tmp_path):
    """The CLI in a fresh process with another PYTHONHASHSEED writes the same bytes."""
    expected = tmp_path / "expected.jsonl"
    write_jsonl(expected, iter_spans(seed=3, n_conversations=150))
    out_dir = tmp_path / "cli"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    proc = subprocess.run(
        [sys.executable, "-m", "evaltui.demo.generate", str(out_dir), "--seed", "3", "--conversations", "150"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["conversations"] == 150
    assert (out_dir / "support_bot.jsonl").read_bytes() == expected.read_bytes()


def test_file_format_is_compact_utf8_with_newlines():
    raw = SAMPLE.read_bytes()
    assert b"\r\n" not in raw and raw.endswith(b"\n")
    assert SAMPLE.stat().st_size < 12 * 1024 * 1024
    first = raw.split(b"\n", 1)[0].decode("utf-8")
    assert first == json.dumps(json.loads(first), ensure_ascii=False, separators=(",", ":"))
    assert "🙏".encode() in raw or "😊".encode() in raw  # ensure_ascii=False: real UTF-8


# --------------------------------------------------------------------------- structure


def test_span_conventions(conversations):
    prev_root_ts = None
    for root, turns in conversations:
        md = root["metadata"]
        assert root["span_type"] == root["name"] == "conversation"
        assert root["root_id"] == root["id"] and root["parent_id"] is None
        assert TS_RE.match(root["ts"])
        root_ts = _ts(root["ts"])
        if prev_root_ts is not None:
            assert root_ts >= prev_root_ts, "conversations must be in time order"
        prev_root_ts = root_ts

        assert md["total_turns"] == len(turns) >= 1
        msgs = root["input"]
        assert msgs[0] == {"role": "system", "content": BASELINE_SYSTEM_PROMPT}
        assert [m["role"] for m in msgs[1:]] == ["user", "assistant"] * (len(turns) - 1) + ["user"]
        assert root["output"] == turns[-1]["output"]
        assert isinstance(root["output"], str) and root["output"]
        assert "production" in root["tags"] and md["channel"] in root["tags"]
        for key in ("topic", "tone", "model", "user_id", "channel", "prompt_version"):
            assert md[key]

        last = root_ts
        for k, turn in enumerate(turns, start=1):
            assert turn["id"] == f"{root['id']}-t{k}"
            assert turn["span_type"] == turn["name"] == "turn"
            assert turn["parent_id"] == turn["root_id"] == root["id"]
            assert turn["metadata"]["turn_index"] == k
            assert turn["metadata"]["reply_quality"] in ("good", "mediocre", "bad")
            assert turn["input"] == msgs[2 * k - 1]["content"]
            if k < len(turns):
                assert turn["output"] == msgs[2 * k]["content"]
            assert TS_RE.match(turn["ts"])
            t = _ts(turn["ts"])
            assert t > last, "turn timestamps must be after the root and increasing"
            last = t

        m = root["metrics"]
        assert m["prompt_tokens"] == sum(t["metrics"]["prompt_tokens"] for t in turns)
        assert m["completion_tokens"] == sum(t["metrics"]["completion_tokens"] for t in turns)
        assert m["latency_s"] == pytest.approx(sum(t["metrics"]["latency_s"] for t in turns), abs=1e-6)
        assert m["cost_usd"] == pytest.approx(sum(t["metrics"]["cost_usd"] for t in turns), abs=1e-6)


def test_volume_spread_topics_tones_turns(conversations):
    roots = [r for r, _ in conversations]
    assert len(roots) >= 2000
    days = {r["ts"][:10] for r in roots}
    assert len(days) == 30 and min(days) == "2026-10-27" and max(days) == "2026-11-25"
    assert set(Counter(r["metadata"]["topic"] for r in roots)) == set(TOPICS)
    assert set(Counter(r["metadata"]["tone"] for r in roots)) == set(TONES)
    for topic, n in Counter(r["metadata"]["topic"] for r in roots).items():
        assert n >= 150, topic
    turns = Counter(r["metadata"]["total_turns"] for r in roots)
    assert set(turns) == {1, 2, 3, 4, 5}
    assert 0.42 <= turns[1] / len(roots) <= 0.58
    assert len({r["metadata"]["model"] for r in roots}) == 2
    assert len({r["metadata"]["channel"] for r in roots}) == 3
    # customer messages are varied, not copies of a few templates
    firsts = [r["input"][1]["content"] for r in roots]
    assert len(set(firsts)) > 0.95 * len(firsts)


def test_every_span_is_scored_and_human_labels(conversations):
    humans = 0
    human_account = 0
    for root, turns in conversations:
        cq = [s for s in root["scores"] if s["name"] == CQ]
        assert len(cq) == 1 and cq[0]["source"] == "online" and cq[0]["scorer_version"] == "judge-v1"
        assert (cq[0]["label"], cq[0]["score"]) in (("Y", 1.0), ("N", 0.0)) and cq[0]["rationale"]
        assert _ts(cq[0]["created"]) > _ts(turns[-1]["ts"])
        for turn in turns:
            judge = [s for s in turn["scores"] if s["name"] == BA and s["source"] == "online"]
            assert len(judge) == 1 and judge[0]["scorer_version"] == "judge-v1"
            assert (judge[0]["label"], judge[0]["score"]) in (("A", 1.0), ("B", 0.5), ("C", 0.0))
            assert judge[0]["rationale"] and _ts(judge[0]["created"]) > _ts(turn["ts"])
            human = [s for s in turn["scores"] if s["source"] == "human"]
            if human:
                (h,) = human
                assert h["name"] == BA and h["scorer_version"] == "human" and h["rationale"]
                assert (h["label"], h["score"]) in (("A", 1.0), ("B", 0.5), ("C", 0.0))
                humans += 1
                human_account += root["metadata"]["topic"] == "account_and_login"
    assert 250 <= humans <= 350
    assert 0.30 <= human_account / humans <= 0.50  # account_and_login is oversampled


# --------------------------------------------------------------------------- the story


def _judge_ba_by_topic(conversations) -> dict[str, float]:
    scores = defaultdict(list)
    for root, turns in conversations:
        for turn in turns:
            for s in turn["scores"]:
                if s["name"] == BA and s["source"] == "online":
                    scores[root["metadata"]["topic"]].append(s["score"])
    return {t: sum(v) / len(v) for t, v in scores.items()}


def test_account_and_login_has_lowest_brand_alignment(conversations):
    means = _judge_ba_by_topic(conversations)
    account = means.pop("account_and_login")
    assert account < 0.55
    for topic, mean in means.items():
        assert account < mean - 0.15, (topic, mean, account)


def test_angry_and_panicked_score_somewhat_lower(conversations):
    by_tone = defaultdict(list)
    for root, turns in conversations:
        for turn in turns:
            by_tone[root["metadata"]["tone"]].append(turn["scores"][0]["score"])
    mean = {t: sum(v) / len(v) for t, v in by_tone.items()}
    assert mean["angry"] < mean["neutral"] and mean["panicked"] < mean["neutral"]


def test_recovery_step_replies_are_step_lists_and_judge_disagrees_with_humans(conversations):
    recovery = agree_rec = 0
    other = agree_other = 0
    for root, turns in conversations:
        topic = root["metadata"]["topic"]
        for turn in turns:
            if turn["metadata"].get("recovery_steps"):
                assert topic == "account_and_login"
                assert turn["metadata"]["reply_quality"] == "good"
                assert re.search(r"^1\. .+\n2\. .+\n3\. ", turn["output"], re.M), turn["output"]
            labels = {s["source"]: s["label"] for s in turn["scores"] if s["name"] == BA}
            if "human" not in labels:
                continue
            if turn["metadata"].get("recovery_steps"):
                recovery += 1
                agree_rec += labels["human"] == labels["online"]
                assert labels["human"] in ("A", "B")
            elif topic != "account_and_login":
                other += 1
                agree_other += labels["human"] == labels["online"]
    assert recovery >= 30 and other >= 120
    rate_rec, rate_other = agree_rec / recovery, agree_other / other
    assert rate_other >= 0.75
    assert rate_rec <= 0.45
    assert rate_other - rate_rec >= 0.35


def test_iter_spans_is_lazy_and_scales():
    """A big request starts yielding at once (the benchmark asks for a million spans)."""
    gen = iter_spans(seed=1, n_conversations=400_000)
    head = list(itertools.islice(gen, 2000))
    assert len(head) == 2000
    assert head[0]["id"] == "conv-000001" and head[0]["parent_id"] is None


AFTER_FIX = ROOT / "sample_logs" / "after_fix" / "support_bot_after_fix.jsonl"


def test_after_fix_batch_is_reproducible_and_separate(tmp_path):
    """The second batch regenerates byte for byte, lives where the first ingest does not
    look, and has better account replies under the fixed prompt."""
    from evaltui.demo.generate import FIX_SYSTEM_PROMPT

    summary = generate(tmp_path, seed=8, n_conversations=480, after_fix=True)
    assert _sha(Path(summary["path"])) == _sha(AFTER_FIX)
    assert not list((ROOT / "sample_logs").glob("after_fix*.jsonl"))
    first = json.loads(AFTER_FIX.read_text().splitlines()[0])
    assert first["id"].startswith("conv-b2-") and first["input"][0]["content"] == FIX_SYSTEM_PROMPT
    assert first["ts"] >= "2026-11-26"
    assert summary["mean_brand_alignment"]["account_and_login"] > 0.5
