"""The queries and pure helpers behind the TUI, and the rule that the core never imports Textual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, conversation, write_jsonl


@pytest.fixture(scope="module")
def browse_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from evaltui.ingest import ingest_file
    from evaltui.store import Store

    tmp = tmp_path_factory.mktemp("browse")
    rows = []
    topics = ["billing", "login", "shipping"]
    for i in range(60):
        ba = [0.0, 0.5, 1.0][i % 3]
        cq = None if i % 7 == 0 else float(i % 2)  # some conversations have no quality score
        rows += conversation(i, topics[i % 3] if i % 11 else None, ba, cq, day=1 + i % 5, text=f"message {i:02d}")
    path = write_jsonl(tmp / "spans.jsonl", rows)
    db = tmp / "browse.duckdb"
    with Store(db) as store:
        ingest_file(store, path)
    return db


SORTS = ["ts", "topic", "input", "id", "scores.brand_alignment", "scores.conversation_quality"]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("descending", [True, False])
def test_keyset_pages_walk_every_row_once_in_both_directions(browse_db: Path, sort: str, descending: bool) -> None:
    from evaltui.store.connections import reading
    from evaltui.store.pages import fetch_page

    with reading(browse_db) as store:
        everything = [r.id for r in fetch_page(store, sort=sort, descending=descending, limit=1000).rows]
        forward, page = [], fetch_page(store, sort=sort, descending=descending, limit=7)
        forward += [r.id for r in page.rows]
        while page.more_after:
            page = fetch_page(store, sort=sort, descending=descending, after=page.rows[-1].cursor, limit=7)
            forward += [r.id for r in page.rows]
        page = fetch_page(store, sort=sort, descending=descending, backward=True, limit=7)
        backward = [r.id for r in page.rows]
        while page.more_before:
            page = fetch_page(
                store, sort=sort, descending=descending, after=page.rows[0].cursor, backward=True, limit=7
            )
            backward = [r.id for r in page.rows] + backward
    assert len(everything) == 60 == len(set(everything))
    assert forward == everything
    assert backward == everything


def test_sorting_by_a_score_puts_unscored_last_either_way(browse_db: Path) -> None:
    from evaltui.store.connections import reading
    from evaltui.store.pages import fetch_page

    with reading(browse_db) as store:
        for descending in (True, False):
            rows = fetch_page(store, sort="scores.conversation_quality", descending=descending, limit=100).rows
            values = [r.scores.get("conversation_quality") for r in rows]
            # conversations without their own quality score have none to roll up either
            known = [v for v in values if v is not None]
            assert values[: len(known)] == sorted(known, reverse=descending)
            assert all(v is None for v in values[len(known) :])


def test_a_bad_sort_column_is_a_filter_error(browse_db: Path) -> None:
    from evaltui.store.connections import reading
    from evaltui.store.pages import fetch_page
    from evaltui.store.filters import FilterError

    with reading(browse_db) as store, pytest.raises(FilterError, match="cannot sort by"):
        fetch_page(store, sort="colour")


def test_neighbour_steps_through_the_filter(browse_db: Path) -> None:
    from evaltui.store.connections import reading
    from evaltui.store.pages import fetch_page, neighbour

    where = 'topic = "login"'
    with reading(browse_db) as store:
        rows = fetch_page(store, where, limit=100).rows
        nxt = neighbour(store, where, rows[0].cursor, step=1)
        assert nxt is not None and nxt.id == rows[1].id
        prev = neighbour(store, where, rows[1].cursor, step=-1)
        assert prev is not None and prev.id == rows[0].id
        assert neighbour(store, where, rows[-1].cursor, step=1) is None
        assert neighbour(store, where, rows[0].cursor, step=-1) is None


def test_topic_overview_counts_failing_share_and_trend(browse_db: Path) -> None:
    from evaltui.store.connections import reading
    from evaltui.store.pages import UNASSIGNED, topic_filter, total
    from evaltui.store.topic_overview import topic_overview

    with reading(browse_db) as store:
        ov = topic_overview(store, lambda key: 0.6 if key == "brand_alignment" else 0.5)
        assert ov.scorers == ["brand_alignment", "conversation_quality"]
        assert ov.thresholds == {"brand_alignment": 0.6, "conversation_quality": 0.5}
        assert len(ov.days) == 5
        assert sum(t.conversations for t in ov.topics) == 60
        failing = [t.failing for t in ov.topics]
        assert failing == sorted(failing, reverse=True)  # where it hurts first
        for t in ov.topics:
            assert sum(t.daily) == t.conversations and sum(t.daily_failing) == t.failing
            # the overview and the log browser agree on what a topic holds
            assert total(store, topic_filter(t.topic)) == t.conversations
        # brand alignment goes with the topic here: billing 0, login 0.5, shipping 1
        shares = {t.topic: t.fail_share["brand_alignment"] for t in ov.topics if t.topic != UNASSIGNED}
        assert shares == {"billing": 1.0, "login": 1.0, "shipping": 0.0}
        means = {t.topic: t.means["brand_alignment"] for t in ov.topics}
        assert means["login"] == pytest.approx(0.5)


def test_topic_sizes_come_first_and_agree_with_the_overview(browse_db: Path) -> None:
    from evaltui.store.connections import reading
    from evaltui.store.topic_overview import topic_overview, topic_sizes

    with reading(browse_db) as store:
        sizes, full = topic_sizes(store), topic_overview(store)
    assert not sizes.complete and full.complete
    assert sizes.scorers == full.scorers and sizes.days == full.days
    conversations = [t.conversations for t in sizes.topics]
    assert conversations == sorted(conversations, reverse=True)  # largest first until ranked
    by_topic = {t.topic: t for t in full.topics}
    assert {t.topic: (t.conversations, t.daily) for t in sizes.topics} == {
        k: (t.conversations, t.daily) for k, t in by_topic.items()
    }


def test_load_trace_has_turn_scores_labels_and_rationales(tmp_path: Path) -> None:
    from evaltui.demo.generate import iter_spans, write_jsonl as write_spans
    from evaltui.ingest import ingest_file
    from evaltui.store import Store
    from evaltui.store.connections import reading
    from evaltui.store.trace import load_trace

    path = tmp_path / "s.jsonl"
    write_spans(path, iter_spans(seed=3, n_conversations=20))
    with Store(tmp_path / "t.duckdb") as store:
        ingest_file(store, path)
    with reading(tmp_path / "t.duckdb") as store:
        trace = load_trace(store, "conv-000001")
        assert load_trace(store, "nope") is None
    assert trace is not None and trace.topic
    assert trace.messages[0]["role"] == "system"
    turns = [c for c in trace.children if c.span_type == "turn"]
    assert turns and all(c.scores for c in turns)
    assert all(s.rationale and s.label for s in turns[0].scores)
    assert trace.root.metrics and trace.root.metadata


def test_completion_words_name_scorers_and_metadata(browse_db: Path) -> None:
    from evaltui.store.completion import completion_words
    from evaltui.store.connections import reading

    with reading(browse_db) as store:
        words = completion_words(store)
    assert {"scores.brand_alignment", "labels.conversation_quality", "metadata.total_turns", "topic"} <= set(words)


def test_reading_releases_the_file_for_a_writer(browse_db: Path) -> None:
    from evaltui.store import Store
    from evaltui.store.connections import reading
    from evaltui.store.pages import total

    with reading(browse_db) as store:
        assert total(store) == 60
    # a read-write open in this process would fail while a read-only one were still open
    with Store(browse_db, lock_timeout=0.5) as store:
        assert store.con.execute("SELECT count(*) FROM spans").fetchall()[0][0] == 120


def test_topic_filter_quotes_any_name() -> None:
    from evaltui.store.pages import topic_filter
    from evaltui.store.filters import parse

    assert topic_filter("(unassigned)") == "topic is null"
    for name in ['say "hi"', "back\\slash", "plain"]:
        assert parse(topic_filter(name)).values[0].value == name


def test_squarify_tiles_the_whole_area_without_overlap() -> None:
    from evaltui.tui.widgets.topic_map import squarify

    sizes = [50, 30, 10, 5, 3, 2]
    rects = squarify(sizes, 60, 12)
    cells: set[tuple[int, int]] = set()
    for r in rects:
        block = {(x, y) for x in range(r.x, r.x + r.w) for y in range(r.y, r.y + r.h)}
        assert not (block & cells)
        cells |= block
    assert len(cells) >= 60 * 12 * 0.95  # rounding may leave a sliver
    areas = [r.w * r.h for r in rects]
    assert areas[0] > areas[1] > areas[3]


def test_bars_and_sparklines() -> None:
    from evaltui.tui.render import bar, sparkline

    assert bar(0, 4) == "    " and bar(1, 4) == "████" and bar(0.5, 4) == "██  "
    assert sparkline([0, 1, 2, 4]) == " ▂▄█"
    assert sparkline([5, 5], 1) == "█"


def test_shipped_themes_load_and_a_user_can_add_one(tmp_path: Path) -> None:
    from evaltui.tui.themes import load_themes

    (tmp_path / "mine.toml").write_text('name = "mine"\nprimary = "#ff00ff"\ndark = false\n')
    (tmp_path / "broken.toml").write_text('primary = "not a colour"\n')
    loaded = load_themes(tmp_path)
    assert {"evaltui-dark", "evaltui-light", "evaltui-high-contrast", "mine"} <= set(loaded.themes)
    assert len(loaded.problems) == 1 and "broken.toml" in loaded.problems[0]


def test_the_core_never_imports_textual() -> None:
    """Every evaltui module outside evaltui.tui imports without Textual (and starts light)."""
    code = """
import importlib, pathlib, sys, evaltui
# Module names from the files: pkgutil.walk_packages would import evaltui.tui's packages.
root = pathlib.Path(evaltui.__file__).parent
names = sorted(".".join(("evaltui", *p.relative_to(root).with_suffix("").parts)).removesuffix(".__init__")
               for p in root.rglob("*.py"))
names = [n for n in names if not n.startswith("evaltui.tui") and n != "evaltui.__main__"]
for name in names:
    importlib.import_module(name)
    assert "textual" not in sys.modules, f"{name} imported textual"
heavy = [m for m in ("torch", "sentence_transformers", "igraph", "hdbscan", "umap") if m in sys.modules]
assert not heavy, heavy
print(len(names))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) > 10


# Calls that run SQL on a DuckDB connection. Nothing outside evaltui/store/ may make one
# (the TUI included). An exception would be listed here as {"evaltui/x/y.py": "reason"}.
_SQL_CALLS = {"execute", "executemany", "sql"}
_SQL_ALLOWED: dict[str, str] = {}


def _sql_calls_outside_store(package: Path) -> list[str]:
    import ast

    found = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).as_posix()
        if rel.startswith("evaltui/store/") or rel in _SQL_ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=rel)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _SQL_CALLS:
                found.append(f"{rel}:{node.lineno}: .{node.func.attr}(...)")
    return found


def test_raw_sql_lives_only_in_the_store() -> None:
    """No module outside evaltui/store/ (tui/ included) calls .execute/.executemany/.sql:
    a query is a store function taking the Store first."""
    found = _sql_calls_outside_store(ROOT / "evaltui")
    assert not found, "SQL outside evaltui/store/ (move it into a store module):\n" + "\n".join(found)


def test_the_sql_rule_sees_a_query_outside_the_store(tmp_path: Path) -> None:
    """The walk above names file:line of a query in a core or TUI module."""
    pkg = tmp_path / "evaltui"
    (pkg / "store").mkdir(parents=True)
    (pkg / "tui").mkdir()
    (pkg / "store" / "q.py").write_text("def f(store):\n    return store.con.execute('SELECT 1')\n")
    (pkg / "tui" / "screen.py").write_text("def f(store):\n    x = 1\n    return store.con.sql('SELECT 1')\n")
    assert _sql_calls_outside_store(pkg) == ["evaltui/tui/screen.py:3: .sql(...)"]


def test_the_app_starts_without_duckdb_or_arrow() -> None:
    """The first frame needs Textual only; the store loads in the first worker."""
    code = "import sys, evaltui.tui.app; print(sorted(m for m in ('duckdb', 'pyarrow') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
