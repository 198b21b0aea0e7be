"""Seeded, deterministic generator of production-like support-bot logs.

The logs are evaltui's own span JSONL: one conversation root span followed by one span
per user/assistant turn, scored by a production judge ("Brand Alignment" on turns,
"Conversation Quality" on roots) plus a few hundred human "Brand Alignment" labels.

The shop is Juniper Lane, an online home-and-kitchen store; its assistant is "Juno".
The story the demo tells: ``account_and_login`` has clearly the lowest Brand Alignment.
Part of that is real (curt, wrong or off-brand replies), part is the judge: it grades
the step-by-step recovery replies (which are actually good, and which humans grade A)
as B or C for being "procedural". Ground truth is kept in metadata (``reply_quality``,
``recovery_steps``, ``failure_mode``, ``intent``, ``resolved``) for later demo code.

Determinism: only ``random.Random(seed)`` is used (no global random, no clock, no
``hash()`` of strings), dicts are built in a fixed key order and serialised compactly,
so the same arguments always give the same bytes.

    python -m evaltui.demo.generate [OUT_DIR] [--seed N] [--conversations N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
from bisect import bisect
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, UTC
from itertools import accumulate
from typing import Any

__all__ = [
    "ACCOUNT_POLICIES",
    "AFTER_FIX_START",
    "BASELINE_SYSTEM_PROMPT",
    "FIX_SYSTEM_PROMPT",
    "BRAND",
    "DEFAULT_START",
    "TOPICS",
    "TONES",
    "iter_spans",
    "write_jsonl",
    "summarize",
    "generate",
    "main",
]

BRAND = "Juniper Lane"
BOT_NAME = "Juno"
DEFAULT_START = datetime(2026, 10, 27, tzinfo=UTC)
OUTPUT_FILE = "support_bot.jsonl"

BASELINE_SYSTEM_PROMPT = (
    "You are Juno, the customer support assistant for Juniper Lane, an online shop for "
    "home, kitchen and garden goods. Voice: warm, calm, plain-spoken and genuinely helpful; "
    "never curt, never sarcastic, never blame the customer. Always acknowledge how the "
    "customer feels, answer the actual question, and end with one concrete next step.\n"
    "Policies: standard shipping is free over $50 and takes 3-5 business days; express "
    "(1-2 business days) costs $12.95. Returns are accepted within 30 days with a free "
    "prepaid label; refunds go back to the original payment method 5-7 business days "
    "after the return is scanned at our warehouse. Orders can be changed or cancelled "
    "until they are packed (usually within 2 hours). Furniture and cookware carry a "
    "2-year warranty. Password reset links expire after 30 minutes. Never promise "
    "credits, refunds, delivery dates or exceptions you cannot see in the tools; if "
    "something needs a human, say so and open a ticket."
)

# The fix the demo tests: the baseline prompt plus account and login policies, written as
# the steps the assistant should walk a customer through.
ACCOUNT_POLICIES = (
    "Account and login policies:\n"
    "- Password reset: request a reset link at junipelane.com/reset with the email on your account; "
    "the email comes from accounts@junipelane.com within 10 minutes, so check spam/junk and Promotions "
    "too; open the newest link within 30 minutes and choose a new password\n"
    "- Locked account: wait 15 minutes after the last sign-in attempt (each new attempt restarts the "
    "lock); then use 'Forgot password' to get a reset link; set a new password and sign in\n"
    "- Two-factor code not arriving: wait 60 seconds, then tap 'Resend code' once; tap 'Try another "
    "way' to get the code by email and check spam/junk; enter the 6-digit code within 10 minutes; "
    "update a new phone number under Account > Security\n"
    "- Changing the login email: go to Account > Profile and click 'Change email'; confirm with your "
    "current password; open the confirmation link sent to the new address within 30 minutes (your "
    "order history stays)\n"
    "- Closing an account: open Account > Privacy and choose 'Delete account'; confirm from the email "
    "we send; your personal data is deleted within 30 days and marketing emails stop right away\n"
    "- Sign-in fallback: if you still can't get in, reply with your order number and the last 4 "
    "digits of your card so we can verify your identity and send a one-time sign-in link\n"
    "When a customer has an account or login problem, answer with these numbered steps, ending "
    "with the sign-in fallback."
)
FIX_SYSTEM_PROMPT = BASELINE_SYSTEM_PROMPT + "\n" + ACCOUNT_POLICIES

TOPICS = (
    "shipping_and_delivery",
    "refunds_and_returns",
    "product_questions",
    "account_and_login",
    "billing_and_payments",
    "order_changes",
)
TONES = ("neutral", "angry", "panicked", "confused", "sarcastic", "grateful")

JUDGE_VERSION = "judge-v1"
BA = "Brand Alignment"
CQ = "Conversation Quality"
LABEL_SCORE = {"A": 1.0, "B": 0.5, "C": 0.0}

# --------------------------------------------------------------------------- weights

_TOPIC_WEIGHTS = (0.22, 0.19, 0.16, 0.15, 0.13, 0.15)
# Days 9-11 (0-based): a carrier backlog, shipping questions spike.
_INCIDENT_DAYS = (9, 10, 11)
_INCIDENT_TOPIC_WEIGHTS = (0.40, 0.15, 0.12, 0.12, 0.10, 0.11)
_TONE_WEIGHTS = (0.34, 0.16, 0.10, 0.14, 0.10, 0.16)
_CHANNELS = ("chat", "email", "app")
_CHANNEL_WEIGHTS = (0.58, 0.17, 0.25)
_HOUR_WEIGHTS = (
    1,
    0.6,
    0.4,
    0.3,
    0.3,
    0.5,
    1.2,
    2.4,
    3.6,
    4.4,
    4.8,
    4.9,
    5.0,
    5.0,
    4.8,
    4.6,
    4.6,
    4.9,
    5.4,
    6.0,
    6.2,
    5.4,
    3.6,
    2.0,
)
# (good, mediocre, bad) per topic, before the tone shift.
_QUALITY_MIX = {
    "shipping_and_delivery": (0.66, 0.22, 0.12),
    "refunds_and_returns": (0.68, 0.21, 0.11),
    "product_questions": (0.76, 0.18, 0.06),
    "account_and_login": (0.60, 0.17, 0.23),
    "billing_and_payments": (0.70, 0.20, 0.10),
    "order_changes": (0.72, 0.19, 0.09),
}
_TONE_QUALITY_SHIFT = {"angry": 0.09, "panicked": 0.07, "sarcastic": 0.03}
# Share of good account_and_login replies that are numbered recovery steps.
_RECOVERY_SHARE = 0.8

# "After the fix" (the second batch of logs): the prompt with account policies is live
# from 2026-11-26; account replies are mostly good, and most good ones are recovery steps.
AFTER_FIX_START = datetime(2026, 11, 26, tzinfo=UTC)
AFTER_FIX_DIR = "after_fix"
AFTER_FIX_FILE = "support_bot_after_fix.jsonl"
_AFTER_FIX_PROMPT_VERSION = "support-v3.3"
_AFTER_FIX_ACCOUNT_MIX = (0.86, 0.08, 0.06)
_AFTER_FIX_RECOVERY_SHARE = 0.9

_MODELS = ("gpt-4o-mini-2024-07-18", "gpt-4.1-mini-2025-04-14")
_MODEL_SWITCH_DAY = 16  # 2026-11-12: production moved to the second model
_PROMPT_VERSION = "support-v3.2"
# $ per 1M tokens (input, output) and latency (base s, s per completion token)
_PRICING = {_MODELS[0]: (0.15, 0.60), _MODELS[1]: (0.40, 1.60)}
_LATENCY = {_MODELS[0]: (0.45, 0.011), _MODELS[1]: (0.38, 0.009)}

# Human labelling: probability that a turn gets a human Brand Alignment label.
_HUMAN_P_ACCOUNT = 0.16
_HUMAN_P_OTHER = 0.04

from evaltui.demo.texts import (  # noqa: E402 - the words the generator draws from
    _PRODUCTS,
    _CARRIERS,
    _FIRST_NAMES,
    _EMAIL_DOMAINS,
    _CITIES,
    _PROMOS,
    _SIZES,
    _COLORS,
    _OPENINGS,
    _CLOSINGS,
    _INTENTS,
    _GOOD_ACKS,
    _GOOD_CLOSES,
    _MEDIOCRE,
    _MEDIOCRE_TAILS,
    _BAD,
    _BAD_MODES,
    _BAD_MODE_WEIGHTS,
    _FOLLOWUPS,
    _FOLLOWUP_PREFIX,
    _CLOSERS,
    _CLOSER_REPLIES,
    _FOLLOWUP_GOOD_ACCOUNT,
    _FOLLOWUP_STEPS,
    _BA_RATIONALES,
    _HUMAN_RATIONALES,
    _CQ_RATIONALES,
    _JUDGE_DIST,
    _HUMAN_DIST,
)

# --------------------------------------------------------------------------- helpers

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _cum(weights: Iterable[float]) -> list[float]:
    c = list(accumulate(weights))
    total = c[-1]
    return [x / total for x in c]


def _pick_dist(dist: tuple[tuple[float, str], ...], r: float) -> str:
    for p, label in dist:
        if r < p:
            return label
    return dist[-1][1]


class _Clock:
    """Formats epoch milliseconds (relative to the start) as ISO-8601 UTC with ``Z``."""

    __slots__ = ("start", "days")

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.days: dict[int, str] = {}

    def day(self, d: int) -> str:
        s = self.days.get(d)
        if s is None:
            s = (self.start + timedelta(days=d)).strftime("%Y-%m-%d")
            self.days[d] = s
        return s

    def iso(self, ms: int) -> str:
        d, r = divmod(ms, 86_400_000)
        h, r = divmod(r, 3_600_000)
        m, r = divmod(r, 60_000)
        s, r = divmod(r, 1000)
        return f"{self.day(d)}T{h:02d}:{m:02d}:{s:02d}.{r:03d}Z"

    def human_date(self, d: int) -> str:
        dt = self.start + timedelta(days=d)
        return f"{_MONTHS[dt.month - 1]} {dt.day}"


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _lead(prefix: str, text: str) -> str:
    """Join a lead-in and a sentence, lower-casing the sentence after "Hi," or "Wait -"."""
    if not prefix:
        return text
    if prefix[-1] in ",-" and text[:2] not in ("I ", "I'"):
        text = text[:1].lower() + text[1:]
    return f"{prefix} {text}"


class _Compiled:
    """Flattened template tables, built once per process."""

    def __init__(self) -> None:
        self.intents: dict[str, tuple[str, ...]] = {t: tuple(_INTENTS[t]) for t in TOPICS}
        self.bad: dict[tuple[str, str], tuple[str, ...]] = {}
        for mode in _BAD_MODES:
            table = _BAD[mode]
            for topic in TOPICS:
                texts = table.get(topic) or table["*"]
                self.bad[(mode, topic)] = texts
        self.bad_mode_cum = _cum(_BAD_MODE_WEIGHTS)
        self.topic_cum = _cum(_TOPIC_WEIGHTS)
        self.incident_topic_cum = _cum(_INCIDENT_TOPIC_WEIGHTS)
        self.tone_cum = _cum(_TONE_WEIGHTS)
        self.channel_cum = _cum(_CHANNEL_WEIGHTS)
        self.hour_cum = _cum(_HOUR_WEIGHTS)
        self.quality: dict[tuple[str, str], tuple[float, float]] = {}
        for topic in TOPICS:
            g, m, _b = _QUALITY_MIX[topic]
            for tone in TONES:
                shift = _TONE_QUALITY_SHIFT.get(tone, 0.0)
                # move `shift` from good to bad
                self.quality[(topic, tone)] = (g - shift, g - shift + m)
        self.system_msg = {"role": "system", "content": BASELINE_SYSTEM_PROMPT}
        self.system_tokens = len(BASELINE_SYSTEM_PROMPT) // 4


_COMPILED: _Compiled | None = None


def _compiled() -> _Compiled:
    global _COMPILED
    if _COMPILED is None:
        _COMPILED = _Compiled()
    return _COMPILED


def _day_counts(rng: random.Random, n: int, days: int, start_weekday: int) -> list[int]:
    """Split ``n`` conversations over ``days`` (weekends quieter, slow growth, an incident)."""
    weights = []
    for d in range(days):
        w = 1.0 + 0.01 * d + rng.uniform(-0.08, 0.08)
        if (start_weekday + d) % 7 in (5, 6):  # Saturday, Sunday
            w *= 0.8
        if d in _INCIDENT_DAYS:
            w *= 1.35
        weights.append(w)
    total = sum(weights)
    raw = [n * w / total for w in weights]
    counts = [int(x) for x in raw]
    rest = n - sum(counts)
    order = sorted(range(days), key=lambda i: (counts[i] - raw[i], i))
    for i in order[:rest]:
        counts[i] += 1
    return counts


# --------------------------------------------------------------------------- generator


def iter_spans(
    seed: int = 7,
    n_conversations: int = 2400,
    start: datetime = DEFAULT_START,
    days: int = 30,
    after_fix: bool = False,
    id_prefix: str = "conv",
) -> Iterator[dict[str, Any]]:
    """Yield span dicts in file order: each conversation root followed by its turns.

    ``after_fix`` writes production under the fixed prompt (``FIX_SYSTEM_PROMPT``): account
    and login replies are mostly good recovery steps; everything else is unchanged.
    """
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    start = start.astimezone(UTC)
    rng = random.Random(seed)
    C = _compiled()
    clock = _Clock(start)
    rand = rng.random
    randrange = rng.randrange
    choice = rng.choice

    n_users = max(50, (n_conversations * 3) // 4)
    width = max(6, len(str(n_conversations)))
    counts = _day_counts(rng, n_conversations, days, start.weekday())

    hour_cum = C.hour_cum
    system_msg = {"role": "system", "content": FIX_SYSTEM_PROMPT} if after_fix else C.system_msg
    system_tokens = len(system_msg["content"]) // 4
    prompt_version = _AFTER_FIX_PROMPT_VERSION if after_fix else _PROMPT_VERSION
    recovery_share = _AFTER_FIX_RECOVERY_SHARE if after_fix else _RECOVERY_SHARE
    conv_no = 0
    for day, count in enumerate(counts):
        # Times of day for this day's conversations: hour by weight, then uniform within it.
        times = sorted(bisect(hour_cum, rand()) * 3_600_000 + randrange(3_600_000) for _ in range(count))
        day_ms = day * 86_400_000
        model = _MODELS[0] if day < _MODEL_SWITCH_DAY and not after_fix else _MODELS[1]
        price_in, price_out = _PRICING[model]
        lat_base, lat_tok = _LATENCY[model]
        topic_cum = C.incident_topic_cum if day in _INCIDENT_DAYS else C.topic_cum
        for tod in times:
            conv_no += 1
            cid = f"{id_prefix}-{conv_no:0{width}d}"
            ts = day_ms + tod
            topic = TOPICS[bisect(topic_cum, rand())]
            tone = TONES[bisect(C.tone_cum, rand())]
            channel = _CHANNELS[bisect(C.channel_cum, rand())]
            intents = C.intents[topic]
            intent = intents[randrange(len(intents))]
            spec = _INTENTS[topic][intent]
            user_no = randrange(n_users)
            first = _FIRST_NAMES[user_no % len(_FIRST_NAMES)]
            slots = {
                "order": f"#JL-{randrange(100000, 999999)}",
                "product": choice(spec.get("products", _PRODUCTS)),
                "odate": clock.human_date(day - 2 - randrange(10)),
                "edate": clock.human_date(day + 1 + randrange(6)),
                "amount": f"${randrange(12, 480)}.{choice(('00', '95', '99', '50'))}",
                "email": f"{first.lower()}.{user_no % 97}@{_EMAIL_DOMAINS[user_no % 6]}",
                "last4": f"{randrange(10000):04d}",
                "carrier": _CARRIERS[randrange(5)],
                "track": f"1Z{randrange(10**9, 10**10)}",
                "days": str(randrange(3, 15)),
                "city": choice(_CITIES),
                "promo": choice(_PROMOS),
                "size": choice(_SIZES),
                "color": choice(_COLORS),
            }
            r = rand()
            total_turns = 1 if r < 0.5 else 2 + min(3, int((r - 0.5) * 8.0))
            q_good, q_med = C.quality[(topic, tone)]
            is_account = topic == "account_and_login"
            if after_fix and is_account:
                g, m, _b = _AFTER_FIX_ACCOUNT_MIX
                shift = _TONE_QUALITY_SHIFT.get(tone, 0.0) / 2
                q_good, q_med = g - shift, g - shift + m
            p_human = _HUMAN_P_ACCOUNT if is_account else _HUMAN_P_OTHER

            # ---- first customer message
            user_text = _join(
                _lead(choice(_OPENINGS[tone]), choice(spec["ask"])),
                choice(spec["detail"]) if rand() < 0.5 else "",
                choice(_CLOSINGS[tone]),
            ).format_map(slots)
            if tone == "angry" and rand() < 0.25:
                user_text = user_text.upper()
            elif rand() < 0.12:
                user_text = user_text.lower()
            if channel == "email":
                user_text = f"{user_text}\n\n{first}"

            messages: list[dict[str, str]] = [system_msg]
            turns: list[dict[str, Any]] = []
            t_ms = ts
            prompt_chars = 0
            sum_lat = 0.0
            sum_pt = 0
            sum_ct = 0
            sum_cost = 0.0
            worst = 2  # 2 good, 1 mediocre, 0 bad (ground truth)
            worst_judge = 2
            followups = _FOLLOWUPS[topic]
            fu_start = randrange(len(followups))
            for k in range(1, total_turns + 1):
                if k > 1:
                    closer = k == total_turns and rand() < 0.3
                    if closer:
                        user_text = choice(_CLOSERS[tone])
                    else:
                        # walk the topic's follow-ups from a random start: no question twice
                        question, answer = followups[(fu_start + k) % len(followups)]
                        user_text = _lead(choice(_FOLLOWUP_PREFIX[tone]), question).format_map(slots)
                else:
                    closer = False
                    answer = ""
                messages.append({"role": "user", "content": user_text})
                # ---- assistant reply
                recovery = False
                failure = None
                if closer:
                    quality = "good"
                    kind = "closing"
                    reply = choice(_CLOSER_REPLIES)
                else:
                    rq = rand()
                    if rq < q_good:
                        quality = "good"
                        kind = "good"
                        if is_account and rand() < recovery_share:
                            recovery = True
                            kind = "recovery"
                            body = spec["steps"][randrange(2)] if k == 1 else _FOLLOWUP_STEPS[(fu_start + k) % 3]
                        elif k == 1:
                            body = choice(spec["good"])
                        elif is_account:
                            body = _FOLLOWUP_GOOD_ACCOUNT[(fu_start + k) % 3]
                        else:
                            body = answer
                        if recovery:
                            reply = body
                        else:
                            ack = choice(_GOOD_ACKS[tone]) if k == 1 or rand() < 0.25 else ""
                            close = choice(_GOOD_CLOSES) if k == total_turns or rand() < 0.3 else ""
                            reply = _join(ack, body, close)
                    elif rq < q_med:
                        quality = "mediocre"
                        kind = "mediocre"
                        reply = _join(choice(_MEDIOCRE[topic]), choice(_MEDIOCRE_TAILS))
                    else:
                        quality = "bad"
                        kind = "bad"
                        failure = _BAD_MODES[bisect(C.bad_mode_cum, rand())]
                        reply = choice(C.bad[(failure, topic)])
                    reply = reply.format_map(slots)
                messages.append({"role": "assistant", "content": reply})

                # ---- metrics
                t_ms += (1_000 + randrange(19_000)) if k == 1 else (15_000 + randrange(150_000))
                prompt_chars += len(user_text)
                pt = system_tokens + prompt_chars // 4 + 12 * k
                ct = len(reply) // 4 + 3
                prompt_chars += len(reply)
                lat = round(lat_base + lat_tok * ct + rand() * 0.9, 3)
                cost = round((pt * price_in + ct * price_out) / 1_000_000, 7)
                sum_lat += lat
                sum_pt += pt
                sum_ct += ct
                sum_cost += cost

                # ---- judge score (+ maybe a human label)
                jdist = _JUDGE_DIST["bad" if kind == "bad" else kind]
                jl = _pick_dist(jdist, rand())
                rkey = (jl, failure) if (jl == "C" and failure) else (jl, kind)
                rats = _BA_RATIONALES.get(rkey) or _BA_RATIONALES.get((jl, quality)) or _BA_RATIONALES[(jl, "good")]
                span_iso = clock.iso(t_ms)
                scores = [
                    {
                        "name": BA,
                        "score": LABEL_SCORE[jl],
                        "label": jl,
                        "rationale": choice(rats),
                        "source": "online",
                        "scorer_version": JUDGE_VERSION,
                        "created": clock.iso(t_ms + 2_000 + randrange(178_000)),
                    }
                ]
                if rand() < p_human:
                    hl = _pick_dist(_HUMAN_DIST["bad" if kind == "bad" else kind], rand())
                    hk = (hl, kind) if (hl, kind) in _HUMAN_RATIONALES else (hl, quality)
                    hrats = _HUMAN_RATIONALES.get(hk) or _HUMAN_RATIONALES[(hl, "bad" if hl == "C" else "good")]
                    scores.append(
                        {
                            "name": BA,
                            "score": LABEL_SCORE[hl],
                            "label": hl,
                            "rationale": choice(hrats),
                            "source": "human",
                            "scorer_version": "human",
                            "created": clock.iso(t_ms + 86_400_000 * (1 + randrange(4)) + randrange(36_000_000)),
                        }
                    )
                qv = 2 if quality == "good" else (1 if quality == "mediocre" else 0)
                if qv < worst:
                    worst = qv
                jv = 2 if jl == "A" else (1 if jl == "B" else 0)
                if jv < worst_judge:
                    worst_judge = jv
                meta: dict[str, Any] = {"turn_index": k, "reply_quality": quality}
                if recovery:
                    meta["recovery_steps"] = True
                if failure:
                    meta["failure_mode"] = failure
                turns.append(
                    {
                        "id": f"{cid}-t{k}",
                        "root_id": cid,
                        "parent_id": cid,
                        "name": "turn",
                        "span_type": "turn",
                        "ts": span_iso,
                        "input": user_text,
                        "output": reply,
                        "expected": None,
                        "error": None,
                        "metadata": meta,
                        "tags": [],
                        "metrics": {
                            "latency_s": lat,
                            "prompt_tokens": pt,
                            "completion_tokens": ct,
                            "cost_usd": cost,
                        },
                        "scores": scores,
                    }
                )

            # ---- root span
            rr = rand()
            resolved = rr < (0.9 if worst == 2 else (0.6 if worst == 1 else 0.25))
            if worst_judge == 0:
                cq = "N" if rand() < 0.9 else "Y"
            elif worst_judge == 1:
                cq = "Y" if rand() < (0.8 if resolved else 0.35) else "N"
            else:
                cq = "Y" if rand() < (0.95 if resolved else 0.5) else "N"
            last_reply = messages.pop()["content"]
            root = {
                "id": cid,
                "root_id": cid,
                "parent_id": None,
                "name": "conversation",
                "span_type": "conversation",
                "ts": clock.iso(ts),
                "input": messages,
                "output": last_reply,
                "expected": None,
                "error": None,
                "metadata": {
                    "topic": topic,
                    "intent": intent,
                    "tone": tone,
                    "total_turns": total_turns,
                    "channel": channel,
                    "model": model,
                    "prompt_version": prompt_version,
                    "user_id": f"u-{user_no:06d}",
                    "resolved": resolved,
                },
                "tags": ["production", channel],
                "metrics": {
                    "latency_s": round(sum_lat, 3),
                    "prompt_tokens": sum_pt,
                    "completion_tokens": sum_ct,
                    "cost_usd": round(sum_cost, 7),
                },
                "scores": [
                    {
                        "name": CQ,
                        "score": 1.0 if cq == "Y" else 0.0,
                        "label": cq,
                        "rationale": choice(_CQ_RATIONALES[(cq, resolved)]),
                        "source": "online",
                        "scorer_version": JUDGE_VERSION,
                        "created": clock.iso(t_ms + 30_000 + randrange(270_000)),
                    }
                ],
            }
            yield root
            yield from turns


# --------------------------------------------------------------------------- writing


def _dumps(span: dict[str, Any]) -> str:
    return json.dumps(span, ensure_ascii=False, separators=(",", ":"))


def write_jsonl(path: str | os.PathLike[str], spans: Iterable[dict[str, Any]]) -> int:
    """Write spans as compact JSON lines (UTF-8, ``\\n`` endings); return the line count."""
    n = 0
    dumps = _dumps
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        buf: list[str] = []
        for span in spans:
            buf.append(dumps(span))
            n += 1
            if len(buf) >= 2000:
                buf.append("")
                fh.write("\n".join(buf))
                buf.clear()
        if buf:
            buf.append("")
            fh.write("\n".join(buf))
    return n


def summarize(spans: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Figures for a span stream: counts, per-topic mean judge Brand Alignment, agreement."""
    conversations = 0
    n_spans = 0
    topics: dict[str, int] = {t: 0 for t in TOPICS}
    ba_sum: dict[str, float] = {t: 0.0 for t in TOPICS}
    ba_n: dict[str, int] = {t: 0 for t in TOPICS}
    agree = {"account_recovery_steps": [0, 0], "other_topics": [0, 0]}
    humans = 0
    topic = ""
    for span in spans:
        n_spans += 1
        if span["parent_id"] is None:
            conversations += 1
            topic = span["metadata"]["topic"]
            topics[topic] += 1
            continue
        judge = human = None
        for s in span["scores"]:
            if s["name"] == BA:
                if s["source"] == "online":
                    judge = s["label"]
                    ba_sum[topic] += s["score"]
                    ba_n[topic] += 1
                elif s["source"] == "human":
                    human = s["label"]
        if human is not None:
            humans += 1
            if topic == "account_and_login":
                if span["metadata"].get("recovery_steps"):
                    key = "account_recovery_steps"
                else:
                    continue
            else:
                key = "other_topics"
            agree[key][0] += judge == human
            agree[key][1] += 1
    return {
        "conversations": conversations,
        "spans": n_spans,
        "topics": topics,
        "mean_brand_alignment": {t: round(ba_sum[t] / ba_n[t], 3) if ba_n[t] else None for t in TOPICS},
        "human_labels": humans,
        "judge_human_agreement": {k: round(a / b, 3) if b else None for k, (a, b) in agree.items()},
    }


AFTER_FIX_DEFAULTS = {"seed": 8, "n_conversations": 480, "days": 7}


def generate(
    out_dir: str | os.PathLike[str],
    seed: int = 7,
    n_conversations: int = 2400,
    *,
    after_fix: bool = False,
    days: int | None = None,
) -> dict[str, Any]:
    """Write ``out_dir/support_bot.jsonl`` and return a summary of what was written.

    ``after_fix``: the second batch instead, ``out_dir/support_bot_after_fix.jsonl``: a week
    of production from 2026-11-26 under the fixed prompt (ids ``conv-b2-...``).
    """
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, AFTER_FIX_FILE if after_fix else OUTPUT_FILE)
    collected: list[dict[str, Any]] = []
    options: dict[str, Any] = {"seed": seed, "n_conversations": n_conversations}
    if after_fix:
        options.update(
            start=AFTER_FIX_START, days=days or AFTER_FIX_DEFAULTS["days"], after_fix=True, id_prefix="conv-b2"
        )
    elif days:
        options["days"] = days

    def tee() -> Iterator[dict[str, Any]]:
        for span in iter_spans(**options):
            collected.append(span)
            yield span

    lines = write_jsonl(path, tee())
    summary = summarize(collected)
    summary["path"] = path
    summary["lines"] = lines
    summary["bytes"] = os.path.getsize(path)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m evaltui.demo.generate",
        description="Write seeded, reproducible sample support-bot logs (span JSONL).",
    )
    parser.add_argument(
        "out_dir", nargs="?", default=None, help="default: sample_logs (sample_logs/after_fix with --after-fix)"
    )
    parser.add_argument("--seed", type=int, default=None, help="default: 7 (8 with --after-fix)")
    parser.add_argument("--conversations", type=int, default=None, help="default: 2400 (480 with --after-fix)")
    parser.add_argument(
        "--after-fix", action="store_true", help="write the second batch: a week of production under the fixed prompt"
    )
    args = parser.parse_args(argv)
    if args.after_fix:
        summary = generate(
            args.out_dir or os.path.join("sample_logs", AFTER_FIX_DIR),
            seed=AFTER_FIX_DEFAULTS["seed"] if args.seed is None else args.seed,
            n_conversations=args.conversations or AFTER_FIX_DEFAULTS["n_conversations"],
            after_fix=True,
        )
    else:
        summary = generate(
            args.out_dir or "sample_logs",
            seed=7 if args.seed is None else args.seed,
            n_conversations=args.conversations or 2400,
        )
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
