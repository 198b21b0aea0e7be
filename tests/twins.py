"""A database of twins: names that share a long prefix (the demo's production judge against
its offline judge, topics such as password_delete_account / password_reset_link, long
experiment names), with human labels for both judges and two experiments. The TUI's name
tests and the typo tests share it (the `twins_dir` fixture in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers import span, write_jsonl

TOPICS = ["password_delete_account", "password_reset_link", "promo_code_invalid"]
SCORERS = ["brand_alignment", "brand_alignment_offline", "conversation_quality"]
BASE, CANDIDATE = "account-baseline-production-prompt", "account-fix-with-account-policies"


def twin_rows(n: int = 24) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        cid, ts = f"c{i}", f"2026-11-{1 + i % 9:02d}T10:{i % 60:02d}:00Z"
        text = (
            f"please delete my account #{i}"
            if i % 3 == 0
            else f"reset link broken #{i}"
            if i % 3 == 1
            else f"code invalid #{i}"
        )
        ba, off = [0.0, 0.5, 1.0][i % 3], [1.0, 0.5, 0.0][i % 3]
        rows += [
            span(
                cid,
                name="conversation",
                ts=ts,
                input=[{"role": "user", "content": text}],
                output="ok",
                metadata={"topic": TOPICS[i % 3], "total_turns": 1},
                scores=[{"name": "Conversation Quality", "score": float(i % 2), "label": "Y" if i % 2 else "N"}],
            ),
            span(
                f"{cid}-t1",
                cid,
                cid,
                name="turn",
                ts=ts,
                input=text,
                output="ok",
                metadata={"turn_index": 1},
                scores=[{"name": "Brand Alignment", "score": ba}, {"name": "Brand Alignment Offline", "score": off}],
            ),
        ]
    return rows


def ba_prod(output):
    return 1.0 if "sorry" in output.lower() else 0.0


def ba_offline(output):
    return 1.0 if "#" in output else 0.5


async def build_twins(folder: Path) -> Path:
    from evaltui import Score
    from evaltui.curation.dataset import create_from_logs, init_dataset
    from evaltui.evals.runner import EvalAsync
    from evaltui.ingest import ingest_file
    from evaltui.store import Store

    db = folder / "tui.duckdb"
    with Store(db) as store:
        ingest_file(store, write_jsonl(folder / "spans.jsonl", twin_rows()))
        create_from_logs(store, "account-issues", None)
        from evaltui.scoring.human_labels import add_label

        for i in range(12):  # people grade a dozen turns: both judges have something to agree with
            add_label(store, f"c{i}-t1", "brand_alignment", ["A", "B", "C"][i % 3] if i % 4 else "A")
            add_label(store, f"c{i}-t1", "brand_alignment_offline", [1.0, 0.5, 0.0][(i + 1) % 3])

    def prod(output):
        return Score(name="Brand Alignment", score=ba_prod(output))

    def offline(output):
        return Score(name="Brand Alignment Offline", score=ba_offline(output))

    def task_for(every: int):
        def task(input):
            n = int(str(input[-1]["content"]).split("#")[-1])
            return f"Sorry, case #{n}." if n % every == 0 else f"Here is what to do for case {n}."

        return task

    data = init_dataset(name="account-issues", db=db, version=1)
    for name, every in ((BASE, 2), (CANDIDATE, 3)):
        await EvalAsync(
            "support-bot",
            data=data,
            task=task_for(every),
            scores=[prod, offline],
            experiment_name=name,
            db=db,
            quiet=True,
        )
    return db
