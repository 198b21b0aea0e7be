"""What several Pilot tests share: small databases to open the app on, the app itself, and
the keys that reach a pane and wait for it (not a test module: nothing here is collected)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers import FIXTURES, conversation, span, until, write_jsonl

MODELS = ["gpt-x", "gpt-y", "local-z"]


def build_db(folder: Path, n: int = 24) -> Path:
    """Conversations about billing and login with fixed scores, and a dataset `slice` of them."""
    from evaltui.curation.dataset import create_from_logs
    from evaltui.ingest import ingest_file
    from evaltui.store import Store

    rows = []
    for i in range(n):
        text = f"I was charged twice #{i}" if i % 2 == 0 else f"cannot log in #{i}"
        rows += conversation(
            i, ["billing", "login"][i % 2], [0.0, 0.5, 1.0][i % 3], float(i % 2), day=1 + i % 9, text=text
        )
    path = write_jsonl(folder / "spans.jsonl", rows)
    db = folder / "tui.duckdb"
    with Store(db) as store:
        ingest_file(store, path)
        create_from_logs(store, "slice", None)
    return db


def views_db(folder: Path, n: int = 12) -> Path:
    """Conversations with latency, cost, model and prompt version to choose as columns, and a
    Brand Alignment score on each turn."""
    from evaltui.ingest import ingest_file
    from evaltui.store import Store

    rows = []
    for i in range(n):
        cid = f"c{i}"
        rows += [
            span(
                cid,
                name="conversation",
                ts=f"2026-11-01T10:{i:02d}:00Z",
                input=[{"role": "user", "content": f"q{i}"}],
                output="ok",
                metrics={"latency_s": round(0.5 + (i * 7 % 12) / 4, 2), "cost": 0.001 * (i + 1)},
                metadata={
                    "topic": "billing" if i % 2 else "login",
                    "model": MODELS[i % 3],
                    "prompt_version": f"v{1 + i % 2}",
                },
            ),
            span(
                f"{cid}-t1",
                cid,
                cid,
                name="turn",
                ts=f"2026-11-01T10:{i:02d}:00Z",
                input=f"q{i}",
                output="ok",
                scores=[{"name": "Brand Alignment", "score": [0.0, 0.5, 1.0][i % 3]}],
            ),
        ]
    db = folder / "tui.duckdb"
    with Store(db) as store:
        ingest_file(store, write_jsonl(folder / "spans.jsonl", rows))
    return db


def apologises(output):
    from evaltui import Score

    ok = "sorry" in output.lower()
    return Score(
        name="Apologises",
        score=1.0 if ok else 0.0,
        label="Y" if ok else "N",
        rationale="says sorry" if ok else "no apology",
    )


def variant(every: int):
    def task(input):
        n = int(str(input[-1]["content"]).split("#")[-1])
        return f"Sorry about that, case {n}." if n % every == 0 else f"Here is what to do for case {n}."

    return task


async def two_experiments(folder: Path) -> Path:
    """``build_db`` with two experiments on its dataset, `baseline` and `candidate`."""
    from evaltui.curation.dataset import init_dataset
    from evaltui.evals.runner import EvalAsync

    db = build_db(folder)
    data = init_dataset(name="slice", db=db, version=1)
    for name, every in (("baseline", 2), ("candidate", 3)):
        await EvalAsync(
            "support-bot", data=data, task=variant(every), scores=[apologises], experiment_name=name, db=db, quiet=True
        )
    return db


def make_app(db: Path, **kwargs: Any):
    from evaltui.config import Settings
    from evaltui.tui.app import EvalApp

    kwargs.setdefault("eval_paths", [FIXTURES / "tui"])
    kwargs.setdefault("poll_seconds", 0)
    return EvalApp(db, settings=Settings(theme="evaltui-dark", keymap={}), **kwargs)


def twins_app(folder: Path, monkeypatch: Any):
    """The app on the twins database in ``folder`` (the `twins_dir` fixture)."""
    monkeypatch.chdir(folder)  # the header shows the path as given: the same in every picture
    return make_app(Path("tui.duckdb"))


def status(app: Any, name: str) -> str:
    return str(app.screen.query_one(name).content)


def table(app: Any):
    from evaltui.tui.widgets.span_table import SpanTable

    return app.screen.query_one(SpanTable)


async def logs(app: Any, pilot: Any, total: int = 12) -> Any:
    from evaltui.tui.screens.logs import LogsScreen

    await pilot.press("2")
    await until(pilot, lambda: isinstance(app.screen, LogsScreen) and app.screen.total == total)
    return app.screen


async def builder(app, pilot) -> None:
    from evaltui.tui.screens.builder import BuilderScreen

    await pilot.press("3")
    await until(pilot, lambda: isinstance(app.screen, BuilderScreen) and app.screen.candidates is not None)


async def open_diff(app: Any, pilot: Any) -> Any:
    from evaltui.tui.screens.diff import DiffScreen

    await pilot.press("5")
    await until(
        pilot,
        lambda: isinstance(app.screen, DiffScreen) and app.screen.data is not None and app.screen.detail is not None,
    )
    return app.screen


CAL_GRADES = ["A", "B", "C"]
CAL_SCALE = {"A": 1.0, "B": 0.5, "C": 0.0}


def labelled_db(folder: Path, topics: int = 23, per_topic: int = 6) -> Path:
    """Brand Alignment grades and human labels on ``topics`` topics: the humans agree with
    the judge everywhere except on ``zz_recovery_steps`` (alphabetically last)."""
    from evaltui.ingest import ingest_file
    from evaltui.scoring.human_labels import add_label
    from evaltui.store import Store

    rows, human = [], {}
    names = [f"topic_{t:02d}" for t in range(topics - 1)] + ["zz_recovery_steps"]
    for t, topic in enumerate(names):
        for i in range(per_topic):
            sid = f"s{t}-{i}"
            grade = CAL_GRADES[(i + t) % 3]
            rows.append(
                span(
                    sid,
                    name="conversation",
                    ts=f"2026-11-01T10:{i:02d}:00Z",
                    input="hi",
                    output="ok",
                    metadata={"topic": topic},
                    scores=[{"name": "Brand Alignment", "score": CAL_SCALE[grade], "label": grade}],
                )
            )
            # one disagreement in every topic but the last, where the humans always disagree
            human[sid] = CAL_GRADES[(i + t + 1) % 3] if topic.startswith("zz") or i == 0 else grade
    db = folder / "tui.duckdb"
    with Store(db) as store:
        ingest_file(store, write_jsonl(folder / "spans.jsonl", rows))
        for sid, value in human.items():
            add_label(store, sid, "brand_alignment", value)
    return db


async def open_calibration(app: Any, pilot: Any, topics: int = 23) -> Any:
    """Press 6 and wait for the calibration pane's per-topic table to fill."""
    from evaltui.tui.screens.calibration import CalibrationScreen
    from evaltui.tui.widgets.agreement_table import AgreementTable

    await pilot.press("6")
    await until(
        pilot,
        lambda: isinstance(app.screen, CalibrationScreen) and app.screen.query_one(AgreementTable).row_count == topics,
    )
    return app.screen
