"""The dataset builder: mark cases with keys, undo, thresholds, the seeded suggestion,
save a dataset and find it in the database with its provenance; snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.helpers import build_db, builder, make_app
from tests.helpers import until
from tests.tui.snapshot import SIZES, check


def test_marks_undo_and_counts() -> None:
    from evaltui.curation.builder import Marks

    m = Marks()
    m.mark(["a", "b"], "failing")
    m.mark(["b"], "excluded")
    assert m.counts() == {"failing": 1, "borderline": 0, "passing": 0, "excluded": 1}
    assert m.undo() == 1 and m.get("b") == "failing"
    assert m.undo() == 2 and m.marks == {} and m.undo() == 0
    with pytest.raises(ValueError):
        m.mark(["a"], "great")


async def test_mark_suggest_save_and_find_the_dataset_with_provenance(tmp_path: Path) -> None:
    from evaltui.store import Store
    from evaltui.store import datasets as ds

    db = build_db(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(100, 30)) as pilot:
        # the builder starts from the log browser's filter
        await pilot.press("2", "slash", *'topic = "billing"', "enter")
        await until(pilot, lambda: app.log_filter == 'topic = "billing"')
        await builder(app, pilot)
        screen = app.screen
        assert len(screen.candidates.rows) == 12 and {c.topic for c in screen.candidates.rows} == {"billing"}
        first, second = screen.candidates.rows[0].id, screen.candidates.rows[1].id
        await pilot.press("f", "x", "b")  # each mark moves the cursor down
        assert screen.marks.get(first) == "failing" and screen.marks.get(second) == "excluded"
        assert "failing 1  borderline 1" in str(screen.query_one("#builder-title").content)
        await pilot.press("u")
        assert screen.marks.counts()["borderline"] == 0
        await pilot.press("s")
        await pilot.pause(0.2)
        await pilot.press("ctrl+a", *"2", "tab", "ctrl+a", "1", "tab", "ctrl+a", "0", "enter")
        await until(pilot, lambda: screen.marks.counts()["failing"] >= 2)
        picked = dict(screen.marks.marks)
        await pilot.press("u")
        await pilot.press("s")
        await pilot.pause(0.2)
        await pilot.press("enter")  # same counts and seed: the same cases
        await until(pilot, lambda: screen.marks.marks == picked)
        counts = screen.marks.counts()
        await pilot.press("w")
        await pilot.pause(0.3)
        await pilot.press(*"billing-failures", "enter")
        await until(pilot, lambda: getattr(screen, "last_saved", None) is not None)
    with Store(db, read_only=True) as store:
        info = ds.require_dataset(store, "billing-failures")
        rows = ds.read_records(store, info.id, 1).to_pylist()
        note = ds.versions(store, info.id)[0]["note"]
    saved = {r["origin_span_id"]: r["bucket"] for r in rows}
    assert saved == {k: v for k, v in picked.items() if v != "excluded"}
    assert len(rows) == counts["failing"] + counts["borderline"] + counts["passing"]
    assert 'builder: logs where topic = "billing"' in note


async def test_thresholds_then_a_new_version_removes_excluded(tmp_path: Path) -> None:
    from evaltui.store import Store
    from evaltui.store import datasets as ds

    db = build_db(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(100, 30)) as pilot:
        await builder(app, pilot)
        screen = app.screen
        await pilot.press("t")
        assert sum(screen.marks.counts().values()) == 24
        excluded = screen.query_one("CandidateTable").current.id
        await pilot.press("x", "w")
        await pilot.pause(0.3)
        await pilot.press(*"slice", "enter")  # exists: its next version
        await until(pilot, lambda: getattr(screen, "last_saved", None) is not None)
        assert screen.last_saved.version == 2 and screen.last_saved.removed == 1
    with Store(db, read_only=True) as store:
        info = ds.require_dataset(store, "slice")
        ids = set(ds.read_records(store, info.id, 2).column("record_id").to_pylist())
        assert excluded not in ids and len(ids) == 23


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_snapshot(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, size) -> None:
    folder = tmp_path_factory.mktemp("snap-builder")
    build_db(folder)
    monkeypatch.chdir(folder)
    app = make_app(Path("tui.duckdb"))
    async with app.run_test(size=size) as pilot:
        await builder(app, pilot)
        await pilot.press("f", "b", "p", "x", "down")
        await pilot.pause(0.2)
        check(app, f"builder_{size[0]}x{size[1]}")
