"""Logs for the review-queue tests: turns in three topics with two judges that sometimes disagree."""

from __future__ import annotations

from typing import Any

from tests.helpers import span, write_jsonl  # noqa: F401 - write_jsonl is used by the fixture in conftest


TOPICS = ("account_and_login", "billing_and_payments", "shipping_and_delivery")


def review_rows(n: int = 30) -> list[dict[str, Any]]:
    """``n`` one-turn conversations over three topics. Each turn has the production judge's
    grade (judge-v1) and an offline judge's (with its confidence); they disagree on every
    fifth turn, and the offline judge is least sure where i % 7 is largest."""
    rows: list[dict[str, Any]] = []
    for i in range(n):
        cid, topic = f"c{i:02d}", TOPICS[i % 3]
        v1 = "ABC"[i % 3]
        offline = v1 if i % 5 else "ABC"[(i + 1) % 3]
        score = {"A": 1.0, "B": 0.5, "C": 0.0}
        ts = f"2026-11-01T10:{i:02d}:00Z"
        rows.append(
            span(
                cid,
                name="conversation",
                ts=ts,
                input=[{"role": "user", "content": f"help #{i}"}],
                output=f"reply {i}",
                metadata={"topic": topic, "total_turns": 1},
            )
        )
        rows.append(
            span(
                f"{cid}-t1",
                cid,
                cid,
                name="turn",
                ts=ts,
                input=f"help #{i}",
                output=f"reply {i}",
                scores=[
                    {
                        "name": "Brand Alignment",
                        "score": score[v1],
                        "label": v1,
                        "rationale": f"judge says {v1}",
                        "source": "online",
                        "scorer_version": "judge-v1",
                        "created": "2026-11-02T00:00:00Z",
                    },
                    {
                        "name": "Brand Alignment Offline",
                        "score": score[offline],
                        "label": offline,
                        "rationale": "offline",
                        "source": "online",
                        "scorer_version": "offline-1",
                        "created": "2026-11-02T00:00:01Z",
                        "metadata": {"rubric": "brand_alignment", "confidence": round(0.95 - (i % 7) * 0.1, 2)},
                    },
                ],
            )
        )
    return rows
