"""A map says when it goes stale, and a rebuild says what changed: real ingest of off-topic
conversations through the CLI after a map is built on the topics fixture (real MiniLM)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import orjson
import pytest

from evaltui.ingest import ingest_file
from evaltui.store import Store
from evaltui.topics.build import BuildOptions, build_map
from tests.helpers import EVALTUI
from tests.helpers import span, write_jsonl

FIXTURE = Path(__file__).parents[1] / "fixtures" / "topics" / "support.jsonl"

SUBJECTS = [
    "humpback whales",
    "the moon landing",
    "medieval castles",
    "volcanoes",
    "jazz piano",
    "chess openings",
    "ancient Rome",
    "black holes",
    "origami cranes",
    "the Amazon rainforest",
    "honey bees",
    "Viking ships",
    "the northern lights",
    "sourdough bread",
    "desert cacti",
]
ASKS = ["Write me a short poem about {}", "Tell me three fun facts about {}"]


def _off_topic(tmp_path: Path, name: str, n: int, start: int = 0) -> Path:
    rows = []
    for i in range(start, start + n):
        text = ASKS[i // len(SUBJECTS) % 2].format(SUBJECTS[i % len(SUBJECTS)])
        rows.append(
            span(
                f"off{i}",
                name="conversation",
                ts="2026-11-06T10:00:00Z",
                input=[{"role": "user", "content": text}],
                output="...",
            )
        )
    return write_jsonl(tmp_path / name, rows)


@pytest.fixture(scope="module")
def built_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("stale") / "built.duckdb"
    with Store(path) as store:
        ingest_file(store, FIXTURE)
        build_map(store, BuildOptions(name_with_llm=False))
    return path


def _cli(*args: str) -> subprocess.CompletedProcess:
    out = subprocess.run([*EVALTUI, *args], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out


def test_off_topic_conversations_make_the_map_say_it_is_stale(built_db, tmp_path):
    db = str(tmp_path / "copy.duckdb")
    shutil.copy(built_db, db)
    # a few stray messages: not enough to call the map stale
    _cli("--db", db, "ingest", str(_off_topic(tmp_path, "few.jsonl", 3)))
    listed = _cli("--db", db, "topics", "list")
    assert "stale" not in listed.stderr + listed.stdout
    staleness = orjson.loads(_cli("--db", db, "topics", "list", "--json").stdout)["staleness"]
    assert staleness["new"] == 3 and staleness["min_new"] == 20 and not staleness["stale"]

    ingested = _cli("--db", db, "ingest", str(_off_topic(tmp_path, "many.jsonl", 27, start=3)))
    assert "topics build" in ingested.stderr
    staleness = orjson.loads(_cli("--db", db, "topics", "list", "--json").stdout)["staleness"]
    assert staleness["new"] == 30 and staleness["stale"]
    assert staleness["new_unassigned"] / 30 > staleness["threshold"] > staleness["built_unassigned_share"]
    for command in (["topics", "list"], ["stats"]):
        out = _cli("--db", db, *command)
        notes = [line for line in out.stderr.splitlines() if "stale" in line]
        assert len(notes) == 1 and "evaltui topics build" in notes[0] and "of the 30 conversations" in notes[0]
    assert orjson.loads(_cli("--db", db, "stats", "--json").stdout)["stale_map"] is True

    # a rebuild takes them in: the new map is not stale, and the rebuild says what is new
    rebuilt = _cli("--db", db, "topics", "build", "--no-llm")
    assert "against map 1:" in rebuilt.stdout
    changes = orjson.loads(_cli("--db", db, "topics", "build", "--no-llm", "--json").stdout)["changes"]
    assert changes["previous_map"] == 2 and changes["new"] == [] and changes["split"] == {}
    listed = _cli("--db", db, "topics", "list")
    assert "stale" not in listed.stderr


def test_on_topic_conversations_keep_the_map_fresh(built_db, tmp_path):
    db = str(tmp_path / "copy.duckdb")
    shutil.copy(built_db, db)
    rows = []
    for i in range(25):
        text = [
            "I forgot my password, how do I reset it",
            "my refund has not arrived yet",
            "where is my parcel, tracking has not moved",
        ][i % 3]
        rows.append(
            span(
                f"on{i}",
                name="conversation",
                ts="2026-11-06T10:00:00Z",
                input=[{"role": "user", "content": f"{text} (order {i})"}],
                output="...",
            )
        )
    _cli("--db", db, "ingest", str(write_jsonl(tmp_path / "on.jsonl", rows)))
    staleness = orjson.loads(_cli("--db", db, "topics", "list", "--json").stdout)["staleness"]
    assert staleness["new"] == 25 and not staleness["stale"]
