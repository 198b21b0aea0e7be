"""What tests in every folder share (not a test module: nothing here is collected): where
things are, the `evaltui` command, small builders for span JSONL, and waiting on the app.
Fixtures are in conftest.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any
from collections.abc import Callable

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_LOGS = ROOT / "sample_logs"
FIXTURES = ROOT / "tests" / "fixtures"

# The tests run the real CLI as a subprocess from the test venv.
EVALTUI = [sys.executable, "-m", "evaltui"]


def judge_env(base_url: str, folder: Path) -> dict[str, str]:
    """The environment a process needs to call the loopback judge at ``base_url``: a key,
    no retries, no config file of the machine's."""
    return {
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": base_url,
        "EVALTUI_LLM_MAX_RETRIES": "0",
        "EVALTUI_CONFIG": str(folder / "none.toml"),
    }


def span(id: str, root_id: str | None = None, parent_id: str | None = None, **fields: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"id": id, "root_id": root_id or id, "parent_id": parent_id}
    obj.setdefault("span_type", "conversation" if parent_id is None else "turn")
    obj.update(fields)
    return obj


def write_jsonl(path: Path, rows: list[dict[str, Any] | str]) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(row if isinstance(row, str) else json.dumps(row, ensure_ascii=False))
            fh.write("\n")
    return path


def conversation(
    i: int, topic: str, ba: float, cq: float | None = None, day: int = 1, text: str = "hello"
) -> list[dict[str, Any]]:
    """A root conversation with one turn; Brand Alignment on the turn, Conversation Quality on the root."""
    cid = f"c{i}"
    ts = f"2026-11-{day:02d}T10:{i % 60:02d}:00Z"
    root_scores = [] if cq is None else [{"name": "Conversation Quality", "score": cq, "label": "Y" if cq else "N"}]
    return [
        span(
            cid,
            name="conversation",
            ts=ts,
            input=[{"role": "user", "content": text}],
            output="ok",
            metadata={"topic": topic, "total_turns": 1},
            scores=root_scores,
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
            scores=[{"name": "Brand Alignment", "score": ba, "label": {1.0: "A", 0.5: "B", 0.0: "C"}.get(ba)}],
        ),
    ]


async def until(pilot: Any, check: Callable[[], Any], timeout: float = 10.0) -> None:
    """Let the app's workers finish: wait until ``check()`` is true (a Pilot test helper).

    ``timeout`` counts the pauses between checks, so a machine busy with other work gets
    more wall time, not less. A check may fail while the screen is still being built (a
    widget not mounted yet); if it never passes, the last such error is raised with the
    timeout instead of being swallowed."""
    waited = 0.0
    last: Exception | None = None
    while True:
        try:
            if check():
                return
            last = None
        except Exception as exc:  # noqa: BLE001 - kept, and raised below if it persists
            last = exc
        if waited >= timeout:
            raise AssertionError(
                f"timed out waiting for the app (last check raised {last!r})"
                if last
                else "timed out waiting for the app"
            ) from last
        await pilot.pause(0.05)
        waited += 0.05


def query(db: Path, sql: str) -> list[tuple]:
    """Rows of ``sql`` on a DuckDB file, through a short read-only connection."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def cells_containing(db: Path, needle: str) -> list[tuple[str, str, int]]:
    """(table, column, rows) for every column of every table whose text holds ``needle``,
    read in SQL (DuckDB compresses what it stores, so a scan of the file's bytes can miss it)."""
    columns = query(
        db,
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal",
    )
    assert len(columns) > 20  # the whole schema, not a part of it
    hits = []
    for table, column in columns:
        sql = f'SELECT count(*) FROM "{table}" WHERE strpos(CAST("{column}" AS VARCHAR), \'{needle}\') > 0'
        n = query(db, sql)[0][0]
        if n:
            hits.append((table, column, n))
    return hits


TOPICS_FIXTURE = FIXTURES / "topics" / "support.jsonl"


def build_topic_map(db: Path) -> Path:
    """A database at ``db`` holding the topics fixture (88 conversations, four themes) and a
    map built on it with the real MiniLM, without LLM names."""
    from evaltui.ingest import ingest_file
    from evaltui.store import Store
    from evaltui.topics.build import BuildOptions, build_map

    with Store(db) as store:
        ingest_file(store, TOPICS_FIXTURE)
        build_map(store, BuildOptions(name_with_llm=False))
    return db
