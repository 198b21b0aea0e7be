"""The CLI's words for a new user: the missing-database hint names the file that exists."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.helpers import EVALTUI


def test_after_the_demo_the_no_database_hint_points_at_the_demo_file(tmp_path: Path) -> None:
    from evaltui.store import Store

    Store(tmp_path / "evaltui-demo.duckdb").close()  # what `evaltui demo` leaves in the folder
    env = {k: v for k, v in os.environ.items() if k != "EVALTUI_DB"}
    out = subprocess.run([*EVALTUI, "logs"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "error: no database at evaltui.duckdb; evaltui-demo.duckdb exists: "
        "pass --db evaltui-demo.duckdb (or set EVALTUI_DB)"
    )
    assert not (tmp_path / "evaltui.duckdb").exists()


def test_with_no_database_anywhere_the_hint_says_how_to_make_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "EVALTUI_DB"}
    out = subprocess.run([*EVALTUI, "logs"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "run `evaltui demo` or `evaltui ingest FILE` first" in out.stderr


def test_each_demo_ingest_step_counts_the_human_labels_of_its_own_file(tmp_path: Path) -> None:
    from evaltui.demo.run import Steps, _ingest
    from evaltui.store import Store
    from tests.helpers import span, write_jsonl

    def logs(name: str, first: int, n: int, labelled: int) -> Path:
        rows = []
        for i in range(first, first + n):
            scores = [
                {
                    "name": "Brand Alignment",
                    "score": 1.0,
                    "label": "A",
                    "source": "online",
                    "scorer_version": "judge-v1",
                }
            ]
            if i - first < labelled:
                scores.append({"name": "Brand Alignment", "score": 0.5, "label": "B", "source": "human"})
            rows.append(
                span(f"c{i}", name="conversation", ts="2026-11-01T10:00:00Z", input="hi", output="ok", scores=scores)
            )
        return write_jsonl(tmp_path / name, rows)

    lines: list[str] = []
    with Store(tmp_path / "demo.duckdb") as store:
        _ingest(store, [logs("first.jsonl", 0, 10, 4)], Steps(lines.append))
        _ingest(store, [logs("after.jsonl", 10, 6, 3)], Steps(lines.append))
    said = [line.strip() for line in lines if line.strip().startswith("ingested")]
    assert said == [
        "ingested 10 spans, 10 scores from the production judge (judge-v1) and 4 human labels",
        "ingested 6 spans, 6 scores from the production judge (judge-v1) and 3 human labels",
    ]
