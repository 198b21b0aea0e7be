"""Fixtures shared by the unit tests."""

from __future__ import annotations

import pytest

from tests.helpers import SAMPLE_LOGS


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    from evaltui.ingest import ingest_file
    from evaltui.store import Store

    path = tmp_path_factory.mktemp("cal") / "sample.duckdb"
    with Store(path) as store:
        ingest_file(store, SAMPLE_LOGS / "support_bot.jsonl")
    return path
